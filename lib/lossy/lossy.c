/*
 * lib/lossy/lossy.c — the lossy semantic mode's driver: the public entry
 * points (include/lmz_lossy.h), the coding of R, the choice between lossy
 * and lossless frames. The rules are in doc/lossy.md; the steps in the
 * files lossy.h lists.
 *
 * Model passes (each ~1 KB/s on the reference machine), in order:
 *   1. (levels 2-5) scoring pass over the canonical original C (level 1's
 *      form of every unit, the text the output is made from): per-token
 *      surprisal, the best safe alternative of each candidate token, and the
 *      hidden states of C that step 5 compares with (score.c);
 *   2. (--min-fidelity only) the similarity passes of step 5 on R before
 *      coding, repeated only when paragraphs had to be reverted (verify.c);
 *   3. lmz_compress(R) — repeated (on the shorter R) when levels 4–5 miss
 *      their target ratio;
 *   4. lmz_decompress of the frames (verification, verify.c);
 *   5. the semantic similarity: final-layer hidden states pooled per
 *      paragraph over C (pass 1's at levels 2-5, a pass of its own at level
 *      1) and over the decoded text; both skipped when the output is C
 *      itself (level 1 without a rewriter), the second skipped when step 2
 *      already measured byte-identical text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossy/lossy.h"

/* ======================================================================== */
/* Coding                                                                    */
/* ======================================================================== */

/* Codes R with the ordinary lossless path; levels 4-5 shrink R until the
 * target ratio is met (3 tries). *frames malloc'd, *fsize bytes. */
static int code_reconstruction(lz_ctx *c, uint8_t **frames, size_t *fsize) {
    const double ratio = lz_target_ratio(c);
    double budget = lz_bit_budget(c);
    for (int attempt = 0;; attempt++) {
        free(*frames);
        size_t cap = lmz_compress_bound(c->R.n);
        *frames = malloc(cap);
        if (!*frames) return LMZ_IERR(LMZ_error_memory);
        lz_note(c, "lossy: coding the reconstruction (%zu bytes)", c->R.n);
        lz_coder_progress q;
        lmz_params cp = lz_coder_params(c, &q, "coding", c->R.n, 0);
        cp.compact = 0; /* the report goes into the header: the full one (lz_patch_frames) */
        *fsize = lmz_compress(c->m, *frames, cap, lz_text(&c->R), c->R.n, &cp);
        RETURN_ERROR_IF(lmz_is_error(*fsize), lmz_err_code(*fsize), &c->msg, "coding the reconstruction failed: %s",
                        lmz_error_name(*fsize));
        double want = (double)c->n / ratio - LZ_OVERHEAD; /* room for the header and the report */
        if (c->o.level < 4 || attempt >= 3 || (double)*fsize <= want || want <= 0 || budget <= 0) return 0;
        budget *= want / (double)*fsize * 0.97;
        lz_note(c, "lossy: %zu bytes, above the target %.0f: dropping more", *fsize, want);
        FORWARD_IF_ERROR(lz_choose_units(c, budget));
        FORWARD_IF_ERROR(lz_assemble_checked(c));
    }
}

/* Levels 1-3 change little: the lossless frames of the original, when no
 * larger than the lossy ones, are the better output (exact, and smaller).
 * Returns their size (*ll malloc'd) or an error (*ll NULL). */
static size_t code_original(lz_ctx *c, uint8_t **ll) {
    size_t cap = lmz_compress_bound(c->n);
    *ll = malloc(cap);
    if (!*ll) return LMZ_ERR(LMZ_error_memory);
    lz_note(c, "lossy: coding the original losslessly (%zu bytes) for comparison", c->n);
    lz_coder_progress q;
    lmz_params cp = lz_coder_params(c, &q, "lossless", c->n, 0);
    size_t r = lmz_compress(c->m, *ll, cap, c->s, c->n, &cp);
    if (lmz_is_error(r)) free(*ll), *ll = NULL;
    return r;
}

/* The lossy frames of R (coded in frames[0..fsize)): verified by decoding
 * (o.verify), measured, their report attached. *out malloc'd. */
static int seal_frames(lz_ctx *c, const uint8_t *frames, size_t fsize, uint8_t **out, size_t *out_n) {
    char *decoded = NULL;
    lz_buf rep = {0};
    int rc = 0;
    /* verification: decode the frames, compare with R (auto: when R, what
     * decoding costs, is small enough; levels 4-5 make even long inputs so) */
    const int verify = c->o.verify < 0 ? c->R.n <= LMZ_LOSSY_VERIFY_AUTO_MAX : c->o.verify;
    if (verify && (rc = lz_verify_frames(c, frames, fsize, &decoded))) goto out;
    const char *text = decoded ? decoded : lz_text(&c->R);
    /* the similarity pass, on the decoded bytes (or on R measured before
     * coding, which the check just proved identical) */
    if (!c->r_measured && (rc = lz_measure_output(c, text, c->R.n))) goto out;
    if ((rc = lz_build_report(c, text, c->R.n, &rep))) goto out;
    if (c->st.prot_kept != c->st.prot_total) { /* cannot happen: lz_assemble_checked() */
        rc = lmz_fail(&c->msg, LMZ_error_generic, "internal: a protected span was lost");
        goto out;
    }
    if ((rc = lz_patch_frames(c, frames, fsize, &rep, out, out_n))) goto out;
    /* the patched frames must still describe R */
    size_t ds = lmz_decompressed_size(*out, *out_n);
    if (lmz_is_error(ds) || ds != c->R.n) {
        free(*out), *out = NULL;
        rc = lmz_fail(&c->msg, LMZ_error_generic, "internal: rewritten frames are inconsistent");
    }
out:
    free(decoded);
    lz_buf_free(&rep);
    return rc;
}

/* ======================================================================== */
/* Driver                                                                    */
/* ======================================================================== */

void lmz_lossy_opts_default(lmz_lossy_opts *o) {
    memset(o, 0, sizeof *o);
    o->level = 1;
    o->verify = -1;
    o->lossless_check = 1;
}

/* The output is the original's lossless frames ll[0..ln); lossy_n = 0:
 * the reconstruction was the original itself (not coded). */
static size_t lossless_out(lz_ctx *c, uint8_t **ll, size_t ln, size_t lossy_n, uint8_t **dst) {
    if (lossy_n)
        lz_note(c, "lossy: the lossless frames (%zu bytes) are no larger than the lossy ones (%zu): kept", ln, lossy_n);
    else
        lz_note(c, "lossy: the reconstruction is the original itself: lossless frames (%zu bytes)", ln);
    c->st.lossless = 1;
    c->st.lossy_bytes = lossy_n;
    c->st.frame_bytes = ln;
    *dst = *ll, *ll = NULL;
    return ln;
}

/* The transform only: R with the report's numbers (the similarity only if
 * measured). */
static int transform_out(lz_ctx *c, char **rtext) {
    lz_buf rep = {0};
    int rc = lz_build_report(c, lz_text(&c->R), c->R.n, &rep);
    lz_buf_free(&rep);
    if (rc) return rc;
    *rtext = c->R.p ? c->R.p : calloc(1, 1);
    if (!*rtext) return LMZ_IERR(LMZ_error_memory);
    memset(&c->R, 0, sizeof c->R);
    return 0;
}

/* dst non-NULL: lmz_lossy_compress(); else lmz_lossy_transform() into
 * *rtext. */
static size_t lossy_run(const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src, size_t n,
                        uint8_t **dst, char **rtext, lmz_lossy_stats *st, char *msg, size_t msg_cap) {
    lz_ctx c;
    uint8_t *frames = NULL, *ll = NULL, *lossy = NULL;
    size_t fsize = 0, ln = 0, lossy_n = 0, result = 0;
    int rc = lz_ctx_init(&c, m, p, o, src, n);
    if (rc || (rc = lz_build_reconstruction(&c, o->level >= 2)) || (rc = lz_enforce_min_fidelity(&c))) goto out;
    if (!dst) {
        size_t size = c.R.n;
        if (!(rc = transform_out(&c, rtext))) result = size;
        goto out;
    }
    const int compare = o->level <= 3 && o->lossless_check;

    /* nothing changed at all: the lossless frames say the same without a
     * report (an error there only means no such shortcut) */
    if (compare && c.R.n == n && (n == 0 || memcmp(c.R.p, src, n) == 0) && !lmz_is_error(ln = code_original(&c, &ll))) {
        result = lossless_out(&c, &ll, ln, 0, dst);
        goto out;
    }
    if ((rc = code_reconstruction(&c, &frames, &fsize))) goto out;

    /* levels 1-3: the lossless alternative (an error there only means no
     * alternative); the report only adds to the lossy frames, so a lossless
     * coding no larger than them wins without verifying or measuring */
    if (compare && !lmz_is_error(ln = code_original(&c, &ll)) && ln <= fsize) {
        result = lossless_out(&c, &ll, ln, fsize, dst);
        goto out;
    }
    if ((rc = seal_frames(&c, frames, fsize, &lossy, &lossy_n))) goto out;
    if (ll && ln <= lossy_n) {
        result = lossless_out(&c, &ll, ln, lossy_n, dst);
        goto out;
    }
    c.st.frame_bytes = c.st.lossy_bytes = lossy_n;
    *dst = lossy, lossy = NULL;
    result = lossy_n;
out:
    if (rc) {
        result = LMZ_ERR_FROM_INT(rc);
        if (msg && msg_cap) snprintf(msg, msg_cap, "%s", c.msg.text[0] ? c.msg.text : lmz_error_name(result));
    } else if (st) {
        *st = c.st;
    }
    free(frames), free(ll), free(lossy);
    lz_ctx_free(&c);
    return result;
}

size_t lmz_lossy_compress(const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                          size_t n, uint8_t **dst, lmz_lossy_stats *st, char *msg, size_t msg_cap) {
    if (!m || !o || !dst || (!src && n)) return LMZ_ERR(LMZ_error_parameter);
    *dst = NULL;
    return lossy_run(m, p, o, src ? src : "", n, dst, NULL, st, msg, msg_cap);
}

size_t lmz_lossy_transform(const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                           size_t n, char **out, lmz_lossy_stats *st, char *msg, size_t msg_cap) {
    if (!m || !o || !out || (!src && n)) return LMZ_ERR(LMZ_error_parameter);
    *out = NULL;
    return lossy_run(m, p, o, src ? src : "", n, NULL, out, st, msg, msg_cap);
}
