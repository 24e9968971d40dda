/*
 * lib/compress/dict_train.c — `lmz --train`: a dictionary (codec/dict.h,
 * doc/format.md §9) from sample files.
 *
 *   1. The samples are tokenized and cut into segments of SEG_TOKENS tokens.
 *   2. Segments are picked greedily as zstd's COVER picks them: a segment is
 *      worth the number of other samples that share each of its k-grams
 *      (K_GRAM tokens, counted once per segment); once a segment is picked,
 *      its k-grams are worth nothing more, so the next pick covers other
 *      text. Picking stops when the budget (--maxdict, minus the fixed
 *      part) is full or no segment shares anything with another sample.
 *   3. The history is the picks in reverse order: the most valuable
 *      segments end it, where the model sees them (the prefix, its last
 *      LMZ_DICT_MAX_PREFIX tokens) and where the mixer's matches are newest.
 *   4. The mixer's learned values: the model and the mixer run over the last
 *      LEARN_TOKENS tokens of the history (its tables primed with the rest,
 *      as a chunk's will be), and the dictionary keeps what they learned.
 * Everything is a function of the samples, their order and the model: the
 * same inputs give the same dictionary on any machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/dict.h"

#define SEG_TOKENS 128u     /* tokens per candidate segment */
#define K_GRAM 6u           /* tokens per k-gram */
#define KG_BITS 22u         /* k-gram table: 2^22 counters */
#define LEARN_TOKENS 65536u /* tokens the mixer learns its values from (the history's last) */
#define TRAIN_PROFILE 2     /* the mixer profile of the dictionaries made here (mix.h) */
#define MIN_SAMPLE_BYTES 1024u
#define DEFAULT_MAX_DICT 112640u

typedef struct {
    uint32_t sample, off, len; /* tokens [off, off + len) of the sample's tokens */
    uint32_t at;               /* first token in the joined token array */
} segment;

static uint32_t kg_hash(const int32_t *t) {
    uint32_t h = 0x9E3779B9u;
    for (uint32_t i = 0; i < K_GRAM; i++) h = (h ^ (uint32_t)t[i]) * 0x01000193u;
    return (h ^ (h >> 13)) >> (32 - KG_BITS);
}

/* The worth of segment g: the df - 1 of each k-gram still live, once each. */
static uint64_t seg_score(const segment *g, const int32_t *tok, const uint32_t *df, uint32_t *seen, uint32_t stamp) {
    uint64_t s = 0;
    for (uint32_t i = 0; i + K_GRAM <= g->len; i++) {
        const uint32_t h = kg_hash(tok + g->at + i);
        if (seen[h] == stamp) continue;
        seen[h] = stamp;
        if (df[h] > 1) s += df[h] - 1;
    }
    return s;
}

/* The mixer's learned values after the model and the mixer ran over
 * ids[from .. n) with its tables primed by ids[0 .. from). */
static int learn_mixer(const lmz_model *m, const int32_t *ids, size_t n, size_t from, mix_state *mx, lmz_pool *pool,
                       const lmz_train_params *tp, lmz_msg *msg) {
    const llama_model *lm = &m->llm;
    const uint32_t V = lm->hp.n_vocab, W = lm->hp.n_ctx, B = LLAMA_KV_SLACK;
    llama_kv kv;
    lmz_freqs f;
    memset(&f, 0, sizeof f);
    llama_work *w = llama_work_create(lm, B, W);
    float *logits = malloc((size_t)B * V * sizeof(float));
    int32_t *in = malloc(((size_t)(n - from) + 1) * sizeof(int32_t));
    int rc = llama_kv_init(&kv, lm, W);
    if (rc || !w || !logits || !in || freqs_init(&f, V)) {
        rc = lmz_fail(msg, LMZ_error_memory, "out of memory for training");
        goto out;
    }
    mix_observe(mx, ids, from);
    /* the model's own context: BOS, then ids[from ..] */
    in[0] = ids[0];
    memcpy(in + 1, ids + from, (n - from) * sizeof(int32_t));
    const size_t N = n - from + 1;
    for (size_t i = 1; i < N && !rc; i += B) {
        const uint32_t k = (uint32_t)(N - i < B ? N - i : B);
        if ((rc = llama_forward_seq(lm, w, &kv, in + i - 1, k, 0, logits, pool))) {
            lmz_fail(msg, LMZ_ICODE(rc), "model forward failed");
            break;
        }
        for (uint32_t r = 0; r < k; r++) {
            const size_t at = from + (i - 1) + r; /* ids[at] is the token learned from */
            const float *z = mix_predict(mx, logits + (size_t)r * V, ids, at);
            freqs_from_logits(&f, z);
            mix_update(mx, &f, ids, at);
        }
        if (tp->progress) tp->progress(tp->progress_opaque, i + k - 1, N - 1);
    }
out:
    llama_kv_free(&kv);
    llama_work_free(w);
    freqs_free(&f);
    free(logits);
    free(in);
    return rc;
}

size_t lmz_train_dict(const lmz_model *m, void *dst, size_t cap, const void *samples, const size_t *sizes,
                      unsigned n, const lmz_train_params *p, char *msg_out, size_t msg_cap) {
    lmz_msg msg = {{0}};
    lmz_train_params tp;
    memset(&tp, 0, sizeof tp);
    if (p) tp = *p;
    const size_t max_size = tp.max_size ? tp.max_size : DEFAULT_MAX_DICT;
    const char *name = tp.name ? tp.name : "dict";
    int rc = 0;
    int32_t *tok = NULL, *hist = NULL;
    segment *seg = NULL;
    uint32_t *df = NULL, *last = NULL, *seen = NULL, *order = NULL;
    uint8_t *picked = NULL, *nl = NULL;
    lmz_pool *pool = NULL;
    mix_state mx;
    memset(&mx, 0, sizeof mx);
    size_t out = 0;
    if (!m || !dst || (!samples && n) || (!sizes && n)) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "no model, output or samples");
        goto done;
    }
    const uint32_t V = m->llm.hp.n_vocab;
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) total += sizes[i];
    if (n == 0) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "no samples to train from");
        goto done;
    }
    if (total < MIN_SAMPLE_BYTES) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "samples too small to learn from: %zu bytes in all, at least %u needed",
                      total, MIN_SAMPLE_BYTES);
        goto done;
    }
    if (strlen(name) > LMZ_DICT_NAME_MAX || memchr(name, '\n', strlen(name))) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "dictionary name longer than %d bytes or with a line break",
                      LMZ_DICT_NAME_MAX);
        goto done;
    }
    const size_t fixed = dict_file_size(TRAIN_PROFILE, V, 0, strlen(name));
    if (max_size < fixed + 2 * SEG_TOKENS * (V <= 65536 ? 2 : 4) || cap < fixed) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "dictionary size %zu too small: this model needs at least %zu bytes",
                      max_size < cap ? max_size : cap, fixed + 2 * SEG_TOKENS * (size_t)(V <= 65536 ? 2 : 4));
        goto done;
    }
    size_t budget = (max_size < cap ? max_size : cap) - fixed; /* bytes of history */
    budget /= V <= 65536 ? 2 : 4;                                /* tokens */
    if (budget > LMZ_DICT_MAX_HISTORY) budget = LMZ_DICT_MAX_HISTORY;

    /* 1. tokens of every sample, joined; segments */
    size_t nt = 0, ns = 0, seg_cap = 0;
    const uint8_t *src = samples;
    for (unsigned i = 0; i < n && !rc; src += sizes[i], i++) {
        int32_t *t = NULL;
        size_t k = 0;
        if (sizes[i] == 0) continue;
        if (tok_encode(m->tok, src, sizes[i], &t, &k)) {
            rc = lmz_fail(&msg, LMZ_error_memory, "out of memory tokenizing sample %u", i);
            break;
        }
        int32_t *grown = realloc(tok, (nt + k) * sizeof *tok);
        const size_t need = ns + k / SEG_TOKENS + 1;
        if (need > seg_cap) {
            seg_cap = need * 2;
            segment *sg = realloc(seg, seg_cap * sizeof *seg);
            if (sg) seg = sg;
            else seg_cap = 0;
        }
        if (!grown || !seg_cap) {
            free(t);
            free(grown ? grown : tok);
            tok = NULL;
            rc = lmz_fail(&msg, LMZ_error_memory, "out of memory for the samples' tokens");
            break;
        }
        tok = grown;
        memcpy(tok + nt, t, k * sizeof *tok);
        free(t);
        for (size_t o = 0; o < k; o += SEG_TOKENS) {
            seg[ns].sample = i;
            seg[ns].off = (uint32_t)o;
            seg[ns].len = (uint32_t)(k - o < SEG_TOKENS ? k - o : SEG_TOKENS);
            seg[ns].at = (uint32_t)(nt + o);
            ns++;
        }
        nt += k;
    }
    if (rc) goto done;

    /* 2. document frequency of each k-gram: the samples that hold it */
    df = calloc((size_t)1 << KG_BITS, sizeof *df);
    last = calloc((size_t)1 << KG_BITS, sizeof *last);
    seen = calloc((size_t)1 << KG_BITS, sizeof *seen);
    picked = calloc(ns ? ns : 1, 1);
    order = malloc((ns ? ns : 1) * sizeof *order);
    if (!df || !last || !seen || !picked || !order) {
        rc = lmz_fail(&msg, LMZ_error_memory, "out of memory for training");
        goto done;
    }
    for (size_t g = 0; g < ns; g++)
        for (uint32_t i = 0; i + K_GRAM <= seg[g].len; i++) {
            const uint32_t h = kg_hash(tok + seg[g].at + i);
            if (last[h] != seg[g].sample + 1) {
                last[h] = seg[g].sample + 1;
                df[h]++;
            }
        }
    /* (k-grams that straddle two segments of a sample are not counted: each
     * segment is scored on its own tokens) */

    /* 3. greedy picks */
    size_t n_pick = 0, used = 0;
    uint32_t stamp = 0;
    while (used < budget) {
        uint64_t best = 0;
        size_t bi = ns;
        for (size_t g = 0; g < ns; g++) {
            if (picked[g] || used + seg[g].len > budget) continue;
            const uint64_t sc = seg_score(&seg[g], tok, df, seen, ++stamp);
            if (sc > best) best = sc, bi = g;
        }
        if (bi == ns) break; /* nothing shared is left (or nothing fits) */
        picked[bi] = 1;
        order[n_pick++] = (uint32_t)bi;
        used += seg[bi].len;
        for (uint32_t i = 0; i + K_GRAM <= seg[bi].len; i++) df[kg_hash(tok + seg[bi].at + i)] = 0;
    }
    if (used == 0) { /* the samples share nothing: keep the most recent of them whole, up to the budget */
        for (size_t g = ns; g-- > 0 && used + seg[g].len <= budget;) {
            order[n_pick++] = (uint32_t)g;
            used += seg[g].len;
        }
    }
    if (used == 0) {
        rc = lmz_fail(&msg, LMZ_error_parameter, "samples too small to learn from");
        goto done;
    }
    /* history: the picks, the best last */
    hist = malloc((used + 1) * sizeof *hist);
    if (!hist) {
        rc = lmz_fail(&msg, LMZ_error_memory, "out of memory");
        goto done;
    }
    hist[0] = tok_bos(m->tok);
    size_t H = 0;
    for (size_t i = n_pick; i-- > 0;) {
        memcpy(hist + 1 + H, tok + seg[order[i]].at, seg[order[i]].len * sizeof *hist);
        H += seg[order[i]].len;
    }

    /* 4. the mixer's values */
    pool = lmz_pool_create(tp.threads > 0 ? tp.threads : lmz_cpu_count());
    const mix_params *mp = mix_profile(TRAIN_PROFILE);
    if (!pool || mix_init(&mx, V, mp, (uint32_t)H + 2) || (mix_uses_lines(mp) && !(nl = lmz_model_line_ends(m)))) {
        rc = lmz_fail(&msg, LMZ_error_memory, "out of memory for training");
        goto done;
    }
    mx.nl = nl;
    const size_t from = H + 1 > LEARN_TOKENS + 1 ? H + 1 - LEARN_TOKENS : 1;
    if ((rc = learn_mixer(m, hist, H + 1, from, &mx, pool, &tp, &msg))) goto done;

    dict_header dh;
    memset(&dh, 0, sizeof dh);
    memcpy(dh.model_sha256, m->sha256, 32);
    snprintf(dh.name, sizeof dh.name, "%s", name);
    dh.n_vocab = V;
    dh.n_hist = (uint32_t)H;
    dh.n_prefix = H < LMZ_DICT_MAX_PREFIX ? (uint32_t)H : LMZ_DICT_MAX_PREFIX;
    dh.profile = TRAIN_PROFILE;
    dh.s = mx.s;
    for (int j = 0; j < MIX_N_MATCH; j++) memcpy(dh.wm[j], mx.mm[j].w, sizeof dh.wm[j]);
    for (int j = 0; j < MIX_N_CTX; j++) memcpy(dh.wc[j], mx.cx[j].w, sizeof dh.wc[j]);
    memcpy(dh.wr, mx.wr, sizeof dh.wr);
    dict_clamp_weights(&dh.wm[0][0][0], sizeof dh.wm / sizeof(float)); /* within the reader's bound */
    dict_clamp_weights(&dh.wc[0][0], sizeof dh.wc / sizeof(float));
    dict_clamp_weights(dh.wr, MIX_N_RBUCKET);
    out = dict_serialize(&dh, hist + 1, mx.b, dst, cap);
    if (out == 0) rc = lmz_fail(&msg, LMZ_error_dst_too_small, "dictionary does not fit in %zu bytes", cap);
done:
    mix_free(&mx);
    free(nl);
    lmz_pool_free(pool);
    free(tok);
    free(hist);
    free(seg);
    free(df);
    free(last);
    free(seen);
    free(picked);
    free(order);
    if (msg_out && msg_cap) {
        strncpy(msg_out, msg.text, msg_cap - 1);
        msg_out[msg_cap - 1] = 0;
    }
    return rc ? LMZ_ERR_FROM_INT(rc) : out;
}
