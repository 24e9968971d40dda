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
 */
#include <stdlib.h>
#include <string.h>

#include "decompress/lm_decode.h"
#include "mix/mix.h"

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
} lm_slot;

typedef struct {
    const lmz_model *m;
    lm_slot **act;     /* active slots in step order */
    const float *logits;
} step_job;

/* Decodes one symbol for active slot b from its logits. */
static void decode_symbol(void *arg, int b) {
    step_job *sj = arg;
    lm_slot *s = sj->act[b];
    const uint32_t V = sj->m->llm.hp.n_vocab;
    const float *l = sj->logits + (size_t)b * V;
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
        return;
    }
    memcpy(s->job->dst + s->out_pos, bytes, len);
    s->out_pos += len;
    s->ids[s->n_ids] = (int32_t)sym;
    if (s->job->mix) mix_update(&s->mx, &s->fq, s->ids, s->n_ids);
    s->n_ids++;
    if (s->out_pos == s->job->raw_size) {
        s->done = 1;
        s->job->status = rdec_finish(&s->dec) == 0 ? 0 : LMZ_IERR(LMZ_error_corrupt);
    }
}

static void slot_free(lm_slot *s) {
    llama_kv_free(&s->kv);
    freqs_free(&s->fq);
    mix_free(&s->mx);
    free(s->ids);
}

int lm_decode_chunks(const lmz_model *m, uint32_t W, lm_chunk_job *jobs, uint32_t n, uint32_t max_active,
                     lmz_pool *pool, lm_tick_fn tick, void *tick_ctx, lmz_msg *msg) {
    const uint32_t V = m->llm.hp.n_vocab;
    if (n == 0) return 0;
    if (max_active > n) max_active = n;
    if (max_active == 0) max_active = 1;
    int rc = 0;
    const uint32_t wbatch = max_active;
    uint32_t max_raw = 0; /* bounds any chunk's token count (mixer state size) */
    for (uint32_t c = 0; c < n; c++) max_raw = jobs[c].raw_size > max_raw ? jobs[c].raw_size : max_raw;
    lm_slot *slots = calloc(max_active, sizeof *slots);
    lm_slot **act = calloc(max_active, sizeof *act);
    llama_kv **kvs = calloc(max_active, sizeof *kvs);
    int32_t *toks = calloc(max_active, sizeof *toks);
    float *logits = malloc((size_t)max_active * V * sizeof(float));
    llama_work *w = llama_work_create(&m->llm, wbatch, W);
    if (!slots || !act || !kvs || !toks || !logits || !w) {
        rc = lmz_fail(msg, LMZ_error_memory, "out of memory for %u decoding streams", max_active);
        goto out;
    }
    for (uint32_t i = 0; i < max_active; i++) {
        slots[i].done = 1; /* free */
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
            s->ids = malloc(((size_t)j->raw_size + 1) * sizeof(int32_t));
            if (!s->ids) {
                rc = lmz_fail(msg, LMZ_error_memory, "out of memory");
                goto out;
            }
            if (j->mix && !s->mx_ready) {
                if (mix_init(&s->mx, V, &mix_profile_1, max_raw)) {
                    rc = lmz_fail(msg, LMZ_error_memory, "out of memory for the mixer");
                    goto out;
                }
                s->mx_ready = 1;
            }
            if (j->mix) mix_reset(&s->mx);
            s->job = j;
            j->status = 0;
            s->ids[0] = tok_bos(m->tok);
            s->n_ids = 1;
            s->out_pos = 0;
            s->done = 0;
            llama_kv_reset(&s->kv);
            /* lm+mix: the profile byte (checked by the caller), then the stream */
            rdec_init(&s->dec, j->payload + j->mix, j->coded_size - (uint32_t)j->mix);
        }
        /* --- collect the active slots ------------------------------------ */
        nact = 0;
        for (uint32_t i = 0; i < max_active; i++) {
            lm_slot *s = &slots[i];
            if (s->done) continue;
            act[nact] = s;
            kvs[nact] = &s->kv;
            toks[nact] = s->ids[s->n_ids - 1];
            nact++;
        }
        if (nact == 0) break;
        /* --- one step of the model for all active chunks, then decode ---- */
        int r = llama_forward_step(&m->llm, w, kvs, toks, nact, logits, pool);
        if (r) {
            rc = lmz_fail(msg, LMZ_ICODE(r), "model forward failed");
            goto out;
        }
        step_job sj = {m, act, logits};
        lmz_pool_for(pool, (int)nact, decode_symbol, &sj);
        if (tick && steps % 32 == 0) {
            uint64_t done = finished;
            for (uint32_t i = 0; i < max_active; i++)
                if (slots[i].job) done += slots[i].out_pos;
            tick(tick_ctx, done);
        }
    }
    for (uint32_t c = 0; c < n; c++)
        if (jobs[c].status) {
            rc = lmz_fail(msg, LMZ_ICODE(jobs[c].status), "chunk %u: model-coded data is corrupt", c);
            break;
        }
out:
    if (slots)
        for (uint32_t i = 0; i < max_active; i++) slot_free(&slots[i]);
    free(slots);
    free(act);
    free(kvs);
    free(toks);
    free(logits);
    llama_work_free(w);
    return rc;
}
