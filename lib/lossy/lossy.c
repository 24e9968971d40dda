/*
 * lib/lossy/lossy.c — the lossy semantic mode: policy, verification, report.
 * The rules are in doc/lossy.md; the model-free pieces in text.c.
 *
 * Model passes (each ~1 KB/s on the reference machine), in order:
 *   1. (levels 2-5) scoring pass over the canonical original C (level 1's
 *      form of every unit, the text the output is made from): per-token
 *      surprisal, the best safe alternative of each candidate token, and the
 *      hidden states of C that step 5 compares with;
 *   2. (--min-fidelity only) the similarity passes of step 5 on R before
 *      coding, repeated only when paragraphs had to be reverted;
 *   3. lmz_compress(R) — repeated (on the shorter R) when levels 4–5 miss
 *      their target ratio;
 *   4. lmz_decompress of the frames (verification);
 *   5. the semantic similarity: final-layer hidden states pooled per
 *      paragraph over C (pass 1's at levels 2-5, a pass of its own at level
 *      1) and over the decoded text; both skipped when the output is C
 *      itself (level 1 without a rewriter), the second skipped when step 2
 *      already measured byte-identical text.
 */
#include "lossy/lossy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec/codec.h"
#include "format/frame.h"
#include "kernels/lmz_math.h"
#include "lossy/text.h"
#include "model/model.h"

#define LZ_ROWS 64u        /* rows per forward call */
#define LZ_TOPK 16         /* alternatives examined per candidate token */
#define LZ_REPORT_TAG 1    /* extra section tag of the fidelity report, as text */
#define LZ_REPORT_TAG_ZSTD 2 /* ... as one zstd frame (when smaller) */
#define LZ_SEM_LOW 0.90    /* paragraphs below this similarity are listed */
#define LZ_REWRITE_SIM 0.85 /* a rewrite needs at least this similarity */
#define LZ_OVERHEAD 400     /* bytes of frame header + report, estimated, for the size targets */

/* Level settings: log2 of p(alternative) / p(actual) needed to substitute. */
static double level_threshold_bits(int level) { return level >= 3 ? 1.0 : 3.0; }
static double level_ratio(int level) { return level >= 5 ? 16.0 : 8.0; }

/* ======================================================================== */
/* Context                                                                   */
/* ======================================================================== */

typedef struct {
    const lmz_model *m;
    lmz_params p;
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

static void note(lz_ctx *c, const char *fmt, ...) {
    if (!c->o.note) return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->o.note(c->o.note_opaque, line);
}

static void report(lz_ctx *c, const char *stage, uint64_t done, uint64_t total) {
    if (c->o.progress) c->o.progress(c->o.progress_opaque, stage, done, total);
}

/* The coder's progress (lmz_params.progress) as a stage of the lossy run. */
typedef struct {
    lz_ctx *c;
    const char *stage;
    uint64_t total;
    int by_output; /* decoding: count output bytes */
} coder_progress;
static void coder_progress_fn(void *opaque, uint64_t in_done, uint64_t out_done) {
    coder_progress *q = opaque;
    uint64_t done = q->by_output ? out_done : in_done;
    report(q->c, q->stage, done < q->total ? done : q->total, q->total);
}
/* p with its progress reported as `stage` through q. */
static lmz_params coder_params(lz_ctx *c, const lmz_params *p, coder_progress *q, const char *stage, uint64_t total,
                               int by_output) {
    lmz_params cp;
    if (p) cp = *p;
    else lmz_params_default(&cp);
    *q = (coder_progress){c, stage, total, by_output};
    if (c->o.progress) cp.progress = coder_progress_fn, cp.progress_opaque = q;
    report(c, stage, 0, total); /* the coder reports after its first batch */
    return cp;
}

static void ctx_free(lz_ctx *c) {
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
/* Model passes                                                              */
/* ======================================================================== */

/* Row t of ids[0..N) (ids[0] = BOS): hid = final hidden state of token t,
 * logits = the prediction of ids[t + 1] (NULL for the last row). */
typedef void (*row_fn)(void *arg, size_t t, const float *logits, const float *hid);

/* off[0..N]: the byte offset of each row's token (off[N] = the text's
 * length), for the progress of `stage`. */
static int model_pass(lz_ctx *c, const int32_t *ids, const uint32_t *off, size_t N, const char *stage, row_fn fn,
                      void *arg) {
    const llama_model *L = &c->m->llm;
    const uint32_t V = L->hp.n_vocab, d = L->hp.n_embd;
    llama_work *w = llama_work_create(L, LZ_ROWS, c->p.window);
    llama_kv kv;
    memset(&kv, 0, sizeof kv);
    float *logits = malloc((size_t)LZ_ROWS * V * sizeof(float));
    int rc = 0;
    if (!w || !logits || llama_kv_init(&kv, L, c->p.window)) {
        rc = -LMZ_error_memory;
        goto out;
    }
    llama_kv_reset(&kv);
    report(c, stage, 0, off[N]);
    for (size_t i = 0; i < N;) {
        uint32_t k = (uint32_t)(N - i < LZ_ROWS ? N - i : LZ_ROWS);
        if ((rc = llama_forward_seq(L, w, &kv, ids + i, k, 0, logits, c->pool))) break;
        const float *hid = llama_work_hidden(w);
        for (uint32_t r = 0; r < k; r++)
            fn(arg, i + r, i + r + 1 < N ? logits + (size_t)r * V : NULL, hid + (size_t)r * d);
        i += k;
        report(c, stage, off[i], off[N]);
    }
out:
    llama_kv_free(&kv);
    llama_work_free(w);
    free(logits);
    return rc;
}

/* Adds RMSNorm(h) * out_norm (the final norm, the model's own embedding of
 * the token in context) to acc[0..d). */
static void pool_hidden(const llama_model *L, const float *h, double *acc) {
    const uint32_t d = L->hp.n_embd;
    double ss = 0;
    for (uint32_t i = 0; i < d; i++) ss += (double)h[i] * h[i];
    double inv = 1.0 / sqrt(ss / d + L->hp.norm_eps);
    for (uint32_t i = 0; i < d; i++) acc[i] += (double)h[i] * inv * L->out_norm[i];
}

static double cosine(const double *a, const double *b, uint32_t d) {
    double ab = 0, aa = 0, bb = 0;
    for (uint32_t i = 0; i < d; i++) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}

/* Hidden states pooled per block of a text. */
typedef struct {
    lz_ctx *c;
    const uint32_t *off;
    const uint32_t *bs, *be; /* block ranges in the text, UINT32_MAX when not emitted */
    double *h, *cnt;         /* pooled sums [nb][d], counts [nb] */
    uint32_t bcur;
} out_job;

/* Adds row t's hidden state to the sum of the prose block that holds it
 * (rows in text order). */
static void pool_row(out_job *j, size_t t, const float *hid) {
    lz_ctx *c = j->c;
    if (t == 0) return;
    uint32_t pos = j->off[t];
    /* the emitted block that holds pos (blocks are in text order) */
    while (j->bcur < c->u.n_blocks && (j->bs[j->bcur] == UINT32_MAX || j->be[j->bcur] <= pos)) {
        if (j->bs[j->bcur] != UINT32_MAX && j->bs[j->bcur] > pos) break;
        j->bcur++;
    }
    uint32_t b = j->bcur;
    if (b >= c->u.n_blocks || j->bs[b] == UINT32_MAX || pos < j->bs[b] || pos >= j->be[b]) return;
    if (c->u.v[c->bfirst[b]].kind != LZ_U_SENT) return;
    pool_hidden(&c->m->llm, hid, j->h + (size_t)b * c->d);
    j->cnt[b] += 1;
}

static void out_row(void *arg, size_t t, const float *logits, const float *hid) {
    (void)logits;
    pool_row(arg, t, hid);
}

/* Tokens of text with BOS in front, and each token's byte offset
 * (off[t] for t >= 1; off[N] = n). */
static int tokenize(lz_ctx *c, const char *text, size_t n, int32_t **ids_out, uint32_t **off_out, size_t *N_out) {
    int32_t *tok = NULL;
    size_t nt = 0;
    if (tok_encode(c->m->tok, (const uint8_t *)text, n, &tok, &nt)) return -LMZ_error_memory;
    int32_t *ids = malloc((nt + 1) * sizeof *ids);
    uint32_t *off = malloc((nt + 2) * sizeof *off);
    if (!ids || !off) {
        free(tok), free(ids), free(off);
        return -LMZ_error_memory;
    }
    ids[0] = tok_bos(c->m->tok);
    memcpy(ids + 1, tok, nt * sizeof *tok);
    free(tok);
    uint32_t pos = 0;
    off[0] = 0;
    for (size_t t = 1; t <= nt; t++) {
        off[t] = pos;
        uint32_t len = 0;
        tok_bytes(c->m->tok, ids[t], &len);
        pos += len;
    }
    off[nt + 1] = pos;
    *ids_out = ids, *off_out = off, *N_out = nt + 1;
    return 0;
}

/* Mean-pooled final hidden state of a standalone text (for rewrites). */
typedef struct {
    lz_ctx *c;
    double *acc;
    double cnt;
} embed_job;
static void embed_row(void *arg, size_t t, const float *logits, const float *hid) {
    embed_job *j = arg;
    (void)logits;
    if (t == 0) return; /* BOS */
    pool_hidden(&j->c->m->llm, hid, j->acc);
    j->cnt += 1;
}
static int embed_text(lz_ctx *c, const char *text, size_t n, double *acc) {
    int32_t *ids;
    uint32_t *off;
    size_t N;
    memset(acc, 0, c->d * sizeof *acc);
    int rc = tokenize(c, text, n, &ids, &off, &N);
    if (rc) return rc;
    embed_job j = {c, acc, 0};
    rc = model_pass(c, ids, off, N, "similarity", embed_row, &j);
    free(ids), free(off);
    return rc;
}

/* ======================================================================== */
/* The scoring pass over the canonical original                              */
/* ======================================================================== */

/* The pass reads C, the text every level's output is made from (level 1's
 * form of every unit): surprisal is what the coder will pay, and the same
 * rows give the similarity's reference. Offsets below are in C unless they
 * say original; map[] takes a byte of C back to the original. */
static int lay_reference(lz_ctx *c, int with_map);

typedef struct {
    lz_ctx *c;
    const char *t;    /* C[0..tn) */
    size_t tn;
    const uint32_t *map;
    const int32_t *ids;
    const uint32_t *off;
    size_t N;
    size_t ucur;      /* unit cursor (units sorted by start) */
    size_t scur;      /* span cursor */
    double thr_nats;
    int fail;         /* out of memory */
    out_job pool;     /* the reference's hidden states */
} score_job;

/* The unit that owns byte offset pos: the last unit starting at or before it. */
static size_t unit_at(const lz_ctx *c, size_t *cur, size_t pos) {
    while (*cur + 1 < c->u.n && c->u.v[*cur + 1].start <= pos) (*cur)++;
    return *cur;
}

/* A token's shape: optional one leading space, then a body of lower-case
 * letters or a single , ; : mark. Returns 1 if it has that shape. */
static int token_shape(const char *b, uint32_t len, int *lead, const char **body, uint32_t *bl) {
    *lead = len > 0 && b[0] == ' ';
    *body = b + *lead;
    *bl = len - (uint32_t)*lead;
    if (*bl == 0 || *bl > 20) return 0;
    if (*bl == 1 && ((*body)[0] == ',' || (*body)[0] == ';' || (*body)[0] == ':')) return 2;
    for (uint32_t i = 0; i < *bl; i++)
        if ((*body)[i] < 'a' || (*body)[i] > 'z') return 0;
    return 1;
}

static int add_edit(lz_ctx *c, uint32_t a, uint32_t b, const char *rep, uint32_t rl, int kind, uint32_t unit) {
    if (rl >= sizeof c->ed[0].rep) return 0;
    if (c->n_ed == c->cap_ed) {
        size_t cap = c->cap_ed ? c->cap_ed * 2 : 256;
        lz_edit *e = realloc(c->ed, cap * sizeof *e);
        if (!e) return -1;
        c->ed = e;
        uint32_t *eu = realloc(c->ed_unit, cap * sizeof *eu);
        if (!eu) return -1;
        c->ed_unit = eu;
        c->cap_ed = cap;
    }
    lz_edit *e = &c->ed[c->n_ed];
    e->start = a, e->end = b, e->rep_len = (uint8_t)rl, e->kind = (uint8_t)kind;
    memcpy(e->rep, rep, rl);
    c->ed_unit[c->n_ed++] = unit;
    return 0;
}

/* Token k (k >= 1) of C: is it a candidate, and is there a safe alternative
 * that the model prefers by the level's margin? */
static void consider_token(score_job *j, size_t k, const float *logits, double bits) {
    lz_ctx *c = j->c;
    const uint32_t V = c->m->llm.hp.n_vocab;
    const char *T = j->t;
    const uint32_t a0 = j->off[k], a1 = j->off[k + 1];
    if (a1 <= a0 || a1 > j->tn) return;
    int lead;
    const char *body;
    uint32_t bl;
    int shape = token_shape(T + a0, a1 - a0, &lead, &body, &bl);
    if (!shape) return;
    const uint32_t b0 = a1 - bl; /* the body's bytes */
    /* ... and in the original: copied there one for one (an ASCII stand-in
     * for a typographic character is not a word of the original) */
    const uint32_t o0 = j->map[b0], o1 = j->map[a1 - 1] + 1;
    if (o1 - o0 != bl || memcmp(c->s + o0, body, bl) != 0) return;
    size_t ui = unit_at(c, &j->ucur, o0);
    const lz_unit *U = &c->u.v[ui];
    if (U->kind != LZ_U_SENT || o0 < U->start || o1 > U->end) return;
    /* a whole word: nothing word-like glued on either side */
    if (shape == 1) {
        if (!lead && b0 > 0) {
            char p = T[b0 - 1];
            if ((p >= 'a' && p <= 'z') || (p >= 'A' && p <= 'Z') || (p >= '0' && p <= '9') || p == '\'' || (unsigned char)p >= 0x80)
                return;
        }
        if (a1 < j->tn) {
            char q = T[a1];
            if ((q >= 'a' && q <= 'z') || (q >= 'A' && q <= 'Z') || (q >= '0' && q <= '9') || q == '\'' || (unsigned char)q >= 0x80)
                return;
        }
    }
    /* outside every protected span */
    while (j->scur < c->sp.n && c->sp.v[j->scur].end <= o0) j->scur++;
    if (j->scur < c->sp.n && c->sp.v[j->scur].start < o1) return;
    c->st.cand_bits += bits;
    /* the next word's first letter (for a/an) */
    char next = 0;
    for (size_t q = a1; q < j->tn && q < (size_t)a1 + 8; q++) {
        char ch = T[q];
        if (ch == ' ') continue;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) next = ch;
        break;
    }
    /* the top alternatives */
    int32_t top[LZ_TOPK];
    int nt = 0;
    for (uint32_t v = 0; v < V; v++) {
        float x = logits[v];
        if (nt == LZ_TOPK && x <= logits[top[nt - 1]]) continue;
        int p = nt < LZ_TOPK ? nt++ : LZ_TOPK - 1;
        while (p > 0 && logits[top[p - 1]] < x) top[p] = top[p - 1], p--;
        top[p] = (int32_t)v;
    }
    /* the most likely alternative that the level's rule allows: taken when
     * the model prefers it by the threshold; its gain in bits counts towards
     * the headroom either way */
    const int32_t actual = j->ids[k];
    const float la = logits[actual];
    if (nt && top[0] != actual && logits[top[0]] > la) c->st.free_bits += ((double)logits[top[0]] - la) / M_LN2;
    for (int r = 0; r < nt; r++) {
        const int32_t alt = top[r];
        if (logits[alt] <= la) break; /* sorted: no later one is preferred */
        if (alt == actual) continue;
        const double gain = (double)logits[alt] - la; /* nats */
        const int take = gain >= j->thr_nats;
        /* deletion: the model expects the next token right away */
        if (k + 1 < j->N && alt == j->ids[k + 1] && lz_safe_deletion(body, bl, c->o.level)) {
            c->st.headroom_bits += gain / M_LN2;
            if (take && add_edit(c, o0, o1, "", 0, LZ_E_DELETE, (uint32_t)ui)) j->fail = 1;
            return;
        }
        uint32_t len = 0;
        const uint8_t *ab = tok_bytes(c->m->tok, alt, &len);
        int alead;
        const char *abody;
        uint32_t abl;
        int ashape = token_shape((const char *)ab, len, &alead, &abody, &abl);
        if (!ashape || alead != lead) continue;
        if (lz_safe_substitution(body, bl, abody, abl, c->o.level, next)) {
            c->st.headroom_bits += gain / M_LN2;
            if (take && add_edit(c, o0, o1, abody, abl, LZ_E_SUBST, (uint32_t)ui)) j->fail = 1;
            return;
        }
    }
}

static void score_row(void *arg, size_t t, const float *logits, const float *hid) {
    score_job *j = arg;
    lz_ctx *c = j->c;
    pool_row(&j->pool, t, hid);
    if (!logits || t + 1 >= j->N || !c->u.n) return;
    /* surprisal of token t + 1 */
    const size_t k = t + 1;
    const uint32_t V = c->m->llm.hp.n_vocab;
    float mx = logits[0];
    for (uint32_t v = 1; v < V; v++)
        if (logits[v] > mx) mx = logits[v];
    /* our exp/log, not libm's: the encoder's choices (which words change,
     * which sentences go) are the same on every machine */
    double se = 0;
    for (uint32_t v = 0; v < V; v++) se += (double)lmz_expf(logits[v] - mx);
    double bits = ((double)mx + lmz_log_d(se) - logits[j->ids[k]]) / M_LN2;
    c->ubits[unit_at(c, &j->ucur, j->map[j->off[k]])] += bits;
    c->st.text_bits += bits;
    if (c->o.level >= 2) consider_token(j, k, logits, bits);
}

static int scoring_pass(lz_ctx *c) {
    int32_t *ids;
    uint32_t *off;
    size_t N;
    int rc = lay_reference(c, 1);
    if (rc) return rc;
    const char *text = c->C.p ? c->C.p : "";
    if ((rc = tokenize(c, text, c->C.n, &ids, &off, &N))) return rc;
    note(c, "lossy: scoring pass over the canonical original, %zu bytes (%zu tokens)", c->C.n, N - 1);
    const size_t nb = c->u.n_blocks;
    memset(c->h_orig, 0, nb * c->d * sizeof(double));
    memset(c->c_orig, 0, nb * sizeof(double));
    score_job j = {c, text, c->C.n, c->Cmap.v, ids, off, N, 0, 0, level_threshold_bits(c->o.level) * M_LN2, 0,
                   {c, off, c->bc_start, c->bc_end, c->h_orig, c->c_orig, 0}};
    rc = model_pass(c, ids, off, N, "scoring", score_row, &j);
    if (!rc && j.fail) rc = -LMZ_error_memory;
    if (!rc) c->ref_measured = 1;
    /* the edits came in C's order, which is the original's (map[] does not
     * decrease): sorted, as lz_canon_append() wants them */
    lz_map_free(&c->Cmap);
    if (!rc && c->o.level >= 2)
        note(c, "lossy: %zu edits; the text costs the model %.0f bits, the candidate words %.0f; safe alternatives "
                "could save at most %.0f, any alternative %.0f",
             c->n_ed, c->st.text_bits, c->st.cand_bits, c->st.headroom_bits, c->st.free_bits);
    free(ids), free(off);
    return rc;
}

/* ======================================================================== */
/* Assembling R                                                              */
/* ======================================================================== */

/* The active edits: those of units whose edits are on. */
static lz_edit *active_edits(lz_ctx *c, size_t *n_act) {
    lz_edit *a = malloc((c->n_ed + 1) * sizeof *a);
    size_t k = 0;
    if (a)
        for (size_t i = 0; i < c->n_ed; i++)
            if (!c->noedit[c->ed_unit[i]] && !c->verbatim[c->ed_unit[i]]) a[k++] = c->ed[i];
    *n_act = k;
    return a;
}

/* Original byte range a unit stands for (a rewrite stands for its block). */
static void unit_range(const lz_ctx *c, size_t i, uint32_t *a, uint32_t *b) {
    const lz_unit *U = &c->u.v[i];
    *a = U->start, *b = U->end;
    if (c->override[i]) *b = c->u.v[c->bfirst[U->block + 1] - 1].end;
}

static void unit_text(lz_ctx *c, lz_buf *out, size_t i, const lz_edit *act, size_t n_act) {
    const lz_unit *U = &c->u.v[i];
    if (c->override[i]) lz_buf_put(out, c->override[i], c->override_n[i]);
    else if (c->verbatim[i] || U->kind == LZ_U_LINE) lz_buf_put(out, c->s + U->start, U->end - U->start);
    else lz_canon_append(out, c->s, U->start, U->end, &c->sp, act, n_act, NULL);
}

/* Lays the units out as text: kept units of a block joined by one space, a
 * block's own line break, one blank line for a run of blank units. With
 * reference set, every unit is kept at its level-1 form (no edits, drops or
 * rewrites): the canonical original C, what the scoring pass reads and the
 * similarity's reference; map (may be NULL) then gets the origin of each
 * byte. Writes the byte range of each unit (uo, may be NULL) and block (bo)
 * in out. */
static int layout(lz_ctx *c, lz_buf *out, uint32_t *uo_s, uint32_t *uo_e, uint32_t *bo_s, uint32_t *bo_e,
                  int reference, lz_map *map) {
    size_t n_act = 0;
    lz_edit *act = reference ? NULL : active_edits(c, &n_act);
    if (!reference && !act) return -LMZ_error_memory;
    out->n = 0;
    int last_blank = 1; /* nothing emitted yet counts as a break */
    for (uint32_t b = 0; b < c->u.n_blocks; b++) {
        bo_s[b] = bo_e[b] = UINT32_MAX;
        uint32_t u0 = c->bfirst[b], u1 = c->bfirst[b + 1];
        int emitted = 0;
        for (uint32_t i = u0; i < u1; i++) {
            const lz_unit *U = &c->u.v[i];
            if (uo_s) uo_s[i] = uo_e[i] = UINT32_MAX;
            if (!reference && (!c->keep[i] || c->merged[i])) continue;
            if (U->kind == LZ_U_BLANK) {
                if (!last_blank) {
                    lz_buf_put_from(out, map, "\n", 1, U->start, 0);
                    last_blank = 1;
                }
                continue;
            }
            if (!emitted) bo_s[b] = (uint32_t)out->n;
            else lz_buf_put_from(out, map, " ", 1, U->start, 0);
            if (uo_s) uo_s[i] = (uint32_t)out->n;
            if (!reference) unit_text(c, out, i, act, n_act);
            else if (c->verbatim[i] || U->kind == LZ_U_LINE)
                lz_buf_put_from(out, map, c->s + U->start, U->end - U->start, U->start, 1);
            else lz_canon_append(out, c->s, U->start, U->end, &c->sp, NULL, 0, map);
            if (uo_s) uo_e[i] = (uint32_t)out->n;
            emitted = 1;
        }
        if (emitted) {
            bo_e[b] = (uint32_t)out->n;
            if (c->u.v[u1 - 1].nl) lz_buf_put_from(out, map, "\n", 1, c->u.v[u1 - 1].end, 0);
            last_blank = 0;
        }
    }
    free(act);
    return out->oom || (map && map->oom) ? -LMZ_error_memory : 0;
}

static int assemble(lz_ctx *c) {
    c->r_measured = c->r_is_ref = 0;
    return layout(c, &c->R, c->uo_start, c->uo_end, c->bo_start, c->bo_end, 0, NULL);
}

/* The canonical original C, laid out once (with its byte origins when the
 * scoring pass is to read it). */
static int lay_reference(lz_ctx *c, int with_map) {
    if (c->ref_laid) return 0;
    int rc = layout(c, &c->C, NULL, NULL, c->bc_start, c->bc_end, 1, with_map ? &c->Cmap : NULL);
    if (!rc) c->ref_laid = 1;
    return rc;
}

/* ======================================================================== */
/* Protected-span check (every kept unit)                                    */
/* ======================================================================== */

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn) {
    if (nn == 0) return h;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == nd[0] && memcmp(h + i, nd, nn) == 0) return h + i;
    return NULL;
}

/* Counts the original spans of unit i found, in order, in its output
 * out[0..on); and the protected-looking spans of the output that are
 * neither in the original range nor in its canonical form (added facts). */
static int check_unit(lz_ctx *c, size_t i, const char *out, size_t on, uint64_t *total, uint64_t *found,
                      uint64_t *added) {
    uint32_t a, b;
    unit_range(c, i, &a, &b);
    size_t k = 0;
    while (k < c->sp.n && c->sp.v[k].end <= a) k++;
    size_t cur = 0;
    for (; k < c->sp.n && c->sp.v[k].start < b; k++) {
        const lz_span *S = &c->sp.v[k];
        (*total)++;
        const char *hit = find_bytes(out + cur, on - cur, c->s + S->start, S->end - S->start);
        if (hit) {
            (*found)++;
            cur = (size_t)(hit - out) + (S->end - S->start);
        }
    }
    lz_spans os;
    if (lz_protect(out, on, &os)) return -LMZ_error_memory;
    lz_buf canon = {0};
    for (uint32_t q = (uint32_t)i; q < c->u.n && c->u.v[q].start < b; q++)
        lz_canon_append(&canon, c->s, c->u.v[q].start, c->u.v[q].end, &c->sp, NULL, 0, NULL);
    for (size_t q = 0; q < os.n; q++) {
        const char *w = out + os.v[q].start;
        size_t wn = os.v[q].end - os.v[q].start;
        if (!find_bytes(c->s + a, b - a, w, wn) && !(canon.p && find_bytes(canon.p, canon.n, w, wn))) (*added)++;
    }
    int oom = canon.oom;
    lz_buf_free(&canon);
    lz_spans_free(&os);
    return oom ? -LMZ_error_memory : 0;
}

/* Assembles R and undoes whatever breaks a protected span or adds one:
 * first the rewrite, then the unit's edits, finally the unit is emitted
 * verbatim. Returns 0 or -error. */
static int assemble_checked(lz_ctx *c) {
    for (int round = 0; round < 4; round++) {
        int rc = assemble(c);
        if (rc) return rc;
        int bad = 0;
        for (size_t i = 0; i < c->u.n; i++) {
            if (c->uo_start[i] == UINT32_MAX || c->u.v[i].kind == LZ_U_BLANK) continue;
            uint64_t t = 0, f = 0, ad = 0;
            if ((rc = check_unit(c, i, c->R.p + c->uo_start[i], c->uo_end[i] - c->uo_start[i], &t, &f, &ad)))
                return rc;
            if (f == t && ad == 0) continue;
            bad = 1;
            if (c->override[i]) {
                free(c->override[i]);
                c->override[i] = NULL;
                for (uint32_t q = c->bfirst[c->u.v[i].block]; q < c->bfirst[c->u.v[i].block + 1]; q++) c->merged[q] = 0;
                c->st.rewrites_ok--, c->st.rewrites_rejected++;
            } else if (!c->noedit[i]) {
                c->noedit[i] = 1;
                c->st.reverted++;
            } else {
                c->verbatim[i] = 1;
            }
        }
        if (!bad) return 0;
    }
    return assemble(c); /* every unit left is verbatim: nothing more can fail */
}

/* ======================================================================== */
/* Sentence dropping (levels 4–5)                                            */
/* ======================================================================== */

typedef struct {
    double prio;
    uint32_t unit;
} prio_item;

static int cmp_prio(const void *a, const void *b) {
    const prio_item *x = a, *y = b;
    if (x->prio != y->prio) return x->prio > y->prio ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* Keeps the most informative units within budget_bits (estimated with the
 * scoring pass's surprisal): priority = information density relative to the
 * document's x (1 + 2 x protected spans per word) (+25 % for the first
 * sentence of a paragraph); greedy by priority, order kept. */
static int choose_units(lz_ctx *c, double budget_bits) {
    size_t n = c->u.n;
    prio_item *it = malloc((n + 1) * sizeof *it);
    if (!it) return -LMZ_error_memory;
    double tb = 0, tn = 0;
    for (size_t i = 0; i < n; i++)
        if (c->u.v[i].kind != LZ_U_BLANK) tb += c->ubits[i], tn += c->u.v[i].end - c->u.v[i].start + 1;
    double mean = tn > 0 ? tb / tn : 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const lz_unit *U = &c->u.v[i];
        if (U->kind == LZ_U_BLANK) {
            c->keep[i] = 1;
            continue;
        }
        c->keep[i] = 0;
        if (c->override[i] || c->merged[i]) { /* rewrites are kept whole */
            c->keep[i] = 1;
            budget_bits -= c->ubits[i];
            continue;
        }
        double bytes = U->end - U->start + 1, words = 1;
        for (uint32_t q = U->start; q < U->end; q++) words += c->s[q] == ' ';
        double pr = (c->ubits[i] / bytes) / mean * (1.0 + 2.0 * c->uprot[i] / words);
        if (i == c->bfirst[U->block] && U->kind == LZ_U_SENT) pr *= 1.25;
        it[m].prio = pr, it[m].unit = (uint32_t)i, m++;
    }
    qsort(it, m, sizeof *it, cmp_prio);
    for (size_t k = 0; k < m; k++) {
        double cost = c->ubits[it[k].unit] + 2.0; /* + the separator */
        if (cost <= budget_bits || k == 0) { /* the most informative unit always stays */
            c->keep[it[k].unit] = 1;
            budget_bits -= cost;
        }
    }
    free(it);
    return 0;
}

/* ======================================================================== */
/* Rewriter                                                                  */
/* ======================================================================== */

static int run_rewriter(lz_ctx *c) {
    size_t n_act;
    lz_edit *act = active_edits(c, &n_act);
    double *e1 = malloc(c->d * sizeof *e1), *e2 = malloc(c->d * sizeof *e2);
    int rc = 0;
    if (!act || !e1 || !e2) {
        rc = -LMZ_error_memory;
        goto out;
    }
    double need = c->o.min_fidelity > LZ_REWRITE_SIM ? c->o.min_fidelity : LZ_REWRITE_SIM;
    for (uint32_t b = 0; b < c->u.n_blocks && !rc; b++) {
        uint32_t u0 = c->bfirst[b], u1 = c->bfirst[b + 1];
        if (c->u.v[u0].kind != LZ_U_SENT) continue;
        lz_buf para = {0};
        for (uint32_t i = u0; i < u1; i++) {
            if (i > u0) lz_buf_put(&para, " ", 1);
            unit_text(c, &para, i, act, n_act);
        }
        if (para.oom) {
            lz_buf_free(&para);
            rc = -LMZ_error_memory;
            break;
        }
        char *rw = NULL;
        size_t rn = 0;
        int ok = para.n >= 40 && c->o.rewrite(c->o.rewrite_opaque, para.p, para.n, &rw, &rn) == 0 && rw;
        /* trim the rewrite's white space; refuse anything not shorter */
        while (ok && rn > 0 && (rw[rn - 1] == '\n' || rw[rn - 1] == ' ' || rw[rn - 1] == '\r')) rn--;
        if (ok && (rn == 0 || rn >= para.n || !lz_is_text(rw, rn) || memchr(rw, '\n', rn))) ok = 0;
        if (ok) { /* protected spans: all there, none added */
            c->override[u0] = rw, c->override_n[u0] = rn;
            uint64_t t = 0, f = 0, ad = 0;
            if ((rc = check_unit(c, u0, rw, rn, &t, &f, &ad))) break;
            ok = f == t && ad == 0;
            c->override[u0] = NULL;
        }
        if (ok) { /* meaning: the model's own embedding */
            if ((rc = embed_text(c, para.p, para.n, e1)) || (rc = embed_text(c, rw, rn, e2))) break;
            double sim = cosine(e1, e2, c->d);
            ok = sim >= need;
            note(c, "lossy: rewrite of paragraph %u: %zu -> %zu bytes, similarity %.3f: %s", b, para.n, rn, sim,
                 ok ? "kept" : "rejected");
        }
        lz_buf_free(&para);
        if (ok) {
            c->override[u0] = rw, c->override_n[u0] = rn;
            for (uint32_t i = u0 + 1; i < u1; i++) c->merged[i] = 1;
            for (uint32_t i = u0 + 1; i < u1; i++) c->ubits[u0] += c->ubits[i];
            c->st.rewrites_ok++;
        } else {
            free(rw);
            c->st.rewrites_rejected++;
        }
    }
out:
    free(act), free(e1), free(e2);
    return rc;
}

/* ======================================================================== */
/* Measuring R: hidden states per paragraph, fidelity per paragraph          */
/* ======================================================================== */

/* One pass over text, pooling the hidden states of each prose block
 * [bs[b], be[b]) into h[b] (count in cnt[b]). */
static int measure_blocks(lz_ctx *c, const char *text, size_t n, const uint32_t *bs, const uint32_t *be, double *h,
                          double *cnt) {
    int32_t *ids;
    uint32_t *off;
    size_t N;
    memset(h, 0, (size_t)c->u.n_blocks * c->d * sizeof(double));
    memset(cnt, 0, (size_t)c->u.n_blocks * sizeof(double));
    int rc = tokenize(c, text, n, &ids, &off, &N);
    if (rc) return rc;
    out_job j = {c, off, bs, be, h, cnt, 0};
    rc = model_pass(c, ids, off, N, "similarity", out_row, &j);
    free(ids), free(off);
    return rc;
}

/* The reference of the similarity: the canonical original, so that level
 * 1's re-wrapping and typography (no change of wording) do not count as a
 * change of meaning. Laid out once; measured once, when first needed. */
static int measure_reference(lz_ctx *c) {
    if (c->ref_measured) return 0;
    note(c, "lossy: similarity reference pass over %zu bytes", c->C.n);
    int rc = measure_blocks(c, c->C.p ? c->C.p : "", c->C.n, c->bc_start, c->bc_end, c->h_orig, c->c_orig);
    if (!rc) c->ref_measured = 1;
    return rc;
}

/* The pass over text (R or the decoded R'), laid out as the last assemble().
 * Text identical to the reference, block for block, needs no pass: every
 * paragraph's similarity is 1. */
static int measure_output(lz_ctx *c, const char *text, size_t n) {
    int rc = lay_reference(c, 0);
    if (rc) return rc;
    const size_t nb = c->u.n_blocks;
    c->r_is_ref = n == c->C.n && (n == 0 || memcmp(text, c->C.p, n) == 0) &&
                  memcmp(c->bo_start, c->bc_start, nb * sizeof *c->bo_start) == 0 &&
                  memcmp(c->bo_end, c->bc_end, nb * sizeof *c->bo_end) == 0;
    if (c->r_is_ref) {
        note(c, "lossy: the output is the canonical original (similarity 1)");
    } else {
        if ((rc = measure_reference(c))) return rc;
        note(c, "lossy: similarity pass over %zu bytes", n);
        if ((rc = measure_blocks(c, text, n, c->bo_start, c->bo_end, c->h_out, c->c_out))) return rc;
    }
    c->r_measured = 1;
    return 0;
}

/* Similarity of prose block b (emitted) after measure_output(); 0 when it
 * has no tokens on one side (not measured). */
static int block_similarity(const lz_ctx *c, uint32_t b, double *sim) {
    if (!c->r_measured) return 0;
    if (c->r_is_ref) {
        *sim = 1.0;
        return 1;
    }
    if (c->c_out[b] <= 0 || c->c_orig[b] <= 0) return 0;
    *sim = cosine(c->h_orig + (size_t)b * c->d, c->h_out + (size_t)b * c->d, c->d);
    return 1;
}

/* Original text of the kept units of block b (the reference for chrF). */
static void block_reference(lz_ctx *c, uint32_t b, lz_buf *ref, int kept_only) {
    for (uint32_t i = c->bfirst[b]; i < c->bfirst[b + 1]; i++) {
        if (c->merged[i] && !kept_only) continue;
        if (kept_only && (!c->keep[i] || c->u.v[i].kind == LZ_U_BLANK)) continue;
        uint32_t a, e;
        unit_range(c, i, &a, &e);
        if (ref->n) lz_buf_put(ref, " ", 1);
        lz_buf_put(ref, c->s + a, e - a);
    }
}

/* --min-fidelity: paragraphs whose chrF (kept text) or similarity falls
 * below it lose their edits, drops and rewrite. Returns the number reverted. */
static int revert_low_paragraphs(lz_ctx *c, const char *text, int *n_rev) {
    *n_rev = 0;
    for (uint32_t b = 0; b < c->u.n_blocks; b++) {
        if (c->bo_start[b] == UINT32_MAX || c->u.v[c->bfirst[b]].kind != LZ_U_SENT) continue;
        lz_buf ref = {0};
        block_reference(c, b, &ref, 1);
        if (ref.oom) return -LMZ_error_memory;
        double chrf = lz_chrf(text + c->bo_start[b], c->bo_end[b] - c->bo_start[b], ref.p ? ref.p : "", ref.n);
        lz_buf_free(&ref);
        double sim = 1.0;
        block_similarity(c, b, &sim);
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

/* ======================================================================== */
/* The report                                                                */
/* ======================================================================== */

/* "3-7,9,12": the dropped units, as ranges of unit numbers. */
static void dropped_list(lz_ctx *c, lz_buf *out) {
    size_t first = 1;
    for (size_t i = 0; i < c->u.n;) {
        if (c->keep[i] || c->u.v[i].kind == LZ_U_BLANK) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < c->u.n && (!c->keep[j + 1] || c->u.v[j + 1].kind == LZ_U_BLANK)) j++;
        while (j > i && c->u.v[j].kind == LZ_U_BLANK) j--;
        char tmp[48];
        int w = j > i ? snprintf(tmp, sizeof tmp, "%s%zu-%zu", first ? "" : ",", i, j)
                      : snprintf(tmp, sizeof tmp, "%s%zu", first ? "" : ",", i);
        lz_buf_put(out, tmp, (size_t)w);
        first = 0;
        i = j + 1;
    }
    if (first) lz_buf_put(out, "none", 4);
}

#if defined(__GNUC__)
static void put_line(lz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static void put_line(lz_buf *b, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    lz_buf_put(b, line, (size_t)w < sizeof line ? (size_t)w : sizeof line - 1);
    lz_buf_put(b, "\n", 1);
}

/* Computes the metrics on the decoded text (identical to R, checked) and
 * writes the report (doc/format.md §6). */
static int build_report(lz_ctx *c, const char *text, size_t tn, lz_buf *rep) {
    lmz_lossy_stats *st = &c->st;
    st->out_bytes = tn;
    st->prot_total = st->prot_kept = st->prot_added = st->prot_dropped = 0;
    st->units = st->units_kept = st->words = st->word_edits = 0;
    lz_buf hyp = {0}, ref = {0}, low = {0};
    int rc = 0;
    for (size_t i = 0; i < c->u.n; i++) {
        const lz_unit *U = &c->u.v[i];
        if (U->kind == LZ_U_BLANK || c->merged[i]) continue;
        uint32_t a, b;
        unit_range(c, i, &a, &b);
        size_t k = 0;
        while (k < c->sp.n && c->sp.v[k].end <= a) k++;
        uint64_t spans = 0;
        for (; k < c->sp.n && c->sp.v[k].start < b; k++) spans++;
        uint32_t units_here = 1;
        if (c->override[i]) units_here = c->bfirst[U->block + 1] - (uint32_t)i;
        st->units += units_here;
        if (c->uo_start[i] == UINT32_MAX) {
            st->prot_dropped += spans;
            continue;
        }
        st->units_kept += units_here;
        const char *o = text + c->uo_start[i];
        size_t on = c->uo_end[i] - c->uo_start[i];
        if ((rc = check_unit(c, i, o, on, &st->prot_total, &st->prot_kept, &st->prot_added))) goto out;
        long rw = 0, ed = lz_word_edits(o, on, c->s + a, b - a, &rw);
        if (ed < 0) {
            rc = -LMZ_error_memory;
            goto out;
        }
        st->words += (uint64_t)rw, st->word_edits += (uint64_t)ed;
        if (hyp.n) lz_buf_put(&hyp, " ", 1), lz_buf_put(&ref, " ", 1);
        lz_buf_put(&hyp, o, on);
        lz_buf_put(&ref, c->s + a, b - a);
    }
    if (hyp.oom || ref.oom) {
        rc = -LMZ_error_memory;
        goto out;
    }
    st->chrf_kept = lz_chrf(hyp.p ? hyp.p : "", hyp.n, ref.p ? ref.p : "", ref.n);
    st->chrf_doc = lz_chrf(text, tn, c->s, c->n);
    /* semantic similarity per paragraph */
    double sum = 0, mn = 1;
    st->paragraphs = st->paragraphs_low = 0;
    double low_thr = c->o.min_fidelity > 0 ? c->o.min_fidelity : LZ_SEM_LOW;
    for (uint32_t b = 0; b < c->u.n_blocks; b++) {
        if (c->bo_start[b] == UINT32_MAX || c->u.v[c->bfirst[b]].kind != LZ_U_SENT) continue;
        double sim;
        if (!block_similarity(c, b, &sim)) continue;
        sum += sim;
        if (sim < mn) mn = sim;
        st->paragraphs++;
        if (sim < low_thr) {
            char tmp[32];
            int w = snprintf(tmp, sizeof tmp, "%s%u", st->paragraphs_low ? "," : "", b);
            if (st->paragraphs_low < 40) lz_buf_put(&low, tmp, (size_t)w);
            st->paragraphs_low++;
        }
    }
    st->sem_mean = st->paragraphs ? sum / (double)st->paragraphs : 0;
    st->sem_min = st->paragraphs ? mn : 0;

    rep->n = 0;
    put_line(rep, "lmz-lossy-report 1");
    put_line(rep, "level=%d", st->level);
    put_line(rep, "input=%llu xxh64=%016llx", (unsigned long long)c->n, (unsigned long long)lmz_xxh64(c->s, c->n));
    put_line(rep, "verified=%s", st->verified ? "decoded" : "no");
    put_line(rep, "protected-recall=%.6f %llu/%llu", st->prot_total ? (double)st->prot_kept / (double)st->prot_total : 1.0,
             (unsigned long long)st->prot_kept, (unsigned long long)st->prot_total);
    put_line(rep, "protected-added=%llu", (unsigned long long)st->prot_added);
    put_line(rep, "protected-dropped=%llu", (unsigned long long)st->prot_dropped);
    put_line(rep, "token-edit-rate=%.4f %llu/%llu", st->words ? (double)st->word_edits / (double)st->words : 0.0,
             (unsigned long long)st->word_edits, (unsigned long long)st->words);
    put_line(rep, "chrf=%.4f doc=%.4f", st->chrf_kept, st->chrf_doc);
    put_line(rep, "retention=%.4f %llu/%llu bytes=%.4f", st->units ? (double)st->units_kept / (double)st->units : 1.0,
             (unsigned long long)st->units_kept, (unsigned long long)st->units,
             c->n ? (double)tn / (double)c->n : 1.0);
    put_line(rep, "similarity=%.4f min=%.4f n=%llu low=%llu%s%s", st->sem_mean, st->sem_min,
             (unsigned long long)st->paragraphs, (unsigned long long)st->paragraphs_low, low.n ? ":" : "",
             low.n ? low.p : "");
    put_line(rep, "edits=%llu subst %llu del %llu reverted", (unsigned long long)st->subst,
             (unsigned long long)st->deletions, (unsigned long long)st->reverted);
    if (c->o.rewrite)
        put_line(rep, "rewriter=%llu kept %llu refused", (unsigned long long)st->rewrites_ok,
                 (unsigned long long)st->rewrites_rejected);
    lz_buf_put(rep, "dropped=", 8);
    dropped_list(c, rep);
    lz_buf_put(rep, "\n", 1);
    if (rep->oom) rc = -LMZ_error_memory;
out:
    lz_buf_free(&hyp), lz_buf_free(&ref), lz_buf_free(&low);
    return rc;
}

/* ======================================================================== */
/* Frames: flag lossy, attach the report to the first frame                  */
/* ======================================================================== */

static int patch_frames(lz_ctx *c, const uint8_t *src, size_t n, const lz_buf *rep, uint8_t **dst, size_t *dn) {
    /* the report goes in as text (tag 1) or, when that is smaller (a long
     * `dropped=` list), as one zstd frame (tag 2): format §6.1 */
    size_t zcap = ZSTD_compressBound(rep->n), zn = 0;
    uint8_t *z = malloc(zcap);
    if (!z) return -LMZ_error_memory;
    zn = ZSTD_compress(z, zcap, rep->p, rep->n, 19);
    const int packed = !ZSTD_isError(zn) && zn < rep->n;
    const uint8_t *rp = packed ? z : (const uint8_t *)rep->p;
    const size_t rn = packed ? zn : rep->n;
    size_t cap = n + rn + 64, pos = 0, w = 0;
    uint8_t *out = malloc(cap);
    if (!out) {
        free(z);
        return -LMZ_error_memory;
    }
    int first = 1;
    while (pos < n) {
        lmz_frame_header h;
        size_t need = 0;
        size_t hs = frame_parse_header(&h, src + pos, n - pos, &need, &c->msg);
        if (lmz_is_error(hs)) {
            free(out), free(z);
            return -(int)lmz_get_error_code(hs);
        }
        h.flags |= LMZ_F_LOSSY;
        if (first) {
            uint32_t E = h.extra_size + 6 + (uint32_t)rn;
            uint8_t *x = malloc(E);
            if (!x) {
                frame_header_free(&h);
                free(out), free(z);
                return -LMZ_error_memory;
            }
            if (h.extra_size) memcpy(x, h.extra, h.extra_size);
            lmz_wr16(x + h.extra_size, packed ? LZ_REPORT_TAG_ZSTD : LZ_REPORT_TAG);
            lmz_wr32(x + h.extra_size + 2, (uint32_t)rn);
            memcpy(x + h.extra_size + 6, rp, rn);
            free(h.extra);
            h.extra = x;
            h.extra_size = E;
        }
        size_t payload = (size_t)h.payload_size;
        size_t nw = frame_write_header(&h, out + w, cap - w);
        frame_header_free(&h);
        if (lmz_is_error(nw) || cap - w - nw < payload || hs + payload > n - pos) {
            free(out), free(z);
            return lmz_fail(&c->msg, LMZ_error_generic, "cannot rewrite a frame header");
        }
        memcpy(out + w + nw, src + pos + hs, payload);
        w += nw + payload;
        pos += hs + payload;
        first = 0;
    }
    free(z);
    *dst = out, *dn = w;
    return 0;
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

static int ctx_init(lz_ctx *c, const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src,
                    size_t n) {
    memset(c, 0, sizeof *c);
    c->m = m;
    lmz_params_resolve(&c->p, p, m);
    c->o = *o;
    c->s = src;
    c->n = n;
    c->st.level = o->level;
    c->st.in_bytes = n;
    if (o->level < 1 || o->level > LMZ_LOSSY_LEVEL_MAX)
        return lmz_fail(&c->msg, LMZ_error_parameter, "lossy level %d out of range 1..%d", o->level, LMZ_LOSSY_LEVEL_MAX);
    if (o->min_fidelity < 0 || o->min_fidelity > 1)
        return lmz_fail(&c->msg, LMZ_error_parameter, "minimum fidelity %g out of range [0, 1]", o->min_fidelity);
    if (n > LMZ_LOSSY_MAX_INPUT)
        return lmz_fail(&c->msg, LMZ_error_parameter, "input of %zu bytes is above the lossy mode's limit (%u bytes)",
                        n, LMZ_LOSSY_MAX_INPUT);
    if (!lz_is_text(src, n))
        return lmz_fail(&c->msg, LMZ_error_unsupported,
                        "the lossy mode needs text (valid UTF-8, no NUL or binary control bytes)");
    c->pool = lmz_pool_create(c->p.threads);
    if (!c->pool) return lmz_fail(&c->msg, LMZ_error_memory, "out of memory");
    if (lz_protect(src, n, &c->sp) || lz_segment(src, n, &c->sp, &c->u))
        return lmz_fail(&c->msg, LMZ_error_memory, "out of memory");
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
    if (!c->keep || !c->noedit || !c->verbatim || !c->merged || !c->override || !c->override_n || !c->ubits ||
        !c->uprot || !c->uo_start || !c->uo_end || !c->bfirst || !c->bo_start || !c->bo_end || !c->bc_start ||
        !c->bc_end || !c->h_orig || !c->h_out || !c->c_orig || !c->c_out)
        return lmz_fail(&c->msg, LMZ_error_memory, "out of memory");
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

static size_t fail_out(lz_ctx *c, int rc, char *msg, size_t cap) {
    if (msg && cap) {
        if (c->msg.text[0]) snprintf(msg, cap, "%s", c->msg.text);
        else snprintf(msg, cap, "%s", lmz_error_name(LMZ_ERR(-rc)));
    }
    ctx_free(c);
    return LMZ_ERR(-rc);
}

/* Builds R (levels, rewriter, drops, checks) with everything but the coding. */
static int build_reconstruction(lz_ctx *c, int scoring) {
    int rc;
    if (scoring && (rc = scoring_pass(c))) return rc;
    for (size_t e = 0; e < c->n_ed; e++) c->ed[e].kind == LZ_E_SUBST ? c->st.subst++ : c->st.deletions++;
    if (c->o.rewrite && (rc = run_rewriter(c))) return rc;
    if (c->o.level >= 4) {
        double ratio = c->o.target_ratio > 0 ? c->o.target_ratio : level_ratio(c->o.level);
        if ((rc = choose_units(c, 8.0 * (double)c->n / ratio - 8.0 * LZ_OVERHEAD))) return rc;
    }
    return assemble_checked(c);
}

/* Levels 1-3 change little: the lossless frames of the original, when no
 * larger than the lossy ones, are the better output (exact, and smaller). */
static size_t code_original(lz_ctx *c, const lmz_params *p, uint8_t **ll) {
    size_t cap = lmz_compress_bound(c->n);
    *ll = malloc(cap);
    if (!*ll) return LMZ_ERR(LMZ_error_memory);
    note(c, "lossy: coding the original losslessly (%zu bytes) for comparison", c->n);
    coder_progress q;
    lmz_params cp = coder_params(c, p, &q, "lossless", c->n, 0);
    size_t r = lmz_compress(c->m, *ll, cap, c->s, c->n, &cp);
    if (lmz_is_error(r)) free(*ll), *ll = NULL;
    return r;
}

/* lossy_n = 0: the reconstruction was the original itself (not coded). */
static size_t lossless_out(lz_ctx *c, uint8_t *ll, size_t ln, size_t lossy_n, uint8_t **dst, lmz_lossy_stats *st) {
    if (lossy_n) note(c, "lossy: the lossless frames (%zu bytes) are no larger than the lossy ones (%zu): kept", ln, lossy_n);
    else note(c, "lossy: the reconstruction is the original itself: lossless frames (%zu bytes)", ln);
    c->st.lossless = 1;
    c->st.lossy_bytes = lossy_n;
    c->st.frame_bytes = ln;
    if (st) *st = c->st;
    *dst = ll;
    ctx_free(c);
    return ln;
}

static size_t lossy_run(const lmz_model *m, const lmz_params *p, const lmz_lossy_opts *o, const void *src, size_t n,
                        uint8_t **dst, char **rtext, lmz_lossy_stats *st, char *msg, size_t msg_cap) {
    lz_ctx c;
    int rc = ctx_init(&c, m, p, o, src, n);
    if (rc) return fail_out(&c, rc, msg, msg_cap);
    const int coding = dst != NULL;
    if ((rc = build_reconstruction(&c, o->level >= 2))) return fail_out(&c, rc, msg, msg_cap);

    /* --min-fidelity: measure paragraphs before coding, undo the weak ones */
    for (int round = 0; o->min_fidelity > 0 && round < 3; round++) {
        if ((rc = measure_output(&c, c.R.p ? c.R.p : "", c.R.n))) return fail_out(&c, rc, msg, msg_cap);
        int n_rev = 0;
        if ((rc = revert_low_paragraphs(&c, c.R.p ? c.R.p : "", &n_rev))) return fail_out(&c, rc, msg, msg_cap);
        if (!n_rev) break;
        note(&c, "lossy: %d paragraphs below fidelity %.2f reverted", n_rev, o->min_fidelity);
        if ((rc = assemble_checked(&c)) || (rc = measure_output(&c, c.R.p ? c.R.p : "", c.R.n)))
            return fail_out(&c, rc, msg, msg_cap);
    }

    if (!coding) { /* transform only */
        lz_buf rep = {0}; /* the numbers (the similarity only if measured) */
        rc = build_report(&c, c.R.p ? c.R.p : "", c.R.n, &rep);
        lz_buf_free(&rep);
        if (rc) return fail_out(&c, rc, msg, msg_cap);
        if (st) *st = c.st;
        size_t size = c.R.n;
        *rtext = c.R.p ? c.R.p : calloc(1, 1);
        memset(&c.R, 0, sizeof c.R);
        ctx_free(&c);
        return *rtext ? size : LMZ_ERR(LMZ_error_memory);
    }

    /* nothing changed at all: the lossless frames say the same without a report */
    if (o->level <= 3 && o->lossless_check && c.R.n == n && (n == 0 || memcmp(c.R.p, src, n) == 0)) {
        uint8_t *ll = NULL;
        size_t ln = code_original(&c, p, &ll);
        if (!lmz_is_error(ln)) return lossless_out(&c, ll, ln, 0, dst, st);
    }

    /* code R with the ordinary lossless path; levels 4-5 shrink until the
     * target ratio is met (3 tries) */
    uint8_t *frames = NULL;
    size_t fsize = 0;
    double ratio = o->target_ratio > 0 ? o->target_ratio : level_ratio(o->level);
    double budget = 8.0 * (double)n / ratio - 8.0 * LZ_OVERHEAD;
    for (int attempt = 0;; attempt++) {
        free(frames);
        size_t cap = lmz_compress_bound(c.R.n);
        frames = malloc(cap);
        if (!frames) return fail_out(&c, -LMZ_error_memory, msg, msg_cap);
        note(&c, "lossy: coding the reconstruction (%zu bytes)", c.R.n);
        coder_progress q;
        lmz_params cp = coder_params(&c, p, &q, "coding", c.R.n, 0);
        fsize = lmz_compress(m, frames, cap, c.R.p ? c.R.p : "", c.R.n, &cp);
        if (lmz_is_error(fsize)) {
            free(frames);
            lmz_fail(&c.msg, lmz_get_error_code(fsize), "coding the reconstruction failed: %s", lmz_error_name(fsize));
            return fail_out(&c, -(int)lmz_get_error_code(fsize), msg, msg_cap);
        }
        double want = (double)n / ratio - LZ_OVERHEAD; /* room for the header and the report */
        if (o->level < 4 || attempt >= 3 || (double)fsize <= want || want <= 0 || budget <= 0) break;
        budget *= want / (double)fsize * 0.97;
        note(&c, "lossy: %zu bytes, above the target %.0f: dropping more", fsize, want);
        if ((rc = choose_units(&c, budget)) || (rc = assemble_checked(&c))) {
            free(frames);
            return fail_out(&c, rc, msg, msg_cap);
        }
    }

    /* levels 1-3: the lossless alternative (an error there only means no
     * alternative); the report only adds to the lossy frames, so a lossless
     * coding no larger than them wins without verifying or measuring */
    uint8_t *ll = NULL;
    size_t ln = LMZ_ERR(LMZ_error_generic);
    if (o->level <= 3 && o->lossless_check) {
        ln = code_original(&c, p, &ll);
        if (!lmz_is_error(ln) && ln <= fsize) {
            free(frames);
            return lossless_out(&c, ll, ln, fsize, dst, st);
        }
    }

    /* verification: decode the frames, compare with R (auto: when R, what
     * decoding costs, is small enough; levels 4-5 make even long inputs so) */
    const int verify = o->verify < 0 ? c.R.n <= LMZ_LOSSY_VERIFY_AUTO_MAX : o->verify;
    char *decoded = NULL;
    if (verify) {
        note(&c, "lossy: verifying (decoding %zu bytes)", fsize);
        decoded = malloc(c.R.n + 1);
        coder_progress q;
        lmz_params cp = coder_params(&c, p, &q, "verifying", c.R.n, 1);
        size_t r = decoded ? lmz_decompress(m, decoded, c.R.n + 1, frames, fsize, &cp) : LMZ_ERR(LMZ_error_memory);
        if (lmz_is_error(r) || r != c.R.n || (c.R.n && memcmp(decoded, c.R.p, c.R.n) != 0)) {
            free(decoded), free(frames), free(ll);
            lmz_fail(&c.msg, LMZ_error_generic, "verification failed: the frames do not decode to the reconstruction (%s)",
                     lmz_is_error(r) ? lmz_error_name(r) : "different bytes");
            return fail_out(&c, -LMZ_error_generic, msg, msg_cap);
        }
        c.st.verified = 1;
    }
    const char *text = decoded ? decoded : (c.R.p ? c.R.p : "");
    /* the similarity pass, on the decoded bytes (or on R measured above,
     * which the check just proved identical) */
    if (!c.r_measured && (rc = measure_output(&c, text, c.R.n))) {
        free(decoded), free(frames), free(ll);
        return fail_out(&c, rc, msg, msg_cap);
    }
    lz_buf rep = {0};
    rc = build_report(&c, text, c.R.n, &rep);
    free(decoded);
    if (!rc && c.st.prot_kept != c.st.prot_total) /* cannot happen: assemble_checked() */
        rc = lmz_fail(&c.msg, LMZ_error_generic, "internal: a protected span was lost");
    uint8_t *out = NULL;
    size_t out_n = 0;
    if (!rc) rc = patch_frames(&c, frames, fsize, &rep, &out, &out_n);
    free(frames);
    lz_buf_free(&rep);
    if (rc) {
        free(ll);
        return fail_out(&c, rc, msg, msg_cap);
    }
    /* the patched frames must still describe R */
    size_t ds = lmz_decompressed_size(out, out_n);
    if (lmz_is_error(ds) || ds != c.R.n) {
        free(out), free(ll);
        lmz_fail(&c.msg, LMZ_error_generic, "internal: rewritten frames are inconsistent");
        return fail_out(&c, -LMZ_error_generic, msg, msg_cap);
    }
    if (ll && ln <= out_n) {
        free(out);
        return lossless_out(&c, ll, ln, out_n, dst, st);
    }
    free(ll);
    c.st.frame_bytes = c.st.lossy_bytes = out_n;
    if (st) *st = c.st;
    *dst = out;
    ctx_free(&c);
    return out_n;
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
