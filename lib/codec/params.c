/*
 * lib/codec/params.c — compression/decompression parameters: the defaults
 * and their resolution against a model. Shared by both sides.
 */
#include <string.h>

#include "codec/codec.h"

/* ======================================================================== */
/* Parameters                                                                */
/* ======================================================================== */

void lmz_params_default(lmz_params *p) {
    memset(p, 0, sizeof *p);
    p->mix = -1;
    p->fallback = -1;
    p->compact = -1;
}

/* The levels: attention window (tokens; 0 = the model's context, at most
 * LMZ_DEFAULT_WINDOW) and chunk
 * size. Lower levels attend to fewer tokens (attention's work and the
 * decoder's KV-cache reads shrink with the window) and cut shorter chunks
 * (more chunks decode side by side, one read of the weights serving them
 * all); higher levels keep longer chunks (the mixer and the context learn
 * a chunk for longer). Level 6 is lmz 0.2's default, byte for byte. The
 * ratio and speed of each level: bench/LEVELS.md.                          */
static const struct {
    uint32_t window, chunk;
} level_table[LMZ_LEVEL_MAX + 1] = {
    {0, 0},          /* (0: the default) */
    {256, 8 << 10},  /* 1 */
    {256, 16 << 10}, /* 2 */
    {384, 32 << 10}, /* 3 */
    {512, 32 << 10}, /* 4 */
    {768, 48 << 10}, /* 5 */
    {0, 64 << 10},   /* 6: LMZ_LEVEL_DEFAULT = LMZ_DEFAULT_CHUNK, full context */
    {0, 128 << 10},  /* 7 */
    {0, 192 << 10},  /* 8 */
    {0, 256 << 10},  /* 9 */
};

int lmz_level_clamp(int level) {
    if (level == 0) return LMZ_LEVEL_DEFAULT;
    return level < LMZ_LEVEL_MIN ? LMZ_LEVEL_MIN : level > LMZ_LEVEL_MAX ? LMZ_LEVEL_MAX : level;
}

void lmz_params_resolve(lmz_params *out, const lmz_params *in, const lmz_model *m) {
    if (in) *out = *in;
    else lmz_params_default(out);
    if (out->threads <= 0) out->threads = lmz_cpu_count();
    if (out->threads > 256) out->threads = 256;
    out->level = lmz_level_clamp(out->level);
    if (out->chunk_size == 0) out->chunk_size = level_table[out->level].chunk;
    if (out->chunk_size > LMZ_MAX_CHUNK_SIZE) out->chunk_size = LMZ_MAX_CHUNK_SIZE;
    uint32_t ctx = m ? m->llm.hp.n_ctx : 1024;
    if (out->window == 0) out->window = level_table[out->level].window;
    /* 0: the model's context up to 1024 tokens (models with long contexts
     * would otherwise need gigabytes of cache); --window may go further */
    if (out->window == 0) out->window = ctx < LMZ_DEFAULT_WINDOW ? ctx : LMZ_DEFAULT_WINDOW;
    if (out->window > ctx) out->window = ctx;
    if (out->window > 65535) out->window = 65535;
    if (out->window < 2) out->window = 2;
    if (out->memory_limit == 0) out->memory_limit = LMZ_DEFAULT_MEMLIMIT;
}
