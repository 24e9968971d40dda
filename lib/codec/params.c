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
}

void lmz_params_resolve(lmz_params *out, const lmz_params *in, const lmz_model *m) {
    if (in) *out = *in;
    else lmz_params_default(out);
    if (out->threads <= 0) out->threads = lmz_cpu_count();
    if (out->threads > 256) out->threads = 256;
    if (out->chunk_size == 0) out->chunk_size = LMZ_DEFAULT_CHUNK;
    if (out->chunk_size > LMZ_MAX_CHUNK_SIZE) out->chunk_size = LMZ_MAX_CHUNK_SIZE;
    uint32_t ctx = m ? m->llm.hp.n_ctx : 1024;
    if (out->window == 0 || out->window > ctx) out->window = ctx;
    if (out->window > 65535) out->window = 65535;
    if (out->window < 2) out->window = 2;
    if (out->memory_limit == 0) out->memory_limit = LMZ_DEFAULT_MEMLIMIT;
}
