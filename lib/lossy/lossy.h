/*
 * lib/lossy/lossy.h — the lossy mode inside the library: what its files
 * share (the public API is include/lmz_lossy.h; the rules doc/lossy.md).
 *
 *     text ──► protected spans, blocks, sentences (text.c)
 *          ──► one model pass over the canonical original: surprisal,
 *              alternatives, final-layer hidden states (score.c)
 *          ──► reconstruction R: canonical text (level 1), safe token
 *              substitutions (2–3), dropped sentences (4–5), verified
 *              rewrites (--rewriter), every protected span checked (edit.c)
 *          ──► lmz_compress(R) — the ordinary lossless path (lossy.c)
 *          ──► verification: the frames decoded with lmz_decompress,
 *              similarity per paragraph on what came out (verify.c)
 *          ──► fidelity report, frames flagged lossy with the report
 *              attached (report.c)
 *
 * The files call each other one way only, in this order:
 *
 *     context.c ◄── score.c ◄── edit.c ◄── verify.c ◄── report.c ◄── lossy.c
 *
 * (each may use any file to its left). Internal functions return 0 or
 * LMZ_IERR(code) (common.h: RETURN_ERROR_IF, FORWARD_IF_ERROR), with a
 * description in lz_ctx.msg when there is more to say; lossy.c turns that
 * into the public size_t error and message.
 */
#ifndef LMZ_LOSSY_INTERNAL_H
#define LMZ_LOSSY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "lmz_lossy.h"
#include "lossy/text.h"

#define LZ_SEM_LOW 0.90     /* paragraphs below this similarity are listed */
#define LZ_REWRITE_SIM 0.85 /* a rewrite needs at least this similarity */
#define LZ_OVERHEAD 400     /* bytes of frame header + report, estimated, for the size targets */

/* Level settings: log2 of p(alternative) / p(actual) needed to substitute;
 * the compression ratio levels 4-5 aim at. */
static inline double lz_level_threshold_bits(int level) { return level >= 3 ? 1.0 : 3.0; }
static inline double lz_level_ratio(int level) { return level >= 5 ? 16.0 : 8.0; }

/* ======================================================================== */
/* Context (context.c)                                                       */
/* ======================================================================== */

typedef struct {
    const lmz_model *m;
    const lmz_params *p_in; /* the caller's parameters (may be NULL), for the coder */
    lmz_params p;           /* ... resolved, for the model passes */
    lmz_lossy_opts o;
    lmz_pool *pool;
    lmz_msg msg;
    const char *s;
    size_t n;
    lz_spans sp;
    lz_units u;
    /* per unit */
    uint8_t *keep, *noedit, *verbatim, *merged;
    char **override;
    size_t *override_n;
    double *ubits;
    uint32_t *uprot;
    uint32_t *uo_start, *uo_end; /* range in R; uo_start == UINT32_MAX when not emitted */
    /* per block */
    uint32_t *bfirst; /* units of block b: [bfirst[b], bfirst[b + 1]) */
    uint32_t *bo_start, *bo_end;
    double *h_orig, *c_orig, *h_out, *c_out; /* pooled hidden sums [nb][d], counts [nb] */
    /* the similarity's reference: the canonical original C (layout() with
     * reference set) and its block ranges; h_orig/c_orig are measured on it */
    lz_buf C;
    lz_map Cmap; /* origin of every byte of C; kept only for the scoring pass */
    uint32_t *bc_start, *bc_end;
    int ref_laid, ref_measured;
    int r_is_ref; /* the measured text is C, block for block: similarity 1 without a pass */
    uint32_t d;
    /* edits */
    lz_edit *ed;
    uint32_t *ed_unit;
    size_t n_ed, cap_ed;
    /* R */
    lz_buf R;
    int r_measured; /* h_out holds the pass over the current R */
    lmz_lossy_stats st;
} lz_ctx;

/* Levels 4-5: the compression ratio to reach, and what it leaves for R in
 * bits (the frame header and the report set aside). */
static inline double lz_target_ratio(const lz_ctx *c) {
    return c->o.target_ratio > 0 ? c->o.target_ratio : lz_level_ratio(c->o.level);
}
static inline double lz_bit_budget(const lz_ctx *c) {
    return 8.0 * (double)c->n / lz_target_ratio(c) - 8.0 * LZ_OVERHEAD;
}

/* Checks the options and the input, segments the text, allocates the
 * per-unit and per-block arrays. c is always safe to lz_ctx_free(). */
int lz_ctx_init(lz_ctx *c, const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                size_t n);
void lz_ctx_free(lz_ctx *c);

/* A buffer's text, "" when nothing was ever put in it. */
static inline const char *lz_text(const lz_buf *b) { return b->p ? b->p : ""; }

/* o.note, formatted (one line, at most 255 bytes). */
void lz_note(lz_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* o.progress: `stage` is done bytes of total. */
void lz_progress(lz_ctx *c, const char *stage, uint64_t done, uint64_t total);

/* The coder's progress (lmz_params.progress) as a stage of the lossy run. */
typedef struct {
    lz_ctx *c;
    const char *stage;
    uint64_t total;
    int by_output; /* decoding: count output bytes */
} lz_coder_progress;
/* The caller's parameters with their progress reported as `stage` through
 * q (which must outlive the coding call). */
lmz_params lz_coder_params(lz_ctx *c, lz_coder_progress *q, const char *stage, uint64_t total, int by_output);

/* ======================================================================== */
/* Model passes (score.c)                                                    */
/* ======================================================================== */

/* The scoring pass over C (laid out with its map: lz_lay_reference(c, 1)):
 * per-unit surprisal (ubits), the statistics of the substitution rule, the
 * edits of levels 2-3, and C's pooled hidden states (the similarity's
 * reference). */
int lz_scoring_pass(lz_ctx *c);
/* One pass over text, pooling the hidden states of each prose block
 * [bs[b], be[b]) into h[b] (count in cnt[b]). */
int lz_measure_blocks(lz_ctx *c, const char *text, size_t n, const uint32_t *bs, const uint32_t *be, double *h,
                      double *cnt);
/* Mean-pooled final hidden state of a standalone text (acc[0..d), summed). */
int lz_embed_text(lz_ctx *c, const char *text, size_t n, double *acc);
double lz_cosine(const double *a, const double *b, uint32_t d);

/* ======================================================================== */
/* Building R (edit.c)                                                       */
/* ======================================================================== */

/* Builds R: scoring pass (when `scoring`), rewriter, drops (levels 4-5),
 * then the protected-span check. Everything but the coding. */
int lz_build_reconstruction(lz_ctx *c, int scoring);
/* The canonical original C, laid out once (with its byte origins when the
 * scoring pass is to read it). */
int lz_lay_reference(lz_ctx *c, int with_map);
/* Keeps the most informative units within budget_bits (levels 4-5). */
int lz_choose_units(lz_ctx *c, double budget_bits);
/* Assembles R and undoes whatever breaks a protected span or adds one. */
int lz_assemble_checked(lz_ctx *c);
/* Original byte range a unit stands for (a rewrite stands for its block). */
void lz_unit_range(const lz_ctx *c, size_t i, uint32_t *a, uint32_t *b);
/* Protected spans of unit i: counted (*total), found in order in its output
 * out[0..on) (*found), protected-looking spans of the output found in
 * neither the original nor its canonical form (*added). */
int lz_check_unit(lz_ctx *c, size_t i, const char *out, size_t on, uint64_t *total, uint64_t *found,
                  uint64_t *added);

/* ======================================================================== */
/* Verification and similarity (verify.c)                                    */
/* ======================================================================== */

/* --min-fidelity: measures R's paragraphs before coding and undoes the
 * weak ones (up to 3 rounds). Nothing when o.min_fidelity is 0. */
int lz_enforce_min_fidelity(lz_ctx *c);
/* Decodes frames[0..fsize) and checks that they give R: 0 with the decoded
 * text in *decoded (malloc'd), or -error. */
int lz_verify_frames(lz_ctx *c, const uint8_t *frames, size_t fsize, char **decoded);
/* The similarity pass over text (R or the decoded R), laid out as the last
 * assemble(); none when text is C block for block. */
int lz_measure_output(lz_ctx *c, const char *text, size_t n);
/* Similarity of prose block b (emitted) after lz_measure_output(); 0 when
 * it has no tokens on one side (not measured). */
int lz_block_similarity(const lz_ctx *c, uint32_t b, double *sim);

/* ======================================================================== */
/* Report and frames (report.c)                                              */
/* ======================================================================== */

/* Computes the metrics on text (the decoded R, or R) into c->st and writes
 * the report (doc/format.md §6) into rep. */
int lz_build_report(lz_ctx *c, const char *text, size_t tn, lz_buf *rep);
/* The frames src[0..n) flagged lossy, the report attached to the first:
 * *dst malloc'd, *dn bytes. */
int lz_patch_frames(lz_ctx *c, const uint8_t *src, size_t n, const lz_buf *rep, uint8_t **dst, size_t *dn);

#endif /* LMZ_LOSSY_INTERNAL_H */
