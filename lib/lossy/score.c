/*
 * lib/lossy/score.c — the lossy mode's model passes: the scoring pass over
 * the canonical original (per-token surprisal, the best safe alternative of
 * each candidate word), hidden states pooled per paragraph or per text for
 * the similarity.
 *
 * Each pass runs the model (~1 KB/s on the reference machine) over the
 * tokens of a text, LZ_ROWS rows per forward call, and hands every row
 * (final hidden state, logits of the next token) to a callback.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/lmz_math.h"
#include "lossy/lossy.h"
#include "model/model.h"

#define LZ_ROWS 64u /* rows per forward call */
#define LZ_TOPK 16  /* alternatives examined per candidate token */

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
        rc = LMZ_IERR(LMZ_error_memory);
        goto out;
    }
    llama_kv_reset(&kv);
    lz_progress(c, stage, 0, off[N]);
    for (size_t i = 0; i < N;) {
        uint32_t k = (uint32_t)(N - i < LZ_ROWS ? N - i : LZ_ROWS);
        if ((rc = llama_forward_seq(L, w, &kv, ids + i, k, 0, logits, c->pool))) break;
        const float *hid = llama_work_hidden(w);
        for (uint32_t r = 0; r < k; r++)
            fn(arg, i + r, i + r + 1 < N ? logits + (size_t)r * V : NULL, hid + (size_t)r * d);
        i += k;
        lz_progress(c, stage, off[i], off[N]);
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

double lz_cosine(const double *a, const double *b, uint32_t d) {
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
    int32_t *tok = NULL, *ids = NULL;
    uint32_t *off = NULL;
    size_t nt = 0;
    int rc = LMZ_IERR(LMZ_error_memory);
    if (tok_encode(c->m->tok, (const uint8_t *)text, n, &tok, &nt)) goto out;
    ids = malloc((nt + 1) * sizeof *ids);
    off = malloc((nt + 2) * sizeof *off);
    if (!ids || !off) goto out;
    ids[0] = tok_bos(c->m->tok);
    memcpy(ids + 1, tok, nt * sizeof *tok);
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
    ids = NULL, off = NULL;
    rc = 0;
out:
    free(tok), free(ids), free(off);
    return rc;
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
int lz_embed_text(lz_ctx *c, const char *text, size_t n, double *acc) {
    int32_t *ids;
    uint32_t *off;
    size_t N;
    memset(acc, 0, c->d * sizeof *acc);
    FORWARD_IF_ERROR(tokenize(c, text, n, &ids, &off, &N));
    embed_job j = {c, acc, 0};
    int rc = model_pass(c, ids, off, N, "similarity", embed_row, &j);
    free(ids), free(off);
    return rc;
}

/* Hidden states pooled per prose block of a text (the similarity). */
int lz_measure_blocks(lz_ctx *c, const char *text, size_t n, const uint32_t *bs, const uint32_t *be, double *h,
                      double *cnt) {
    int32_t *ids;
    uint32_t *off;
    size_t N;
    memset(h, 0, (size_t)c->u.n_blocks * c->d * sizeof(double));
    memset(cnt, 0, (size_t)c->u.n_blocks * sizeof(double));
    FORWARD_IF_ERROR(tokenize(c, text, n, &ids, &off, &N));
    out_job j = {c, off, bs, be, h, cnt, 0};
    int rc = model_pass(c, ids, off, N, "similarity", out_row, &j);
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

int lz_scoring_pass(lz_ctx *c) {
    int32_t *ids;
    uint32_t *off;
    size_t N;
    const char *text = lz_text(&c->C);
    FORWARD_IF_ERROR(tokenize(c, text, c->C.n, &ids, &off, &N));
    lz_note(c, "lossy: scoring pass over the canonical original, %zu bytes (%zu tokens)", c->C.n, N - 1);
    const size_t nb = c->u.n_blocks;
    memset(c->h_orig, 0, nb * c->d * sizeof(double));
    memset(c->c_orig, 0, nb * sizeof(double));
    score_job j = {c, text, c->C.n, c->Cmap.v, ids, off, N, 0, 0, lz_level_threshold_bits(c->o.level) * M_LN2, 0,
                   {c, off, c->bc_start, c->bc_end, c->h_orig, c->c_orig, 0}};
    int rc = model_pass(c, ids, off, N, "scoring", score_row, &j);
    if (!rc && j.fail) rc = LMZ_IERR(LMZ_error_memory);
    if (!rc) c->ref_measured = 1;
    /* the edits came in C's order, which is the original's (map[] does not
     * decrease): sorted, as lz_canon_append() wants them */
    lz_map_free(&c->Cmap);
    if (!rc && c->o.level >= 2)
        lz_note(c,
                "lossy: %zu edits; the text costs the model %.0f bits, the candidate words %.0f; safe alternatives "
                "could save at most %.0f, any alternative %.0f",
                c->n_ed, c->st.text_bits, c->st.cand_bits, c->st.headroom_bits, c->st.free_bits);
    free(ids), free(off);
    return rc;
}
