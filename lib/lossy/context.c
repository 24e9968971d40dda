/*
 * lib/lossy/context.c — the state of one lossy run (lz_ctx): checks and
 * allocation, notes and progress for the caller, the coder's parameters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "lossy/lossy.h"
#include "model/model.h"

/* ======================================================================== */
/* Setting up and freeing                                                    */
/* ======================================================================== */

int lz_ctx_init(lz_ctx *c, const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                size_t n) {
    memset(c, 0, sizeof *c);
    c->m = m;
    c->p_in = p;
    lmz_params_resolve(&c->p, p, m);
    c->o = *o;
    c->s = src;
    c->n = n;
    c->st.level = o->level;
    c->st.in_bytes = n;
    RETURN_ERROR_IF(o->level < 1 || o->level > LMZ_LOSSY_LEVEL_MAX, LMZ_error_parameter, &c->msg,
                    "lossy level %d out of range 1..%d", o->level, LMZ_LOSSY_LEVEL_MAX);
    RETURN_ERROR_IF(o->min_fidelity < 0 || o->min_fidelity > 1, LMZ_error_parameter, &c->msg,
                    "minimum fidelity %g out of range [0, 1]", o->min_fidelity);
    RETURN_ERROR_IF(n > LMZ_LOSSY_MAX_INPUT, LMZ_error_parameter, &c->msg,
                    "input of %zu bytes is above the lossy mode's limit (%u bytes)", n, LMZ_LOSSY_MAX_INPUT);
    RETURN_ERROR_IF(!lz_is_text(src, n), LMZ_error_unsupported, &c->msg,
                    "the lossy mode needs text (valid UTF-8, no NUL or binary control bytes)");
    c->pool = lmz_pool_create(c->p.threads);
    RETURN_ERROR_IF(!c->pool, LMZ_error_memory, &c->msg, "out of memory");
    RETURN_ERROR_IF(lz_protect(src, n, &c->sp) || lz_segment(src, n, &c->sp, &c->u), LMZ_error_memory, &c->msg,
                    "out of memory");
    size_t U = c->u.n + 1, B = (size_t)c->u.n_blocks + 1;
    c->d = m->llm.hp.n_embd;
    c->keep = calloc(U, 1), c->noedit = calloc(U, 1), c->verbatim = calloc(U, 1), c->merged = calloc(U, 1);
    c->override = calloc(U, sizeof *c->override), c->override_n = calloc(U, sizeof *c->override_n);
    c->ubits = calloc(U, sizeof *c->ubits), c->uprot = calloc(U, sizeof *c->uprot);
    c->uo_start = calloc(U, sizeof *c->uo_start), c->uo_end = calloc(U, sizeof *c->uo_end);
    c->bfirst = calloc(B + 1, sizeof *c->bfirst);
    c->bo_start = calloc(B, sizeof *c->bo_start), c->bo_end = calloc(B, sizeof *c->bo_end);
    c->bc_start = calloc(B, sizeof *c->bc_start), c->bc_end = calloc(B, sizeof *c->bc_end);
    c->h_orig = calloc(B * c->d, sizeof(double)), c->h_out = calloc(B * c->d, sizeof(double));
    c->c_orig = calloc(B, sizeof(double)), c->c_out = calloc(B, sizeof(double));
    RETURN_ERROR_IF(!c->keep || !c->noedit || !c->verbatim || !c->merged || !c->override || !c->override_n ||
                        !c->ubits || !c->uprot || !c->uo_start || !c->uo_end || !c->bfirst || !c->bo_start ||
                        !c->bo_end || !c->bc_start || !c->bc_end || !c->h_orig || !c->h_out || !c->c_orig || !c->c_out,
                    LMZ_error_memory, &c->msg, "out of memory");
    for (size_t i = 0; i < c->u.n; i++) c->keep[i] = 1;
    /* blocks: units of one block are contiguous */
    for (size_t i = c->u.n; i-- > 0;) c->bfirst[c->u.v[i].block] = (uint32_t)i;
    c->bfirst[c->u.n_blocks] = (uint32_t)c->u.n;
    /* protected spans per unit */
    size_t k = 0;
    for (size_t i = 0; i < c->u.n; i++) {
        while (k < c->sp.n && c->sp.v[k].end <= c->u.v[i].start) k++;
        for (size_t q = k; q < c->sp.n && c->sp.v[q].start < c->u.v[i].end; q++) c->uprot[i]++;
    }
    return 0;
}

void lz_ctx_free(lz_ctx *c) {
    lz_spans_free(&c->sp);
    if (c->override)
        for (size_t i = 0; i < c->u.n; i++) free(c->override[i]);
    lz_units_free(&c->u);
    free(c->keep), free(c->noedit), free(c->verbatim), free(c->merged), free(c->override), free(c->override_n);
    free(c->ubits), free(c->uprot), free(c->uo_start), free(c->uo_end);
    free(c->bfirst), free(c->bo_start), free(c->bo_end);
    free(c->h_orig), free(c->c_orig), free(c->h_out), free(c->c_out);
    free(c->bc_start), free(c->bc_end);
    lz_buf_free(&c->C);
    lz_map_free(&c->Cmap);
    free(c->ed), free(c->ed_unit);
    lz_buf_free(&c->R);
    lmz_pool_free(c->pool);
}

/* ======================================================================== */
/* Notes and progress                                                        */
/* ======================================================================== */

void lz_note(lz_ctx *c, const char *fmt, ...) {
    if (!c->o.note) return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->o.note(c->o.note_opaque, line);
}

void lz_progress(lz_ctx *c, const char *stage, uint64_t done, uint64_t total) {
    if (c->o.progress) c->o.progress(c->o.progress_opaque, stage, done, total);
}

static void coder_progress_fn(void *opaque, uint64_t in_done, uint64_t out_done) {
    lz_coder_progress *q = opaque;
    uint64_t done = q->by_output ? out_done : in_done;
    lz_progress(q->c, q->stage, done < q->total ? done : q->total, q->total);
}

lmz_params lz_coder_params(lz_ctx *c, lz_coder_progress *q, const char *stage, uint64_t total, int by_output) {
    lmz_params cp;
    if (c->p_in) cp = *c->p_in;
    else lmz_params_default(&cp);
    *q = (lz_coder_progress){c, stage, total, by_output};
    if (c->o.progress) cp.progress = coder_progress_fn, cp.progress_opaque = q;
    lz_progress(c, stage, 0, total); /* the coder reports after its first batch */
    return cp;
}
