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

/* Profile 1: the constants every `lm+mix` v1 stream is coded with. Chosen by
 * measurement (bench/MIX.md); changing one changes the format. */
const mix_params mix_profile_1 = {
    .lr_bias = 0.35f,
    .lr_temp = 0.001f,
    .lr_match = 0.2f,
    .order = {2, 6},
    .w_init = 0.25f,
    .w_init_max = 3.0f,
    .ctx_order = {1, 3},
    .lr_ctx = 0.05f,
    .wc_init = 0.1f,
};

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
        m->cx[j].key = malloc(sizeof(uint32_t) << MIX_CTX_BITS);
        m->cx[j].head = malloc(sizeof(uint32_t) << MIX_CTX_BITS);
        m->cx[j].cap = mix_node_cap(max_tokens);
        m->cx[j].node = malloc(m->cx[j].cap * sizeof(mix_node));
        if (!m->cx[j].key || !m->cx[j].head || !m->cx[j].node) goto fail;
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
        mm->ptr = mm->len = 0;
        mm->e = -1;
        memset(mm->ht, 0, sizeof(uint32_t) << MIX_HASH_BITS);
        for (int b = 0; b < MIX_N_BUCKET; b++) {
            float w = m->p.w_init * (float)b;
            w = w < m->p.w_init_max ? w : m->p.w_init_max;
            mm->w[0][b] = w;
            mm->w[1][b] = w;
        }
    }
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *cx = &m->cx[j];
        memset(cx->key, 0, sizeof(uint32_t) << MIX_CTX_BITS);
        memset(cx->head, 0, sizeof(uint32_t) << MIX_CTX_BITS);
        cx->n_node = 0;
        cx->valid = 0;
        for (int b = 0; b < MIX_N_CBUCKET; b++) cx->w[b] = m->p.wc_init;
    }
}

/* Full 32-bit hash of the k tokens ids[n-k .. n). */
static uint32_t ctx_hash(const int32_t *ids, size_t n, uint32_t k) {
    uint32_t h = 0x811C9DC5u ^ k;
    for (size_t i = n - k; i < n; i++) h = (h ^ (uint32_t)ids[i]) * 0x01000193u;
    return h ^ (h >> 15);
}

/* ------------------------------------------------------------------------ */
/* Prediction                                                                */
/* ------------------------------------------------------------------------ */

/* Each successor cache's slot for the context ending at ids[n-1]. */
static void ctx_locate(mix_state *m, const int32_t *ids, size_t n) {
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *cx = &m->cx[j];
        const uint32_t k = m->p.ctx_order[j];
        cx->valid = 0;
        if (k == 0 || n < (size_t)k + 1) continue; /* the context may not include BOS */
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
        mm->bucket = bucket_of(mm->len);
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
        /* follow the match, or lose it */
        if (mm->len > 0) {
            if (ids[mm->ptr] == y) {
                mm->ptr++;
                if (mm->len < MIX_MAX_LEN) mm->len++;
            } else {
                mm->len = 0;
            }
        }
        if (n1 < (size_t)k + 1) continue; /* the k-gram may not include BOS */
        uint32_t h = kgram_hash(ids, n1, k);
        if (mm->len == 0 && mm->ht[h]) {
            /* candidate: the token after an earlier occurrence; verify it and
             * measure the match backwards (hash collisions are rejected) */
            uint32_t c = mm->ht[h] - 1, L = 0;
            while (L < MIX_MAX_LEN && c >= 2 + L && ids[c - 1 - L] == ids[n1 - 1 - L]) L++;
            if (L >= k) {
                mm->ptr = c;
                mm->len = L;
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
        if (dst->cx[j].cap < src->cx[j].n_node) return LMZ_IERR(LMZ_error_parameter);
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
    for (int j = 0; j < MIX_N_CTX; j++) {
        mix_ctx *d = &dst->cx[j];
        const mix_ctx *s = &src->cx[j];
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
