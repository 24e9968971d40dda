/*
 * lib/mix/mix.c — the `lm+mix` mixer: learned temperature, output bias and
 * match models on top of the model's logits (see mix.h for the formula).
 *
 * FORMAT SEMANTICS: the decoder must rebuild the same mixed logits bit for
 * bit. Everything below is integer arithmetic or an IEEE binary32 basic
 * operation in the order written (compiled with -ffp-contract=off); the one
 * long float sum uses the 16-lane order of lib/kernels/kernels.h. Element-wise
 * loops may be vectorised by the compiler: each element's operations stay the
 * same. doc/format.md §4.5 restates the algorithm.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "mix/mix.h"

/* What profiles 1 and 2 share: the output bias, temperature and match models. */
#define MIX_PROFILE_COMMON                                                                                           \
    .lr_bias = 0.35f, .lr_temp = 0.001f, .lr_match = 0.2f, .order = {2, 6}, .w_init = 0.25f, .w_init_max = 3.0f

/* Profile 1: the constants every `lm+mix` v1 stream is coded with. Chosen by
 * measurement (bench/MIX.md); changing one changes the format. */
const mix_params mix_profile_1 = {
    MIX_PROFILE_COMMON,
    .ctx_order = {1, 3},
    .lr_ctx = 0.05f,
    .wc_init = 0.1f,
};

/* Profile 2: dictionaries (lmz --train since 0.3.1). Chosen by measurement
 * on the three kinds of small files of bench/dict.sh (bench/NOTES.md): it
 * codes their test files 1.8-17 % smaller than profile 1 with the same
 * dictionaries. */
const mix_params mix_profile_2 = {
    MIX_PROFILE_COMMON,
    .ctx_order = {1, 3, 1, 1, 2, 2},
    .ctx_kind = {MIX_CTX_LAST, MIX_CTX_LAST, MIX_CTX_LINE, MIX_CTX_ABOVE, MIX_CTX_LINE, MIX_CTX_ABOVE},
    .lr_ctx = 0.1f,
    .wc_init = 0.1f,
    .recover = 8,
    .recover_min = 8,
    .recent = 64,
    .lr_recent = 0.05f,
};

const mix_params *mix_profile(unsigned id) {
    return id == 1 ? &mix_profile_1 : id == 2 ? &mix_profile_2 : NULL;
}

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

int mix_init(mix_state *m, uint32_t n_vocab, const mix_params *p, uint32_t max_tokens) {
    memset(m, 0, sizeof *m);
    m->p = *p;
    m->V = n_vocab;
    m->b = malloc((size_t)n_vocab * sizeof(float));
    m->z = malloc((size_t)n_vocab * sizeof(float));
    if (!m->b || !m->z) goto fail;
    for (int j = 0; j < MIX_N_MATCH; j++) {
        m->mm[j].ht = malloc(sizeof(uint32_t) << MIX_HASH_BITS);
        if (!m->mm[j].ht) goto fail;
    }
    for (int j = 0; j < MIX_N_CTX; j++) {
        if (p->ctx_order[j] == 0) continue; /* off: no tables */
        m->cx[j].key = malloc(sizeof(uint32_t) << MIX_CTX_BITS);
        m->cx[j].head = malloc(sizeof(uint32_t) << MIX_CTX_BITS);
        m->cx[j].cap = mix_node_cap(max_tokens);
        m->cx[j].node = malloc(m->cx[j].cap * sizeof(mix_node));
        if (!m->cx[j].key || !m->cx[j].head || !m->cx[j].node) goto fail;
    }
    if (p->recent) {
        if (p->recent > MIX_MAX_RECENT) goto fail;
        if (!(m->stamp = calloc(n_vocab, sizeof(uint32_t)))) goto fail;
    }
    mix_reset(m);
    return 0;
fail:
    mix_free(m);
    return LMZ_IERR(LMZ_error_memory);
}

void mix_free(mix_state *m) {
    if (!m) return;
    free(m->b);
    free(m->z);
    free(m->stamp);
    for (int j = 0; j < MIX_N_MATCH; j++) free(m->mm[j].ht);
    for (int j = 0; j < MIX_N_CTX; j++) {
        free(m->cx[j].key);
        free(m->cx[j].head);
        free(m->cx[j].node);
    }
    memset(m, 0, sizeof *m);
}

/* Length bucket: 1..15 exact, then 16-23, 24-31, 32-47, 48-63, 64-95,
 * 96-127, 128+ (7 more). Bucket 0 is never used (len >= 1). */
static int bucket_of(uint32_t len) {
    if (len < 16) return (int)len;
    if (len < 32) return 16 + (int)((len - 16) / 8);
    if (len < 64) return 18 + (int)((len - 32) / 16);
    if (len < 128) return 20 + (int)((len - 64) / 32);
    return 22;
}

/* Distance bucket: 1..4 exact, 5-6, 7-8, 9-12, 13-16, 17-24, 25-32, 33-64, 65+. */
static int rbucket_of(uint32_t d) {
    if (d <= 4) return (int)d - 1;
    if (d <= 8) return 4 + (int)(d - 5) / 2;
    if (d <= 16) return 6 + (int)(d - 9) / 4;
    if (d <= 32) return 8 + (int)(d - 17) / 8;
    if (d <= 64) return 10;
    return 11;
}

/* Count bucket: 1..8 exact, 9-12, 13-20, 21-40, 41+. */
static int cbucket_of(uint32_t c) {
    if (c <= 8) return (int)c - 1;
    if (c <= 12) return 8;
    if (c <= 20) return 9;
    if (c <= 40) return 10;
    return 11;
}

void mix_reset(mix_state *m) {
    m->s = 1.0f;
    for (uint32_t v = 0; v < m->V; v++) m->b[v] = 0.0f;
    for (int j = 0; j < MIX_N_MATCH; j++) {
        mix_match *mm = &m->mm[j];
        mm->ptr = mm->len = mm->miss = 0;
        mm->e = -1;
        memset(mm->ht, 0, sizeof(uint32_t) << MIX_HASH_BITS);
        for (int b = 0; b < MIX_N_BUCKET; b++) {
            float w = m->p.w_init * (float)b;
            w = w < m->p.w_init_max ? w : m->p.w_init_max;
            mm->w[0][b] = w;
            mm->w[1][b] = w;
        }
    }
    m->line = 1;
    m->above = 0;
    for (int b = 0; b < MIX_N_RBUCKET; b++) m->wr[b] = 0.0f;
    m->n_rec = 0;
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *cx = &m->cx[j];
        if (!cx->key) continue;
        memset(cx->key, 0, sizeof(uint32_t) << MIX_CTX_BITS);
        memset(cx->head, 0, sizeof(uint32_t) << MIX_CTX_BITS);
        cx->n_node = 0;
        cx->valid = 0;
        for (int b = 0; b < MIX_N_CBUCKET; b++) cx->w[b] = m->p.wc_init;
    }
}

/* FNV-1 steps over the tokens ids[from .. to), starting from h. */
static uint32_t fnv_tokens(uint32_t h, const int32_t *ids, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) h = (h ^ (uint32_t)ids[i]) * 0x01000193u;
    return h;
}

/* Full 32-bit hash of the k tokens ids[n-k .. n). */
static uint32_t ctx_hash(const int32_t *ids, size_t n, uint32_t k) {
    const uint32_t h = fnv_tokens(0x811C9DC5u ^ k, ids, n - k, n);
    return h ^ (h >> 15);
}

/* ------------------------------------------------------------------------ */
/* Prediction                                                                */
/* ------------------------------------------------------------------------ */

/* Hash of the line's first tokens ids[line .. min(line + MIX_LINE_HEAD, n)) */
static uint32_t head_hash(const int32_t *ids, size_t n, size_t line, uint32_t salt) {
    return fnv_tokens(0x9747B28Cu ^ salt, ids, line, line + MIX_LINE_HEAD < n ? line + MIX_LINE_HEAD : n);
}

/* Each successor cache's slot for the context ending at ids[n-1]. */
static void ctx_locate(mix_state *m, const int32_t *ids, size_t n) {
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *cx = &m->cx[j];
        const uint32_t k = m->p.ctx_order[j];
        cx->valid = 0;
        if (k == 0 || n < (size_t)k + 1) continue; /* the context may not include BOS */
        if (m->p.ctx_kind[j] == MIX_CTX_LINE) {
            const uint32_t h = fnv_tokens(head_hash(ids, n, m->line, k), ids, n - k, n);
            cx->hash = h ^ (h >> 15);
        } else if (m->p.ctx_kind[j] == MIX_CTX_ABOVE) {
            const size_t at = m->above + (n - m->line); /* the same place in the line above */
            if (m->above == 0 || at >= m->line) continue;
            const uint32_t h = fnv_tokens(head_hash(ids, n, m->line, 0x100u + k), ids, at,
                                          at + k < m->line ? at + k : m->line);
            cx->hash = h ^ (h >> 15);
        } else
            cx->hash = ctx_hash(ids, n, k);
        cx->slot = cx->hash >> (32 - MIX_CTX_BITS);
        cx->valid = 1;
    }
}

const float *mix_predict(mix_state *m, const float *l, const int32_t *ids, size_t n) {
    const uint32_t V = m->V;
    const float s = m->s;
    float *restrict z = m->z;
    const float *restrict b = m->b;
    const lmz_kernels *kn = lmz_kernels_get(); /* every path gives the same bits (kernels.h) */
    m->l = l;
    /* z = s * l + b, element by element */
    kn->affine(z, s, l, b, V);

    /* the model's top logit, for the "agrees" context (max is exact in any
     * order: "l[v] > top" from l[0]); needed only while a match model
     * predicts */
    float top = l[0];
    int matching = 0;
    for (int j = 0; j < MIX_N_MATCH; j++) matching |= m->mm[j].len > 0;
    if (matching) top = kn->max_f32(l + 1, V - 1, l[0]);

    for (int j = 0; j < MIX_N_MATCH; j++) {
        mix_match *mm = &m->mm[j];
        mm->e = -1;
        if (mm->len == 0) continue;
        int32_t e = ids[mm->ptr];
        if (e < 0 || (uint32_t)e >= V) continue; /* cannot happen: ids are coded tokens */
        mm->e = e;
        mm->bucket = mm->miss ? 0 : bucket_of(mm->len); /* bucket 0: recovering after a miss */
        mm->agree = l[e] == top;
        z[e] = z[e] + mm->w[mm->agree][mm->bucket];
    }

    ctx_locate(m, ids, n);
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *cx = &m->cx[j];
        if (!cx->valid || cx->key[cx->slot] != cx->hash) continue; /* context not seen (or evicted) */
        const float *w = cx->w;
        uint32_t i = cx->head[cx->slot];
        for (int walk = 0; i && walk < MIX_CTX_WALK; walk++) {
            const mix_node *nd = &cx->node[i - 1];
            z[nd->tok] = z[nd->tok] + w[cbucket_of(nd->count)];
            i = nd->next;
        }
    }
    /* recency: the tokens of the last p.recent (BOS excluded), nearest first */
    m->n_rec = 0;
    if (m->p.recent) {
        if (++m->walk == 0) { /* stamps wrapped: clear them */
            memset(m->stamp, 0, (size_t)V * sizeof(uint32_t));
            m->walk = 1;
        }
        for (size_t d = 1; d <= m->p.recent && d < n; d++) {
            const int32_t v = ids[n - d];
            if (m->stamp[v] == m->walk) continue;
            m->stamp[v] = m->walk;
            const int b = rbucket_of((uint32_t)d);
            z[v] = z[v] + m->wr[b];
            m->rec_tok[m->n_rec] = v;
            m->rec_b[m->n_rec++] = (uint8_t)b;
        }
    }
    return z;
}

/* ------------------------------------------------------------------------ */
/* Learning                                                                  */
/* ------------------------------------------------------------------------ */

/* Hash of the k tokens ids[n-k .. n), to MIX_HASH_BITS bits. */
static uint32_t kgram_hash(const int32_t *ids, size_t n, uint32_t k) {
    uint32_t h = k;
    for (size_t i = n - k; i < n; i++) h = (h ^ (uint32_t)ids[i]) * 0x9E3779B1u;
    return h >> (32 - MIX_HASH_BITS);
}

/* The step after token y = ids[n]: with learn, every learned value's
 * gradient step (f: the table that coded y); always, the tables (match
 * hashes and positions, successor lists and counts), which depend on the
 * tokens alone. */
static void update(mix_state *m, const lmz_freqs *f, const int32_t *ids, size_t n, int learn) {
    const uint32_t V = m->V;
    const int32_t y = ids[n];
    const float inv = 0x1p-24f; /* p[v] = freq[v] * 2^-24, exact */
    const uint32_t *restrict freq = learn ? f->freq : NULL;

    /* temperature: d(-ln p_y)/ds = sum_v p_v l_v - l_y (16-lane sum) */
    const lmz_kernels *kn = lmz_kernels_get();
    if (learn && m->p.lr_temp != 0.0f) {
        const float *l = m->l;
        float g = kn->dot_freq(freq, inv, l, V) - l[y];
        float s = m->s - m->p.lr_temp * g;
        /* kept in [1/4, 4]; a step out of it (or a NaN from a broken model's
         * logits) is not taken */
        if (s >= 0.25f && s <= 4.0f) m->s = s;
    }

    /* output bias: b_v -= lr * p_v for every v, then b_y += lr */
    if (learn) {
        float *restrict b = m->b;
        const float c = m->p.lr_bias * inv;
        kn->sub_freq(b, c, freq, V);
        b[y] = b[y] + m->p.lr_bias;
    }


    const size_t n1 = n + 1; /* tokens now known, BOS included */
    for (int j = 0; j < MIX_N_MATCH; j++) {
        mix_match *mm = &m->mm[j];
        const uint32_t k = m->p.order[j];
        if (k == 0) continue;
        /* the weight that was used: d(-ln p_y)/dw = p_e - [y == e] */
        if (learn && mm->e >= 0) {
            float g = (float)freq[mm->e] * inv - (mm->e == y ? 1.0f : 0.0f);
            float *w = &mm->w[mm->agree][mm->bucket];
            *w = *w - m->p.lr_match * g;
        }
        /* follow the match, or lose it (a long one: skip the token and
         * look for y a few tokens around, for up to p.recover misses) */
        if (mm->len > 0) {
            if (ids[mm->ptr] == y) {
                mm->ptr++;
                if (mm->len < MIX_MAX_LEN) mm->len++;
                mm->miss = 0;
            } else if (m->p.recover && mm->len >= m->p.recover_min && mm->miss < m->p.recover) {
                uint32_t q = mm->ptr + 1, found = 0;
                for (uint32_t dq = 0; dq < 8 && !found; dq++) { /* ptr+1, ptr+2, ..., then ptr-1 */
                    const uint32_t c = dq < 6 ? mm->ptr + 1 + dq : mm->ptr - (dq - 5);
                    if (c < n1 && c + 1 < n1 && ids[c] == y) q = c + 1, found = 1;
                }
                mm->ptr = q;
                mm->miss = found ? 0 : mm->miss + 1;
                if (mm->ptr >= n1) mm->len = mm->miss = 0;
            } else {
                mm->len = mm->miss = 0;
            }
        }
        if (n1 < (size_t)k + 1) continue; /* the k-gram may not include BOS */
        uint32_t h = kgram_hash(ids, n1, k);
        if ((mm->len == 0 || mm->miss) && mm->ht[h]) {
            /* candidate: the token after an earlier occurrence; verify it and
             * measure the match backwards (hash collisions are rejected) */
            uint32_t c = mm->ht[h] - 1, L = 0;
            while (L < MIX_MAX_LEN && c >= 2 + L && ids[c - 1 - L] == ids[n1 - 1 - L]) L++;
            if (L >= k) {
                mm->ptr = c;
                mm->len = L;
                mm->miss = 0;
            }
        }
        mm->ht[h] = (uint32_t)n1 + 1;
    }

    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *cx = &m->cx[j];
        if (!cx->valid) continue;
        const uint32_t slot = cx->slot;
        int found = 0;
        if (cx->key[slot] == cx->hash) {
            /* the successors that were boosted: one gradient step each, in
             * list order; then count y */
            uint32_t i = cx->head[slot];
            for (int walk = 0; i && walk < MIX_CTX_SEARCH && (walk < MIX_CTX_WALK || !found); walk++) {
                mix_node *nd = &cx->node[i - 1];
                if (learn && walk < MIX_CTX_WALK) {
                    float g = (float)freq[nd->tok] * inv - (nd->tok == y ? 1.0f : 0.0f);
                    float *w = &cx->w[cbucket_of(nd->count)];
                    *w = *w - m->p.lr_ctx * g;
                }
                if (nd->tok == y && !found) {
                    if (nd->count < 0xFFFFu) nd->count++;
                    found = 1;
                }
                i = nd->next;
            }
        } else {
            cx->key[slot] = cx->hash; /* a new context takes the slot */
            cx->head[slot] = 0;
        }
        if (!found && cx->n_node < MIX_CTX_NODES && cx->n_node < cx->cap) { /* cap: never reached, see mix_init */
            mix_node *nd = &cx->node[cx->n_node++];
            nd->tok = y;
            nd->count = 1;
            nd->next = cx->head[slot];
            cx->head[slot] = cx->n_node;
        }
    }

    for (uint32_t r = 0; learn && r < m->n_rec; r++) {
        const int32_t v = m->rec_tok[r];
        float g = (float)freq[v] * inv - (v == y ? 1.0f : 0.0f);
        m->wr[m->rec_b[r]] = m->wr[m->rec_b[r]] - m->p.lr_recent * g;
    }
    m->n_rec = 0;

    /* lines: a token with a line break starts a new line after it */
    if (m->nl && m->nl[y]) {
        m->above = m->line;
        m->line = (uint32_t)n1;
    }
}

void mix_update(mix_state *m, const lmz_freqs *f, const int32_t *ids, size_t n) { update(m, f, ids, n, 1); }

/* ------------------------------------------------------------------------ */
/* Priming (dictionaries)                                                    */
/* ------------------------------------------------------------------------ */

void mix_observe(mix_state *m, const int32_t *ids, size_t n) {
    for (size_t i = 1; i < n; i++) {
        for (int j = 0; j < MIX_N_MATCH; j++) m->mm[j].e = -1;
        ctx_locate(m, ids, i);
        update(m, NULL, ids, i, 0);
    }
}

int mix_copy(mix_state *dst, const mix_state *src) {
    if (dst->V != src->V) return LMZ_IERR(LMZ_error_parameter);
    for (int j = 0; j < MIX_N_CTX; j++)
        if (dst->cx[j].cap < src->cx[j].n_node || (src->cx[j].key && !dst->cx[j].key))
            return LMZ_IERR(LMZ_error_parameter);
    if (src->p.recent && !dst->stamp) return LMZ_IERR(LMZ_error_parameter);
    dst->p = src->p;
    dst->s = src->s;
    memcpy(dst->b, src->b, (size_t)src->V * sizeof(float));
    for (int j = 0; j < MIX_N_MATCH; j++) {
        mix_match *d = &dst->mm[j];
        const mix_match *s = &src->mm[j];
        uint32_t *ht = d->ht;
        *d = *s;
        d->ht = ht;
        memcpy(ht, s->ht, sizeof(uint32_t) << MIX_HASH_BITS);
    }
    memcpy(dst->wr, src->wr, sizeof dst->wr);
    dst->nl = src->nl;
    dst->n_rec = 0;
    dst->line = src->line;
    dst->above = src->above;
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *d = &dst->cx[j];
        const mix_ctx *s = &src->cx[j];
        if (!s->key) continue;
        memcpy(d->key, s->key, sizeof(uint32_t) << MIX_CTX_BITS);
        memcpy(d->head, s->head, sizeof(uint32_t) << MIX_CTX_BITS);
        memcpy(d->node, s->node, (size_t)s->n_node * sizeof(mix_node));
        d->n_node = s->n_node;
        memcpy(d->w, s->w, sizeof d->w);
        d->slot = s->slot;
        d->hash = s->hash;
        d->valid = s->valid;
    }
    return 0;
}
