/*
 * lib/decompress/codec.h — what the compressor and the decompressor share:
 * parameter defaults, the model's sliding-window rule and the `lm` chunk
 * decoder's state. Lives on the decompression side because decompression
 * must never depend on compression-only code; the compressor includes it.
 */
#ifndef LMZ_CODEC_H
#define LMZ_CODEC_H

#include "coder/coder.h"
#include "common/common.h"
#include "format/frame.h"
#include "lmz.h"
#include "model/model.h"

/* ------------------------------------------------------------------------ */
/* Defaults                                                                 */
/* ------------------------------------------------------------------------ */

#define LMZ_DEFAULT_CHUNK (64u << 10)        /* bytes per chunk (see bench/chunks.md) */
#define LMZ_CHUNKS_PER_FRAME 16u             /* a frame holds at most this many chunks */
#define LMZ_DEFAULT_MEMLIMIT (1ull << 30)    /* decoder refuses frames needing more */
#define LMZ_MAX_ACTIVE 16u                   /* chunks decoded together as one batch */
#define LMZ_PREFILL_BATCH 128u               /* rows per forward call when prefilling */

/* Resolves zeros in *p to defaults for model m. */
void lmz_params_resolve(lmz_params *out, const lmz_params *in, const lmz_model *m);

/* ------------------------------------------------------------------------ */
/* The sliding window (frame fields `window` W and `overlap` O)             */
/* ------------------------------------------------------------------------ */
/* A chunk's token sequence is ids[0] = BOS, ids[1..n] = the chunk's tokens.
 * Token ids[i] (i >= 1) is predicted from the window ids[start .. i-1] run
 * through the model from position 0. start begins at 0; whenever
 * i - start == W, the window slides: start = i - O (the last O tokens are
 * kept, their keys and values recomputed at positions 0..O-1).              */
static inline int lmz_window_slides(uint64_t i, uint64_t start, uint32_t W) { return i - start == W; }

/* ------------------------------------------------------------------------ */
/* Chunk decoders                                                           */
/* ------------------------------------------------------------------------ */

/* Decodes the `lm` payloads of chunks [0, n) together: all active chunks are
 * stepped as one batch through the model, at most max_active at a time.
 * dst[c] receives raw_size[c] bytes. Returns 0 or -LMZ_error_*. */
typedef struct {
    const uint8_t *payload;
    uint32_t coded_size, raw_size;
    uint8_t *dst;
    int status; /* out: 0 ok, or -LMZ_error_* for this chunk */
} lm_chunk_job;

int lm_decode_chunks(const lmz_model *m, uint32_t W, uint32_t O, lm_chunk_job *jobs, uint32_t n,
                     uint32_t max_active, lmz_pool *pool, lmz_msg *msg);

/* Classical methods: zstd and xz. Return 0 when dst got exactly raw bytes. */
int classic_decode(uint8_t method, const uint8_t *src, size_t n, uint8_t *dst, size_t raw, lmz_msg *msg);

#endif /* LMZ_CODEC_H */
