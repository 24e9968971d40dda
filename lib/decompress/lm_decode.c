/*
 * lib/decompress/lm_decode.c — decoding `lm` chunks, many at once.
 *
 * Each chunk is an independent stream: BOS, then its tokens, each coded with
 * the frequency table built from the model's logits (lib/coder/freqs.c). The
 * decoder cannot run positions in parallel (it learns a token only after
 * decoding it), so it runs the CHUNKS in parallel instead: every step feeds
 * the last token of each active chunk through the model as one batch (the
 * weights are read once per step for all of them), then decodes one symbol
 * per chunk. Results are identical to decoding each chunk alone: the model's
 * rows never interact (lib/model/llama.h).
 *
 * Speculative verification: besides a chunk's last token, a step may feed
 * the next few tokens a free draft predicts (the continuation of the last
 * earlier occurrence of the chunk's last two tokens) as extra rows of the
 * same batch. The row after a draft token computes the model's logits on the
 * prefix ending with that token; if the token decoded just before turns out
 * to BE the draft token, that prefix is the true one and the row's logits
 * are exactly what the next step would have computed, so the next symbol is
 * decoded from them at once. The first wrong draft ends the step and its
 * rows are forgotten (llama_kv_rewind). The output never depends on the
 * drafts; they only decide how many tokens one read of the weights serves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decompress/lm_decode.h"
#include "mix/mix.h"

/* ======================================================================== */
/* Drafts                                                                   */
/* ======================================================================== */

#define DRAFT_MAX 4          /* draft tokens per chunk and step, at most */
#define DRAFT_HASH_BITS 15   /* contexts of two tokens remembered per chunk */

/* last[h] = index i of the token that followed the most recent occurrence
 * of the two-token context hashing to h (0: none); last1[t] likewise for
 * the one-token context t (a weaker guess: at most DRAFT1_MAX tokens). */
#define DRAFT1_MAX 1
/* A draft row costs about a third of a step's time (compute, while the step
 * itself is bound by reading the weights), so drafts are proposed only from
 * a source (two-token or one-token context) whose first draft token was
 * right often enough lately: an exponential average of its hits (1/8 per
 * draft) at least DRAFT_MIN_HIT. A source below it is still tried every
 * DRAFT_PROBE steps, so that the average follows the text. */
#define DRAFT_MIN_HIT 0.5f
#define DRAFT_PROBE 8
typedef struct {
    uint32_t *last;
    uint32_t *last1;         /* [n_vocab] */
    uint32_t k;              /* draft length for the next step (adaptive) */
    float hit[2];            /* recent hit rate of the first draft token: [0] two-token, [1] one-token source */
    uint32_t src;            /* the source of this step's drafts */
    uint32_t probe;          /* steps since a source below DRAFT_MIN_HIT was tried */
} drafter;

static uint32_t ctx_hash(int32_t a, int32_t b) {
    uint32_t h = (uint32_t)a * 0x9E3779B1u ^ ((uint32_t)b + 0x7F4A7C15u) * 0x85EBCA77u;
    return (h ^ (h >> 15)) & ((1u << DRAFT_HASH_BITS) - 1);
}

/* After ids[n-1] was appended: remember that it followed (ids[n-3], ids[n-2]). */
static void draft_learn(drafter *d, const int32_t *ids, size_t n) {
    if (d->last && n >= 3) d->last[ctx_hash(ids[n - 3], ids[n - 2])] = (uint32_t)(n - 1);
    if (d->last1 && n >= 2) d->last1[ids[n - 2]] = (uint32_t)(n - 1);
}

/* A new chunk: nothing seen yet, both sources trusted until shown wrong. */
static void draft_reset(drafter *d, uint32_t n_vocab) {
    if (d->last) memset(d->last, 0, sizeof(uint32_t) << DRAFT_HASH_BITS);
    if (d->last1) memset(d->last1, 0, sizeof(uint32_t) * n_vocab);
    d->k = 2;
    d->hit[0] = d->hit[1] = 0.5f;
    d->probe = 0;
}

/* Up to max tokens continuing ids[0..n) as its last context did before. */
static uint32_t draft_propose(drafter *d, const int32_t *ids, size_t n, int32_t *out, uint32_t max) {
    if (!d->last || n < 2 || max == 0) return 0;
    uint32_t j = d->last[ctx_hash(ids[n - 2], ids[n - 1])];
    d->src = 0;
    if (j < 2 || j >= n || ids[j - 2] != ids[n - 2] || ids[j - 1] != ids[n - 1]) {
        j = d->last1 ? d->last1[ids[n - 1]] : 0; /* the last token alone */
        if (j < 1 || j >= n || ids[j - 1] != ids[n - 1]) return 0;
        max = max < DRAFT1_MAX ? max : DRAFT1_MAX;
        d->src = 1;
    }
    if (d->hit[d->src] < DRAFT_MIN_HIT && ++d->probe < DRAFT_PROBE) return 0;
    d->probe = 0;
    uint32_t k = 0;
    while (k < max && j + k < n) {
        out[k] = ids[j + k];
        k++;
    }
    return k;
}

/* One active chunk. */
typedef struct {
    lm_chunk_job *job;
    llama_kv kv;
    lmz_rdec dec;
    lmz_freqs fq;
    mix_state mx;      /* lm+mix chunks: allocated on first use */
    int mx_ready;
    int32_t *ids;      /* ids[0] = BOS, then decoded tokens */
    size_t n_ids;
    uint32_t out_pos;  /* bytes produced */
    int done;
    drafter dr;
    int32_t draft[DRAFT_MAX]; /* this step's draft tokens (rows 1..nd) */
    uint32_t nd, row0;        /* drafts fed; the slot's first row in the batch */
    uint32_t used;            /* rows whose input was true (this step) */
} lm_slot;

typedef struct {
    const lmz_model *m;
    lm_slot **act;     /* active slots in step order */
    const float *logits;
} step_job;

/* Decodes one symbol of slot s from one row of logits; 0 or -1 (done). */
static int decode_one(const step_job *sj, lm_slot *s, const float *l) {
    if (s->job->mix) l = mix_predict(&s->mx, l, s->ids, s->n_ids);
    freqs_from_logits(&s->fq, l);
    freqs_build_cum(&s->fq);
    uint32_t target = rdec_target(&s->dec, LMZ_FREQ_BITS);
    uint32_t sym = freqs_find(&s->fq, target);
    rdec_consume(&s->dec, s->fq.cum[sym], s->fq.freq[sym]);
    uint32_t len;
    const uint8_t *bytes = tok_bytes(sj->m->tok, (int32_t)sym, &len);
    if (s->dec.error || len == 0 || len > s->job->raw_size - s->out_pos) {
        s->job->status = LMZ_IERR(LMZ_error_corrupt); /* impossible token for this chunk */
        s->done = 1;
        return -1;
    }
    memcpy(s->job->dst + s->out_pos, bytes, len);
    s->out_pos += len;
    s->ids[s->n_ids] = (int32_t)sym;
    if (s->job->mix) mix_update(&s->mx, &s->fq, s->ids, s->n_ids);
    s->n_ids++;
    draft_learn(&s->dr, s->ids, s->n_ids);
    if (s->out_pos == s->job->raw_size) {
        s->done = 1;
        s->job->status = rdec_finish(&s->dec) == 0 ? 0 : LMZ_IERR(LMZ_error_corrupt);
        return -1;
    }
    return 0;
}

/* Active slot b: decodes from its first row, then from each next row as long
 * as the token just decoded is the draft token that row was fed. */
static void decode_rows(void *arg, int b) {
    step_job *sj = arg;
    lm_slot *s = sj->act[b];
    const uint32_t V = sj->m->llm.hp.n_vocab;
    uint32_t r = 0;
    for (;;) {
        int st = decode_one(sj, s, sj->logits + (size_t)(s->row0 + r) * V);
        r++;
        if (st || r > s->nd || s->ids[s->n_ids - 1] != s->draft[r - 1]) break;
    }
    s->used = r;
    /* adapt: a draft taken whole earns a longer one, an early miss a shorter */
    if (s->nd && r > s->nd && s->dr.k < DRAFT_MAX) s->dr.k++;
    else if (s->nd && r == 1 && s->dr.k > 1) s->dr.k--;
    if (s->nd && r > 1) s->dr.hit[s->dr.src] += (1.0f - s->dr.hit[s->dr.src]) * 0.125f;
    else if (s->nd && !s->done) s->dr.hit[s->dr.src] -= s->dr.hit[s->dr.src] * 0.125f;
}

static void slot_free(lm_slot *s) {
    llama_kv_free(&s->kv);
    freqs_free(&s->fq);
    mix_free(&s->mx);
    free(s->ids);
    free(s->dr.last);
    free(s->dr.last1);
}

uint64_t lm_decode_scratch_bytes(const lmz_model *m, uint32_t W, uint32_t active) {
    const uint64_t V = m->llm.hp.n_vocab, rows = (uint64_t)active * (1 + DRAFT_MAX);
    return llama_work_bytes(&m->llm, (uint32_t)rows, W) + rows * (V * sizeof(float) + sizeof(int32_t)) +
           (uint64_t)active * ((sizeof(uint32_t) << DRAFT_HASH_BITS) + V * sizeof(uint32_t));
}

int lm_decode_chunks(const lmz_model *m, uint32_t W, const lmz_dict *d, const llama_kv *pre, lm_chunk_job *jobs,
                     uint32_t n, uint32_t max_active, lmz_pool *pool, lm_tick_fn tick, void *tick_ctx, lmz_msg *msg) {
    const uint32_t V = m->llm.hp.n_vocab;
    if (n == 0) return 0;
    if (max_active > n) max_active = n;
    if (max_active == 0) max_active = 1;
    int rc = 0;
    /* LMZ_DRAFT=0 turns the drafts off, LMZ_DRAFT=stats also counts them
     * (bench knobs: the output is the same either way) */
    const char *de = getenv("LMZ_DRAFT");
    const int drafts = !(de && !strcmp(de, "0")), stats = de && !strcmp(de, "stats");
    uint64_t n_steps = 0, n_rows = 0, n_drafted = 0, n_tokens = 0;
    const uint32_t wbatch = max_active * (1 + DRAFT_MAX);
    uint32_t max_raw = 0; /* bounds any chunk's token count (mixer state size) */
    const size_t H = d ? d->hd.n_hist : 0;
    for (uint32_t c = 0; c < n; c++) max_raw = jobs[c].raw_size > max_raw ? jobs[c].raw_size : max_raw;
    lm_slot *slots = calloc(max_active, sizeof *slots);
    lm_slot **act = calloc(max_active, sizeof *act);
    llama_kv **kvs = calloc(max_active, sizeof *kvs);
    int32_t *toks = calloc(wbatch, sizeof *toks);
    uint32_t *nrows = calloc(max_active, sizeof *nrows);
    float *logits = malloc((size_t)wbatch * V * sizeof(float));
    llama_work *w = llama_work_create(&m->llm, wbatch, W);
    if (!slots || !act || !kvs || !toks || !nrows || !logits || !w) {
        rc = lmz_fail(msg, LMZ_error_memory, "out of memory for %u decoding streams", max_active);
        goto out;
    }
    for (uint32_t i = 0; i < max_active; i++) {
        slots[i].done = 1; /* free */
        if (drafts) { /* NULL tables: no drafts */
            slots[i].dr.last = calloc((size_t)1 << DRAFT_HASH_BITS, sizeof(uint32_t));
            slots[i].dr.last1 = calloc(V, sizeof(uint32_t));
        }
        if (llama_kv_init(&slots[i].kv, &m->llm, W) || freqs_init(&slots[i].fq, V)) {
            rc = lmz_fail(msg, LMZ_error_memory, "out of memory for the KV caches");
            goto out;
        }
    }

    uint32_t next = 0, nact;
    uint64_t finished = 0; /* bytes of chunks already completed */
    for (unsigned steps = 0;; steps++) {
        /* --- fill free slots with waiting chunks ------------------------- */
        for (uint32_t i = 0; i < max_active && next < n; i++) {
            lm_slot *s = &slots[i];
            if (!s->done) continue;
            if (s->job) finished += s->job->raw_size;
            s->job = NULL;
            lm_chunk_job *j = &jobs[next++];
            free(s->ids);
            s->ids = malloc(((size_t)j->raw_size + 1 + H) * sizeof(int32_t));
            if (!s->ids) {
                rc = lmz_fail(msg, LMZ_error_memory, "out of memory");
                goto out;
            }
            if (j->mix && j->payload[0] != dict_profile(d)) {
                /* a known profile (checked by the caller), but not the one
                 * the dictionary (or its absence) sets */
                rc = lmz_fail(msg, LMZ_error_corrupt, "lm+mix profile %u, but %s sets profile %u", j->payload[0],
                              d ? "the dictionary" : "a frame without a dictionary", dict_profile(d));
                goto out;
            }
            if (j->mix && !s->mx_ready) {
                if (mix_init(&s->mx, V, mix_profile(dict_profile(d)), dict_mix_tokens(d, max_raw))) {
                    rc = lmz_fail(msg, LMZ_error_memory, "out of memory for the mixer");
                    goto out;
                }
                s->mx_ready = 1;
            }
            s->job = j;
            j->status = 0;
            /* ids = BOS, the dictionary's history (if any), then the decoded
             * tokens; the mixer and the cache as the encoder starts them (pre
             * was made for this window: it fits) */
            s->n_ids = dict_chunk_start(d, m, pre, s->ids, j->mix ? &s->mx : NULL, &s->kv);
            if (!s->n_ids) {
                rc = lmz_fail(msg, LMZ_error_parameter, "the dictionary's prefix does not fit the window");
                goto out;
            }
            s->out_pos = 0;
            s->done = 0;
            draft_reset(&s->dr, V);
            /* lm+mix: the profile byte (checked by the caller), then the stream */
            rdec_init(&s->dec, j->payload + j->mix, j->coded_size - (uint32_t)j->mix);
        }
        /* --- collect the active slots ------------------------------------ */
        nact = 0;
        uint32_t nr = 0; /* rows of this step */
        for (uint32_t i = 0; i < max_active; i++) {
            lm_slot *s = &slots[i];
            if (s->done) continue;
            act[nact] = s;
            kvs[nact] = &s->kv;
            s->row0 = nr;
            toks[nr++] = s->ids[s->n_ids - 1];
            s->nd = draft_propose(&s->dr, s->ids, s->n_ids, s->draft, s->dr.k);
            for (uint32_t k = 0; k < s->nd; k++) toks[nr++] = s->draft[k];
            nrows[nact] = 1 + s->nd;
            nact++;
        }
        if (nact == 0) break;
        /* --- one step of the model for all active chunks, then decode ---- */
        int r = llama_forward_multi(&m->llm, w, kvs, nrows, nact, toks, logits, pool);
        if (r) {
            rc = lmz_fail(msg, LMZ_ICODE(r), "model forward failed");
            goto out;
        }
        step_job sj = {m, act, logits};
        lmz_pool_for(pool, (int)nact, decode_rows, &sj);
        /* forget the rows fed with wrong drafts */
        for (uint32_t b = 0; b < nact; b++) {
            if (!act[b]->done && act[b]->used < nrows[b])
                llama_kv_rewind(&act[b]->kv, act[b]->kv.n_pos - (nrows[b] - act[b]->used));
            n_drafted += nrows[b] - 1;
            n_tokens += act[b]->used;
        }
        n_steps++;
        n_rows += nr;
        if (tick && steps % 32 == 0) {
            uint64_t done = finished;
            for (uint32_t i = 0; i < max_active; i++)
                if (slots[i].job) done += slots[i].out_pos;
            tick(tick_ctx, done);
        }
    }
    for (uint32_t c = 0; c < n; c++)
        if (jobs[c].status) {
            if (jobs[c].part < 0)
                rc = lmz_fail(msg, LMZ_ICODE(jobs[c].status), "chunk %u: model-coded data is corrupt", jobs[c].chunk);
            else
                rc = lmz_fail(msg, LMZ_ICODE(jobs[c].status), "chunk %u: %s part: model-coded data is corrupt",
                              jobs[c].chunk, jobs[c].part == 0 ? "text" : "binary");
            break;
        }
    if (stats) { /* one row per chunk and step always yields a token; the others are drafts */
        const uint64_t acc = n_tokens - (n_rows - n_drafted);
        fprintf(stderr, "lmz: drafts: %llu steps, %llu rows, %llu tokens; %llu draft rows, %llu accepted (%.1f %%)\n",
                (unsigned long long)n_steps, (unsigned long long)n_rows, (unsigned long long)n_tokens,
                (unsigned long long)n_drafted, (unsigned long long)acc,
                n_drafted ? 100.0 * (double)acc / (double)n_drafted : 0.0);
    }
out:
    if (slots)
        for (uint32_t i = 0; i < max_active; i++) slot_free(&slots[i]);
    free(slots);
    free(act);
    free(kvs);
    free(toks);
    free(nrows);
    free(logits);
    llama_work_free(w);
    return rc;
}
