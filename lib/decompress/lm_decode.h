/*
 * lib/decompress/lm_decode.h — the `lm` / `lm+mix` chunk decoder
 * (lm_decode.c), used by decompress.c only.
 */
#ifndef LMZ_LM_DECODE_H
#define LMZ_LM_DECODE_H

#include "codec/codec.h"
#include "codec/dict.h"

/* ------------------------------------------------------------------------ */
/* The `lm` chunk decoder                                                   */
/* ------------------------------------------------------------------------ */

/* Decodes the `lm` payloads of chunks [0, n) together: all active chunks are
 * stepped as one batch through the model, at most max_active at a time.
 * dst[c] receives raw_size[c] bytes. Returns 0 or -LMZ_error_*. */
typedef struct {
    const uint8_t *payload;
    uint32_t coded_size, raw_size;
    uint8_t *dst;
    int mix;    /* 1: method lm+mix (payload = profile byte + stream) */
    uint32_t chunk; /* the frame's chunk it belongs to (error messages) */
    int part;       /* -1: the whole chunk; 0/1: that part of a seg/utf16 chunk */
    int status; /* out: 0 ok, or -LMZ_error_* for this chunk */
} lm_chunk_job;

typedef void (*lm_tick_fn)(void *ctx, uint64_t bytes_done); /* progress, may be NULL */
/* d: the frame's dictionary (NULL: none), pre: its prefix cache for W. */
int lm_decode_chunks(const lmz_model *m, uint32_t W, const lmz_dict *d, const llama_kv *pre, lm_chunk_job *jobs,
                     uint32_t n, uint32_t max_active, lmz_pool *pool, lm_tick_fn tick, void *tick_ctx, lmz_msg *msg);

/* Memory lm_decode_chunks takes besides each chunk's KV cache, mixer and
 * token ids, for `active` chunks decoded together with window W: the model's
 * scratch rows (one per chunk plus its draft rows), their logits and the
 * drafts' tables. */
uint64_t lm_decode_scratch_bytes(const lmz_model *m, uint32_t W, uint32_t active);

#endif /* LMZ_LM_DECODE_H */
