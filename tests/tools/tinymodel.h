/*
 * tests/tools/tinymodel.h — writes a small random-weight `llama` GGUF v3 for
 * fast tests (same layout and key names as models/lmz-base.gguf).
 *
 * Vocabulary: 0 <unk>, 1 <s> (BOS), 2 </s>, 3..258 byte tokens <0x00>..<0xFF>,
 * then the single characters '!'..'~' and U+2581, then n_merges merged pieces
 * (deterministic from the seed, scores decreasing with the merge order).
 * Weights: Q8_0 matrices, F32 norms, uniform random from the seed.
 */
#ifndef LMZ_TINYMODEL_H
#define LMZ_TINYMODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n_layer;   /* 1..8 */
    int n_embd;    /* multiple of 32 */
    int n_head;    /* divides n_embd; head dim a multiple of 32 (lmz needs it) */
    int n_head_kv; /* divides n_head (GQA when smaller) */
    int n_ff;      /* multiple of 32 */
    int n_ctx;
    int n_merges;  /* merged pieces after the single characters */
    int tied;      /* 1: no output.weight (logits use token_embd.weight) */
    float rope_base, norm_eps;
} tinymodel_opts;

/* n_layer 1, n_embd 64, n_head 2, n_head_kv 1 (GQA), n_ff 128, n_ctx 256,
 * n_merges 64, tied, rope_base 10000, norm_eps 1e-5. */
tinymodel_opts tinymodel_defaults(void);

/* 3 + 256 + 95 + n_merges */
uint32_t tinymodel_vocab_size(const tinymodel_opts *o);

/* Builds the GGUF bytes in memory (*out malloc'd, caller frees). o may be
 * NULL for the defaults. Returns 0, or -LMZ_error_parameter / -LMZ_error_memory. */
int tinymodel_build(uint32_t seed, const tinymodel_opts *o, uint8_t **out, size_t *n);

/* Same, written to path. Returns 0 or a negative lmz error code. */
int tinymodel_write(const char *path, uint32_t seed, const tinymodel_opts *o);

#endif /* LMZ_TINYMODEL_H */
