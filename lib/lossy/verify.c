/*
 * lib/lossy/verify.c — checking what the lossy mode produced: the frames
 * decoded and compared with R, the semantic similarity of every paragraph
 * (final-layer hidden states pooled over the canonical original and over
 * the output), and --min-fidelity, which undoes the paragraphs that fall
 * below it.
 */
#include <stdlib.h>
#include <string.h>

#include "lossy/lossy.h"

/* ======================================================================== */
/* Decoding the frames                                                       */
/* ======================================================================== */

int lz_verify_frames(lz_ctx *c, const uint8_t *frames, size_t fsize, char **decoded) {
    lz_note(c, "lossy: verifying (decoding %zu bytes)", fsize);
    char *d = malloc(c->R.n + 1);
    lz_coder_progress q;
    lmz_params cp = lz_coder_params(c, &q, "verifying", c->R.n, 1);
    size_t r = d ? lmz_decompress(c->m, d, c->R.n + 1, frames, fsize, &cp) : LMZ_ERR(LMZ_error_memory);
    if (lmz_is_error(r) || r != c->R.n || (c->R.n && memcmp(d, c->R.p, c->R.n) != 0)) {
        free(d);
        RETURN_ERROR(LMZ_error_generic, &c->msg,
                     "verification failed: the frames do not decode to the reconstruction (%s)",
                        lmz_is_error(r) ? lmz_error_name(r) : "different bytes");
    }
    c->st.verified = 1;
    *decoded = d;
    return 0;
}

/* ======================================================================== */
/* Similarity per paragraph                                                  */
/* ======================================================================== */

/* The reference of the similarity: the canonical original, so that level
 * 1's re-wrapping and typography (no change of wording) do not count as a
 * change of meaning. Laid out once; measured once, when first needed. */
static int measure_reference(lz_ctx *c) {
    if (c->ref_measured) return 0;
    lz_note(c, "lossy: similarity reference pass over %zu bytes", c->C.n);
    int rc = lz_measure_blocks(c, lz_text(&c->C), c->C.n, c->bc_start, c->bc_end, c->h_orig, c->c_orig);
    if (!rc) c->ref_measured = 1;
    return rc;
}

/* Text identical to the reference, block for block, needs no pass: every
 * paragraph's similarity is 1. */
int lz_measure_output(lz_ctx *c, const char *text, size_t n) {
    FORWARD_IF_ERROR(lz_lay_reference(c, 0));
    const size_t nb = c->u.n_blocks;
    c->r_is_ref = n == c->C.n && (n == 0 || memcmp(text, c->C.p, n) == 0) &&
                  memcmp(c->bo_start, c->bc_start, nb * sizeof *c->bo_start) == 0 &&
                  memcmp(c->bo_end, c->bc_end, nb * sizeof *c->bo_end) == 0;
    if (c->r_is_ref) {
        lz_note(c, "lossy: the output is the canonical original (similarity 1)");
    } else {
        FORWARD_IF_ERROR(measure_reference(c));
        lz_note(c, "lossy: similarity pass over %zu bytes", n);
        FORWARD_IF_ERROR(lz_measure_blocks(c, text, n, c->bo_start, c->bo_end, c->h_out, c->c_out));
    }
    c->r_measured = 1;
    return 0;
}

int lz_block_similarity(const lz_ctx *c, uint32_t b, double *sim) {
    if (!c->r_measured) return 0;
    if (c->r_is_ref) {
        *sim = 1.0;
        return 1;
    }
    if (c->c_out[b] <= 0 || c->c_orig[b] <= 0) return 0;
    *sim = lz_cosine(c->h_orig + (size_t)b * c->d, c->h_out + (size_t)b * c->d, c->d);
    return 1;
}

/* ======================================================================== */
/* --min-fidelity                                                            */
/* ======================================================================== */

/* Original text of the kept units of block b (the reference for chrF). */
static void block_reference(lz_ctx *c, uint32_t b, lz_buf *ref, int kept_only) {
    for (uint32_t i = c->bfirst[b]; i < c->bfirst[b + 1]; i++) {
        if (c->merged[i] && !kept_only) continue;
        if (kept_only && (!c->keep[i] || c->u.v[i].kind == LZ_U_BLANK)) continue;
        uint32_t a, e;
        lz_unit_range(c, i, &a, &e);
        if (ref->n) lz_buf_put(ref, " ", 1);
        lz_buf_put(ref, c->s + a, e - a);
    }
}

/* --min-fidelity: paragraphs whose chrF (kept text) or similarity falls
 * below it lose their edits, drops and rewrite; *n_rev counts them. */
static int revert_low_paragraphs(lz_ctx *c, const char *text, int *n_rev) {
    *n_rev = 0;
    for (uint32_t b = 0; b < c->u.n_blocks; b++) {
        if (c->bo_start[b] == UINT32_MAX || c->u.v[c->bfirst[b]].kind != LZ_U_SENT) continue;
        lz_buf ref = {0};
        block_reference(c, b, &ref, 1);
        const int oom = ref.oom;
        double chrf = oom ? 0 : lz_chrf(text + c->bo_start[b], c->bo_end[b] - c->bo_start[b], lz_text(&ref), ref.n);
        lz_buf_free(&ref);
        if (oom) return LMZ_IERR(LMZ_error_memory);
        double sim = 1.0;
        lz_block_similarity(c, b, &sim);
        if (chrf >= c->o.min_fidelity && sim >= c->o.min_fidelity) continue;
        int changed = 0;
        for (uint32_t i = c->bfirst[b]; i < c->bfirst[b + 1]; i++) {
            if (c->override[i]) {
                free(c->override[i]);
                c->override[i] = NULL;
                c->st.rewrites_ok--, c->st.rewrites_rejected++;
                changed = 1;
            }
            if (c->merged[i]) c->merged[i] = 0, changed = 1;
            if (!c->keep[i]) c->keep[i] = 1, changed = 1;
            if (!c->noedit[i]) {
                for (size_t e = 0; e < c->n_ed; e++)
                    if (c->ed_unit[e] == i) changed = 1;
                c->noedit[i] = 1;
            }
        }
        if (changed) (*n_rev)++;
    }
    return 0;
}

int lz_enforce_min_fidelity(lz_ctx *c) {
    for (int round = 0; c->o.min_fidelity > 0 && round < 3; round++) {
        int n_rev = 0;
        FORWARD_IF_ERROR(lz_measure_output(c, lz_text(&c->R), c->R.n));
        FORWARD_IF_ERROR(revert_low_paragraphs(c, lz_text(&c->R), &n_rev));
        if (!n_rev) break;
        lz_note(c, "lossy: %d paragraphs below fidelity %.2f reverted", n_rev, c->o.min_fidelity);
        FORWARD_IF_ERROR(lz_assemble_checked(c));
        FORWARD_IF_ERROR(lz_measure_output(c, lz_text(&c->R), c->R.n));
    }
    return 0;
}
