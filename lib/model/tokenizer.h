/*
 * lib/model/tokenizer.h — the model's tokenizer, from GGUF metadata:
 * tokenizer.ggml.model = "llama" (SentencePiece BPE, below) or "gpt2"
 * (byte-level BPE: this interface hands the work to lib/model/bpe.h).
 * Both are lossless on any byte string.
 *
 * SentencePiece BPE (tokens, scores, token_type):
 *
 * Lossless on ANY byte string: tok_encode() always returns a segmentation
 * whose tok_decode() is exactly the input bytes (invalid UTF-8, NUL, control
 * bytes, a literal U+2581 all become byte tokens <0xNN>). On valid text it
 * reproduces the reference SentencePiece segmentation exactly: start from
 * characters (space written as U+2581, no dummy prefix, identity
 * normalisation), repeatedly merge the adjacent pair whose concatenation is a
 * normal vocabulary piece with the highest score (ties: leftmost), then map
 * symbols that are not pieces to byte tokens.
 */
#ifndef LMZ_TOKENIZER_H
#define LMZ_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "model/gguf.h"

typedef struct lmz_tokenizer lmz_tokenizer;

/* Builds the tokenizer from the GGUF metadata (validates: vocabulary size,
 * array lengths, the 256 byte tokens <0x00>..<0xFF>, UTF-8 of pieces).
 * Pieces are copied: the tokenizer does not borrow the GGUF buffer. */
int tok_init(lmz_tokenizer **t, const gguf_file *g, lmz_msg *msg);
void tok_free(lmz_tokenizer *t); /* accepts NULL */

uint32_t tok_vocab_size(const lmz_tokenizer *t);
/* The start token: what position 0 of every chunk holds (the attention
 * sink, llama.h; nothing is coded for it). SentencePiece: BOS. Byte-level
 * BPE: the file's BOS token whether or not add_bos_token asks for it (Qwen's
 * <|endoftext|>, which separated its training documents), else its EOS;
 * a vocabulary with neither is refused at tok_init. */
int32_t tok_bos(const lmz_tokenizer *t);

/* Encodes src[0..n). *out is (re)allocated with malloc to hold *n_out ids
 * (the caller frees it). Returns 0 or -LMZ_error_memory. */
int tok_encode(const lmz_tokenizer *t, const uint8_t *src, size_t n, int32_t **out, size_t *n_out);

/* The bytes of one token (piece with U+2581 turned into space; byte tokens
 * give their byte; control tokens such as <s> give nothing). len may be 0. */
const uint8_t *tok_bytes(const lmz_tokenizer *t, int32_t id, uint32_t *len);

/* Decodes ids into dst (cap bytes). Returns bytes written, or
 * -LMZ_error_dst_too_small / -LMZ_error_corrupt (id out of range). */
int64_t tok_decode(const lmz_tokenizer *t, const int32_t *ids, size_t n, uint8_t *dst, size_t cap);

#endif /* LMZ_TOKENIZER_H */
