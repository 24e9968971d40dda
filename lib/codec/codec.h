/*
 * lib/codec/codec.h — what the compressor and the decompressor share:
 * parameter defaults (params.c), the model's sliding-window rule and the
 * classical methods (classic.c). Both sides include it; it includes neither
 * (doc/design.md, Layers), so decompression never depends on compression-only code.
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

/* The level a params value stands for: 0 -> LMZ_LEVEL_DEFAULT, others
 * clamped to [LMZ_LEVEL_MIN, LMZ_LEVEL_MAX]. */
int lmz_level_clamp(int level);

/* Resolves zeros in *p to defaults for model m (the level's window and
 * chunk size where those are 0). */
void lmz_params_resolve(lmz_params *out, const lmz_params *in, const lmz_model *m);

/* ------------------------------------------------------------------------ */
/* The model's context (frame fields `window` W and `sink` S = 1)           */
/* ------------------------------------------------------------------------ */
/* A chunk's token sequence is ids[0] = BOS, ids[1..n] = the chunk's tokens,
 * at positions 0..n. Token ids[i] is predicted from the logits of the model
 * after ids[0..i-1] with sliding-window attention of span W: each query sees
 * the last W-1 positions and the sink ids[0] (lib/model/llama.h). Nothing is
 * ever recomputed, so both sides run exactly one model row per token.       */
#define LMZ_SINK_TOKENS 1

/* ------------------------------------------------------------------------ */
/* Classical chunk methods                                                  */
/* ------------------------------------------------------------------------ */

/* Method 3's LZMA2 dictionary: the smallest power of two >= max(raw, 4096),
 * at most 64 MiB (the chunk size limit). */
static inline uint32_t lzma2_dict_size(uint64_t raw) {
    uint32_t d = 4096;
    while (d < raw && d < (1u << 26)) d *= 2;
    return d;
}

/* Classical methods: zstd and xz. Return 0 when dst got exactly raw bytes. */
int classic_decode(uint8_t method, const uint8_t *src, size_t n, uint8_t *dst, size_t raw, lmz_msg *msg);

#endif /* LMZ_CODEC_H */
