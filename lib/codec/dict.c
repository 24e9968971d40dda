/*
 * lib/codec/dict.c — dictionaries: the file (doc/format.md §9), loading,
 * the prefix caches and the mixer's starting state (dict.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/dict.h"

/* ======================================================================== */
/* The file                                                                  */
/* ======================================================================== */

#define DICT_FIXED 39u /* magic, version, flags, model SHA-256, name length */
#define DICT_COUNTS 12u /* n_vocab, n_hist, n_prefix, profile, token width */
/* The learned values' bytes for mixer profile p: temperature, bias scale,
 * match weights, each successor cache's weights, the recency weights. */
static size_t dict_weights(const mix_params *p) {
    return 4u * (2u + MIX_N_MATCH * 2u * MIX_N_BUCKET + (size_t)mix_n_ctx(p) * MIX_N_CBUCKET +
                 (p->recent ? MIX_N_RBUCKET : 0u));
}
#define DICT_MIN_WEIGHTS (4u * (2u + MIX_N_MATCH * 2u * MIX_N_BUCKET)) /* what any profile has */

static uint32_t tok_width(uint32_t n_vocab) { return n_vocab <= 65536u ? 2u : 4u; }

size_t dict_file_size(unsigned profile, uint32_t n_vocab, uint32_t n_hist, size_t name_len) {
    const mix_params *p = mix_profile(profile);
    return p ? DICT_FIXED + name_len + DICT_COUNTS + (size_t)tok_width(n_vocab) * n_hist + dict_weights(p) + n_vocab + 4
             : 0;
}

static int weight_ok(float w) { return w == w && w >= -LMZ_DICT_W_MAX && w <= LMZ_DICT_W_MAX; }

int dict_parse(const uint8_t *src, size_t n, dict_header *h, lmz_msg *msg) {
    memset(h, 0, sizeof *h);
    RETURN_ERROR_IF(n < 4 || lmz_rd32(src) != LMZ_DICT_MAGIC, LMZ_error_dict_invalid, msg,
                    "not an lmz dictionary (bad magic)");
    RETURN_ERROR_IF(n < DICT_FIXED + DICT_COUNTS + DICT_MIN_WEIGHTS + 4, LMZ_error_dict_invalid, msg,
                    "dictionary truncated (%zu bytes)", n);
    RETURN_ERROR_IF(src[4] != LMZ_DICT_VERSION, LMZ_error_unsupported, msg,
                    "dictionary format version %u is not supported (this lmz reads version %u)", src[4],
                    LMZ_DICT_VERSION);
    RETURN_ERROR_IF(n > LMZ_DICT_MAX_SIZE, LMZ_error_dict_invalid, msg, "dictionary larger than %u bytes",
                    LMZ_DICT_MAX_SIZE);
    RETURN_ERROR_IF((uint32_t)lmz_xxh64(src, n - 4) != lmz_rd32(src + n - 4), LMZ_error_dict_invalid, msg,
                    "dictionary damaged (checksum mismatch)");
    RETURN_ERROR_IF(src[5] != 0, LMZ_error_unsupported, msg, "dictionary: unknown flags 0x%02x", src[5]);
    memcpy(h->model_sha256, src + 6, 32);
    const size_t L = src[38];
    RETURN_ERROR_IF(DICT_FIXED + L + DICT_COUNTS > n - 4, LMZ_error_dict_invalid, msg,
                    "dictionary: name does not fit");
    RETURN_ERROR_IF(memchr(src + DICT_FIXED, 0, L), LMZ_error_dict_invalid, msg, "dictionary: NUL in its name");
    memcpy(h->name, src + DICT_FIXED, L);
    h->name[L] = 0;
    const uint8_t *p = src + DICT_FIXED + L;
    h->n_vocab = lmz_rd32(p);
    h->n_hist = lmz_rd32(p + 4);
    h->n_prefix = lmz_rd16(p + 8);
    h->profile = p[10];
    const uint32_t w = p[11];
    p += DICT_COUNTS;
    RETURN_ERROR_IF(h->n_vocab < 2 || h->n_vocab > (1u << 24), LMZ_error_dict_invalid, msg,
                    "dictionary: vocabulary size %u out of range", h->n_vocab);
    RETURN_ERROR_IF(w != tok_width(h->n_vocab), LMZ_error_dict_invalid, msg,
                    "dictionary: token width %u for a vocabulary of %u", w, h->n_vocab);
    RETURN_ERROR_IF(h->n_hist < 1 || h->n_hist > LMZ_DICT_MAX_HISTORY, LMZ_error_dict_invalid, msg,
                    "dictionary: history of %u tokens out of range [1, %u]", h->n_hist, LMZ_DICT_MAX_HISTORY);
    RETURN_ERROR_IF(h->n_prefix < 1 || h->n_prefix > h->n_hist || h->n_prefix > LMZ_DICT_MAX_PREFIX,
                    LMZ_error_dict_invalid, msg, "dictionary: prefix of %u tokens out of range [1, min(%u, %u)]",
                    h->n_prefix, h->n_hist, LMZ_DICT_MAX_PREFIX);
    const mix_params *mp = mix_profile(h->profile);
    RETURN_ERROR_IF(!mp, LMZ_error_unsupported, msg, "dictionary: mixer profile %u unknown (this lmz knows 1 to %u)",
                    h->profile, MIX_PROFILE_MAX);
    const size_t want = dict_file_size(h->profile, h->n_vocab, h->n_hist, L);
    RETURN_ERROR_IF(n != want, LMZ_error_dict_invalid, msg, "dictionary: %zu bytes, its counts say %zu", n, want);
    h->tokens = p;
    for (uint32_t i = 0; i < h->n_hist; i++) {
        const uint32_t t = w == 2 ? lmz_rd16(p + 2 * (size_t)i) : lmz_rd32(p + 4 * (size_t)i);
        RETURN_ERROR_IF(t >= h->n_vocab, LMZ_error_dict_invalid, msg, "dictionary: token %u at %u >= vocabulary %u",
                        t, i, h->n_vocab);
    }
    p += (size_t)w * h->n_hist;
    h->s = lmz_rdf32(p);
    h->bias_scale = lmz_rdf32(p + 4);
    p += 8;
    RETURN_ERROR_IF(!(h->s >= 0.25f && h->s <= 4.0f), LMZ_error_dict_invalid, msg,
                    "dictionary: temperature out of [0.25, 4]");
    RETURN_ERROR_IF(!(h->bias_scale >= 0.0f && h->bias_scale <= 1.0f), LMZ_error_dict_invalid, msg,
                    "dictionary: bias scale out of [0, 1]");
    for (int j = 0; j < MIX_N_MATCH; j++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < MIX_N_BUCKET; b++, p += 4) {
                h->wm[j][a][b] = lmz_rdf32(p);
                RETURN_ERROR_IF(!weight_ok(h->wm[j][a][b]), LMZ_error_dict_invalid, msg,
                                "dictionary: match weight out of range");
            }
    for (int j = 0; j < mix_n_ctx(mp); j++)
        for (int b = 0; b < MIX_N_CBUCKET; b++, p += 4) {
            h->wc[j][b] = lmz_rdf32(p);
            RETURN_ERROR_IF(!weight_ok(h->wc[j][b]), LMZ_error_dict_invalid, msg,
                            "dictionary: successor weight out of range");
        }
    for (int b = 0; mp->recent && b < MIX_N_RBUCKET; b++, p += 4) {
        h->wr[b] = lmz_rdf32(p);
        RETURN_ERROR_IF(!weight_ok(h->wr[b]), LMZ_error_dict_invalid, msg, "dictionary: recency weight out of range");
    }
    h->bias = p;
    return 0;
}

float dict_bias_scale(const float *bias, uint32_t n_vocab) {
    float amax = 0.0f; /* the largest magnitude goes to +-127 */
    for (uint32_t v = 0; v < n_vocab; v++) amax = fabsf(bias[v]) > amax ? fabsf(bias[v]) : amax;
    return amax > 127.0f ? 1.0f : amax / 127.0f;
}

int8_t dict_bias_q(float bias, float scale) {
    float q = scale > 0.0f ? bias / scale : 0.0f;
    q = q > 127.0f ? 127.0f : q < -127.0f ? -127.0f : q;
    return (int8_t)lrintf(q);
}

void dict_clamp_weights(float *w, size_t n) {
    for (size_t i = 0; i < n; i++)
        w[i] = w[i] > LMZ_DICT_W_MAX ? LMZ_DICT_W_MAX : w[i] < -LMZ_DICT_W_MAX ? -LMZ_DICT_W_MAX : w[i];
}

size_t dict_serialize(const dict_header *h, const int32_t *tokens, const float *bias, uint8_t *dst, size_t cap) {
    const size_t L = strlen(h->name);
    const size_t size = dict_file_size(h->profile, h->n_vocab, h->n_hist, L);
    const mix_params *mp = mix_profile(h->profile);
    if (!mp || L > LMZ_DICT_NAME_MAX || size > cap) return 0;
    const uint32_t w = tok_width(h->n_vocab);
    uint8_t *p = dst;
    lmz_wr32(p, LMZ_DICT_MAGIC);
    p[4] = LMZ_DICT_VERSION;
    p[5] = 0;
    memcpy(p + 6, h->model_sha256, 32);
    p[38] = (uint8_t)L;
    memcpy(p + DICT_FIXED, h->name, L);
    p += DICT_FIXED + L;
    lmz_wr32(p, h->n_vocab);
    lmz_wr32(p + 4, h->n_hist);
    lmz_wr16(p + 8, (uint16_t)h->n_prefix);
    p[10] = h->profile;
    p[11] = (uint8_t)w;
    p += DICT_COUNTS;
    for (uint32_t i = 0; i < h->n_hist; i++, p += w)
        if (w == 2) lmz_wr16(p, (uint16_t)tokens[i]);
        else lmz_wr32(p, (uint32_t)tokens[i]);
    const float scale = dict_bias_scale(bias, h->n_vocab); /* biases: int8 with one scale */
    uint32_t u;
#define PUTF(x) (memcpy(&u, &(float){x}, 4), lmz_wr32(p, u), p += 4)
    PUTF(h->s);
    PUTF(scale);
    for (int j = 0; j < MIX_N_MATCH; j++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < MIX_N_BUCKET; b++) PUTF(h->wm[j][a][b]);
    for (int j = 0; j < mix_n_ctx(mp); j++)
        for (int b = 0; b < MIX_N_CBUCKET; b++) PUTF(h->wc[j][b]);
    for (int b = 0; mp->recent && b < MIX_N_RBUCKET; b++) PUTF(h->wr[b]);
#undef PUTF
    for (uint32_t v = 0; v < h->n_vocab; v++) *p++ = (uint8_t)dict_bias_q(bias[v], scale);
    lmz_wr32(p, (uint32_t)lmz_xxh64(dst, (size_t)(p - dst)));
    p += 4;
    return (size_t)(p - dst);
}

/* ======================================================================== */
/* Loading                                                                   */
/* ======================================================================== */

static int dict_setup(lmz_dict *d, lmz_msg *msg) {
    const dict_header *h = &d->hd;
    const lmz_model *m = d->m;
    const uint32_t V = h->n_vocab, H = h->n_hist, w = tok_width(V);
    d->ids = malloc(((size_t)H + 1) * sizeof(int32_t));
    if (!d->ids) return lmz_fail(msg, LMZ_error_memory, "out of memory for the dictionary");
    d->ids[0] = tok_bos(m->tok);
    for (uint32_t i = 0; i < H; i++)
        d->ids[1 + i] = (int32_t)(w == 2 ? lmz_rd16(h->tokens + 2 * (size_t)i) : lmz_rd32(h->tokens + 4 * (size_t)i));
    const mix_params *mp = mix_profile(h->profile); /* known: dict_parse checked it */
    if (mix_init(&d->mx, V, mp, dict_mix_tokens(d, 0)))
        return lmz_fail(msg, LMZ_error_memory, "out of memory for the dictionary's mixer");
    if (mix_uses_lines(mp)) { /* line contexts: which tokens end a line */
        if (!(d->nl = lmz_model_line_ends(m)))
            return lmz_fail(msg, LMZ_error_memory, "out of memory for the dictionary's mixer");
        d->mx.nl = d->nl;
    }
    mix_observe(&d->mx, d->ids, (size_t)H + 1);
    d->mx.s = h->s;
    for (uint32_t v = 0; v < V; v++) d->mx.b[v] = h->bias_scale * (float)(int8_t)h->bias[v];
    for (int j = 0; j < MIX_N_MATCH; j++) memcpy(d->mx.mm[j].w, h->wm[j], sizeof h->wm[j]);
    for (int j = 0; j < mix_n_ctx(mp); j++) memcpy(d->mx.cx[j].w, h->wc[j], sizeof h->wc[j]);
    memcpy(d->mx.wr, h->wr, sizeof d->mx.wr);
    return 0;
}

/* The dictionary's identity: the SHA-256 of its file. */
static void file_sha256(const uint8_t *p, size_t n, uint8_t out[32]) {
    lmz_sha256 sh;
    lmz_sha256_init(&sh);
    lmz_sha256_update(&sh, p, n);
    lmz_sha256_final(&sh, out);
}

lmz_dict *lmz_dict_load(const lmz_model *m, const void *buf, size_t size, size_t *err, char *msg_out,
                        size_t msg_cap) {
    lmz_msg msg = {{0}};
    int rc = 0;
    lmz_dict *d = NULL;
    if (!m || (!buf && size)) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "no model or no dictionary bytes");
        goto fail;
    }
    d = calloc(1, sizeof *d);
    if (!d || !(d->file = malloc(size ? size : 1))) {
        rc = lmz_fail(&msg, LMZ_error_memory, "out of memory for the dictionary");
        goto fail;
    }
    memcpy(d->file, buf, size);
    const dict_header *h = &d->hd;
    if ((rc = dict_parse(d->file, size, &d->hd, &msg))) goto fail; /* its pointers point into our copy */
    if (memcmp(h->model_sha256, m->sha256, 32) || h->n_vocab != m->llm.hp.n_vocab) {
        char want[65], have[65];
        lmz_hex(h->model_sha256, 32, want);
        lmz_hex(m->sha256, 32, have);
        rc = lmz_fail(&msg, LMZ_error_model_mismatch,
                      "dictionary '%s' was made for model %.16s..., the model in use is %.16s... (%s)", h->name, want,
                      have, m->name);
        goto fail;
    }
    file_sha256(d->file, size, d->hd.sha256);
    if (pthread_mutex_init(&d->lock, NULL)) {
        rc = lmz_fail(&msg, LMZ_error_memory, "no lock for the dictionary");
        goto fail;
    }
    d->m = m; /* from here on lmz_dict_free destroys the lock */
    if ((rc = dict_setup(d, &msg))) goto fail;
    if (err) *err = 0;
    return d;
fail:
    lmz_dict_free(d);
    if (err) *err = LMZ_ERR_FROM_INT(rc);
    if (msg_out && msg_cap) {
        strncpy(msg_out, msg.text, msg_cap - 1);
        msg_out[msg_cap - 1] = 0;
    }
    return NULL;
}

void lmz_dict_free(lmz_dict *d) {
    if (!d) return;
    for (int i = 0; i < LMZ_DICT_PREFIX_CACHES; i++) llama_kv_free(&d->pre[i].kv);
    if (d->m) pthread_mutex_destroy(&d->lock);
    mix_free(&d->mx);
    free(d->nl);
    free(d->ids);
    free(d->file);
    free(d);
}

const char *lmz_dict_name(const lmz_dict *d) { return d ? d->hd.name : ""; }
void lmz_dict_sha256(const lmz_dict *d, uint8_t out[32]) {
    if (d) memcpy(out, d->hd.sha256, 32);
}

size_t lmz_dict_info(const void *buf, size_t size, lmz_dict_info_t *info) {
    lmz_msg msg;
    dict_header h;
    memset(info, 0, sizeof *info);
    int rc = dict_parse(buf, size, &h, &msg);
    if (rc) return LMZ_ERR_FROM_INT(rc);
    file_sha256(buf, size, info->sha256);
    memcpy(info->model_sha256, h.model_sha256, 32);
    memcpy(info->name, h.name, sizeof info->name);
    info->n_vocab = h.n_vocab;
    info->history_tokens = h.n_hist;
    info->prefix_tokens = h.n_prefix;
    return 0;
}

/* ======================================================================== */
/* The prefix caches                                                         */
/* ======================================================================== */

/* The model's cache after BOS, h[H-P .. H-1): P positions, fed in batches. */
static int prefix_make(lmz_dict *d, uint32_t P, llama_kv *kv, lmz_pool *pool) {
    const llama_model *lm = &d->m->llm;
    const uint32_t H = d->hd.n_hist, span = P + 2 > 2 ? P + 2 : 2;
    if (llama_kv_init(kv, lm, span < lm->hp.n_ctx ? span : lm->hp.n_ctx)) return LMZ_IERR(LMZ_error_memory);
    int32_t *in = malloc((size_t)P * sizeof(int32_t));
    llama_work *w = llama_work_create(lm, LLAMA_KV_SLACK, kv->span);
    int rc = in && w ? 0 : LMZ_IERR(LMZ_error_memory);
    if (!rc) {
        in[0] = d->ids[0];
        for (uint32_t i = 1; i < P; i++) in[i] = d->ids[1 + H - P + (i - 1)];
        for (uint32_t i = 0; i < P && !rc; i += LLAMA_KV_SLACK) {
            const uint32_t k = P - i < LLAMA_KV_SLACK ? P - i : LLAMA_KV_SLACK;
            rc = llama_forward_seq(lm, w, kv, in + i, k, k, NULL, pool);
        }
    }
    free(in);
    llama_work_free(w);
    if (rc) llama_kv_free(kv);
    return rc;
}

const llama_kv *dict_prefix_kv(const lmz_dict *dc, uint32_t W, lmz_pool *pool) {
    lmz_dict *d = (lmz_dict *)dc; /* the caches are made on first need, under the lock */
    const uint32_t P = dict_prefix_len(d, W);
    const llama_kv *r = NULL;
    pthread_mutex_lock(&d->lock);
    for (int i = 0; i < LMZ_DICT_PREFIX_CACHES && !r; i++)
        if (d->pre[i].n_prefix == P) r = &d->pre[i].kv;
    for (int i = 0; i < LMZ_DICT_PREFIX_CACHES && !r; i++)
        if (d->pre[i].n_prefix == 0) {
            if (prefix_make(d, P, &d->pre[i].kv, pool) == 0) {
                d->pre[i].n_prefix = P;
                r = &d->pre[i].kv;
            }
            break;
        }
    pthread_mutex_unlock(&d->lock);
    return r;
}

size_t dict_chunk_start(const lmz_dict *d, const lmz_model *m, const llama_kv *pre, int32_t *ids, mix_state *mx,
                        llama_kv *kv) {
    if (!d) {
        ids[0] = tok_bos(m->tok);
        if (mx) mix_reset(mx);
        llama_kv_reset(kv);
        return 1;
    }
    const size_t H = d->hd.n_hist;
    memcpy(ids, d->ids, (H + 1) * sizeof(int32_t));
    if (mx) mix_copy(mx, &d->mx); /* pools sized with dict_mix_tokens: cannot fail */
    return pre && llama_kv_copy(&m->llm, kv, pre) == 0 ? H + 1 : 0;
}

size_t dict_frame_record(const lmz_dict *d, uint8_t *dst, size_t cap) {
    const size_t L = strlen(d->hd.name);
    if (33 + L > cap) return 0;
    memcpy(dst, d->hd.sha256, 32);
    dst[32] = (uint8_t)L;
    memcpy(dst + 33, d->hd.name, L);
    return 33 + L;
}
