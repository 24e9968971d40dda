/*
 * lib/model/bpe.h — byte-level BPE tokenizer (GPT-2 style) from GGUF metadata
 * (tokenizer.ggml.model = "gpt2": Qwen2/2.5/3, Llama 3.x, SmolLM2, GPT-2).
 *
 * The model's tokenizer (tokenizer.h) hands gpt2 vocabularies to this module;
 * its own test: tests/unit/test_bpe.c. doc/models.md, "Tokenizers", is the
 * contract.
 *
 * Encoding, in order:
 *   1. user-defined tokens (token_type 4, e.g. Qwen's <think>) are cut out of
 *      the text where they occur, leftmost-longest, as Hugging Face tokenizers
 *      and llama.cpp do; control tokens (<|endoftext|>, <|im_start|>, ...)
 *      are never produced from text;
 *   2. every byte that does not start a well-formed UTF-8 sequence (RFC 3629)
 *      becomes its own single-byte token, and cuts the text there;
 *   3. each stretch of valid UTF-8 between those cuts is pre-tokenized by the
 *      regex that tokenizer.ggml.pre names (hand-written, no regex library;
 *      character classes of Unicode 15.0, unicode_tables.h);
 *   4. each pre-token is mapped byte by byte to the vocabulary's single-byte
 *      tokens and merged by rank (lowest first, ties leftmost), as Hugging
 *      Face tokenizers does; with pre = llama-bpe a pre-token that is itself
 *      a token is taken whole first (ignore_merges).
 * No normalisation: bpe_decode(bpe_encode(x)) == x for every byte string x.
 * Memory: the output (at most one id per input byte) plus at most 36 bytes per
 * byte of the longest pre-token (symbols, and the heap of candidate merges:
 * no cap, no chunking, so results never depend on a limit); time O(n log n)
 * in a pre-token's length.
 */
#ifndef LMZ_BPE_H
#define LMZ_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "model/gguf.h"

typedef struct lmz_bpe lmz_bpe;

/* Builds the tokenizer from the GGUF metadata and validates all of it:
 * tokenizer.ggml.{model,pre,tokens,token_type,merges,bos_token_id,add_bos_token}.
 * Errors: -LMZ_error_model_invalid (malformed), -LMZ_error_unsupported (another
 * tokenizer model or pre-tokenizer, or a vocabulary that lacks a single-byte
 * token and so cannot express every byte string), -LMZ_error_memory; msg says
 * what and where. Nothing is borrowed from the GGUF buffer. */
int bpe_init(lmz_bpe **b, const gguf_file *g, lmz_msg *msg);
void bpe_free(lmz_bpe *b); /* accepts NULL */

uint32_t bpe_vocab_size(const lmz_bpe *b);
/* BOS id, -1 if the file names none. */
int32_t bpe_bos(const lmz_bpe *b);
/* Whether a sequence starts with BOS: tokenizer.ggml.add_bos_token, or when
 * absent llama.cpp's default (1 for the llama-bpe family, else 0). */
int bpe_add_bos(const lmz_bpe *b);
/* The pre-tokenizer in use, as lmz names it: "qwen2", "llama-bpe", "gpt-2" or
 * "smollm" (the file may have used an alias, doc/models.md). */
const char *bpe_pre_name(const lmz_bpe *b);

/* Encodes src[0..n) (no BOS). *out is allocated with malloc to hold *n_out ids
 * (at most n; the caller frees it). Returns 0 or -LMZ_error_memory. */
int bpe_encode(const lmz_bpe *b, const uint8_t *src, size_t n, int32_t **out, size_t *n_out);

/* The bytes of one token (normal tokens: their byte-level characters turned
 * back into bytes; user-defined tokens: their text; control, unknown and
 * unused tokens: nothing). len may be 0. */
const uint8_t *bpe_bytes(const lmz_bpe *b, int32_t id, uint32_t *len);

/* Decodes ids into dst (cap bytes). Returns bytes written, or
 * -LMZ_error_dst_too_small / -LMZ_error_corrupt (id out of range). */
int64_t bpe_decode(const lmz_bpe *b, const int32_t *ids, size_t n, uint8_t *dst, size_t cap);

#endif /* LMZ_BPE_H */
