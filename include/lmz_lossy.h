/*
 * lmz_lossy.h — lossy semantic mode: an encoder-side policy on top of the
 * lossless coder (doc/lossy.md).
 *
 * The text is edited into a reconstruction R — canonical white space and
 * typography (level 1), safe word substitutions (2-3), dropped sentences
 * (4-5), rewrites from a caller-supplied rewriter — that never changes a
 * protected span (numbers, names, negations, quotations, URLs, code); R is
 * coded with the ordinary lossless path (lmz_compress) into frames flagged
 * lossy that carry a fidelity report (lmz_frame_report() in
 * lmz_frame_info.h reads it back). The decoder needs nothing from here: a
 * lossy frame decodes with lmz_decompress() to R.
 *
 * Conventions are those of lmz.h:
 *  - Functions returning size_t return a size or an error code (test with
 *    lmz_is_error()); a description of the failure goes into msg when given.
 *    Nothing is printed, nothing exits; the library never runs a command
 *    (the rewriter is the caller's function).
 *  - Untrusted input: src may be any bytes. Input that is not text (invalid
 *    UTF-8, NUL, many control bytes) or larger than LMZ_LOSSY_MAX_INPUT is
 *    refused with an error; a rewrite returned by the rewriter is treated as
 *    untrusted too (checked for text, length, protected spans and
 *    similarity before it is used).
 *  - Ownership: src, the options and the model remain the caller's and are
 *    only read. On success *dst (or *out) is malloc'd by the library and
 *    freed by the caller with free(); on failure it is NULL. A rewrite
 *    returned by the rewriter is malloc'd by the rewriter and freed by the
 *    library.
 *  - Determinism: the output depends only on the input, the model, the
 *    options and the parameters recorded in the frame; never on the thread
 *    count, the SIMD path or the machine.
 *  - Memory: the whole text is held at once (a few times its size, plus the
 *    model's working set).
 */
#ifndef LMZ_LOSSY_H
#define LMZ_LOSSY_H

#include <stddef.h>
#include <stdint.h>

#include "lmz.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LMZ_LOSSY_LEVEL_MAX 5
/* verify = -1 decodes reconstructions (the decoder's output) up to this
 * size (decoding runs ~0.6 KB/s) */
#define LMZ_LOSSY_VERIFY_AUTO_MAX (256u << 10)
/* the largest input the lossy mode takes (it holds the text in memory) */
#define LMZ_LOSSY_MAX_INPUT (64u << 20)

/* An external rewriter (--rewriter CMD): given one paragraph, returns 0 and
 * a malloc'd rewrite in *out (*out_n bytes), or non-zero to keep the
 * paragraph. Called from the calling thread, at most once per paragraph. */
typedef int (*lmz_lossy_rewrite_fn)(void *opaque, const char *para, size_t n, char **out, size_t *out_n);

typedef struct {
    int level;             /* 1..5 */
    double min_fidelity;   /* 0: off. Else paragraphs whose chrF or semantic similarity falls
                              below it get their edits undone (doc/lossy.md) */
    int verify;            /* -1 auto (decode when R <= LMZ_LOSSY_VERIFY_AUTO_MAX bytes), 0 no, 1 yes */
    int lossless_check;    /* levels 1-3 (default 1): also code the original losslessly and
                              return that frame when it is no larger (st->lossless = 1) */
    double target_ratio;   /* levels 4-5: original / compressed size to reach; 0 = level default */
    lmz_lossy_rewrite_fn rewrite; /* may be NULL */
    void *rewrite_opaque;
    void (*note)(void *opaque, const char *line); /* progress notes, may be NULL */
    void *note_opaque;
    /* progress of the pass under way, from the calling thread, may be NULL:
     * stage is "scoring", "similarity", "coding", "verifying" or "lossless"
     * (the original, for the comparison of levels 1-3); done and total are
     * bytes of the text that pass reads (done == total at its end) */
    void (*progress)(void *opaque, const char *stage, uint64_t done, uint64_t total);
    void *progress_opaque;
} lmz_lossy_opts;

/* Level 1, verify auto, lossless_check on, no rewriter, no callbacks. */
LMZ_API void lmz_lossy_opts_default(lmz_lossy_opts *o);

/* What the fidelity report says (also serialised into the frame). */
typedef struct {
    int level;
    int verified;                   /* 1: the frames were decoded and matched R */
    uint64_t in_bytes, out_bytes;   /* original input; R */
    uint64_t frame_bytes;           /* the .lmz output */
    int lossless;                   /* 1: the output is the original's lossless frame, no larger
                                       than the lossy one (levels 1-3, lossless_check) */
    uint64_t lossy_bytes;           /* the lossy frames' size (with the report when built) */
    uint64_t prot_total, prot_kept; /* protected spans in kept units; found intact */
    uint64_t prot_dropped;          /* protected spans inside dropped units */
    uint64_t prot_added;            /* protected-looking spans in R absent from the original unit */
    uint64_t units, units_kept;     /* sentences and code lines */
    uint64_t words, word_edits;     /* token edit rate = word_edits / words (kept units) */
    uint64_t subst, deletions, reverted, rewrites_ok, rewrites_rejected;
    double chrf_kept, chrf_doc;     /* chrF of the kept text, of the whole document */
    double sem_mean, sem_min;       /* per-paragraph cosine of mean-pooled final hidden states */
    uint64_t paragraphs, paragraphs_low; /* measured; below min_fidelity (or 0.9) */
    /* levels 2-5, from the scoring pass (the model alone, no mixing): */
    double text_bits;     /* the canonical original's code length under the model */
    double cand_bits;     /* ... of the words and marks the substitution rule looks at */
    double headroom_bits; /* sum over them of log2 p(best safe alternative) / p(actual),
                             where positive: what the level's substitutions could save
                             at most, ignoring the effect on later tokens */
    double free_bits;     /* the same with no safety rule: each candidate replaced by the
                             model's favourite token (what meaning-changing edits could save) */
} lmz_lossy_stats;

/* Compresses src[0..n) lossily with model m (p may be NULL: defaults). On
 * success returns the frame size, with the frames in *dst (malloc'd, caller
 * frees) and the fidelity report's numbers in *st (may be NULL). At levels
 * 1-3 with o->lossless_check the frames are the ordinary lossless frames of
 * src when those are no larger (st->lossless; the report's numbers are then
 * those of the discarded lossy version, as far as they were measured). On
 * failure returns an error code and, if msg is non-NULL, a description
 * (msg_cap bytes). */
LMZ_API size_t lmz_lossy_compress(const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                          size_t n, uint8_t **dst, lmz_lossy_stats *st, char *msg, size_t msg_cap);

/* The reconstruction R alone (no model pass at level 1 with o->verify 0;
 * the levels above run the scoring pass): for tests and tools. *out is
 * malloc'd (caller frees). Returns R's size or an error. */
LMZ_API size_t lmz_lossy_transform(const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                           size_t n, char **out, lmz_lossy_stats *st, char *msg, size_t msg_cap);

#ifdef __cplusplus
}
#endif

#endif /* LMZ_LOSSY_H */
