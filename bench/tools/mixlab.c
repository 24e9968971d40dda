/*
 * bench/tools/mixlab.c — lmz-mixlab: exact code length of files under the
 * pure model and under the `lm+mix` mixer, for tuning the mixer.
 *
 *   lmz-mixlab [--model M] [-T n] [--cache DIR] [--chunk BYTES]
 *              [--lr-bias X] [--lr-temp X] [--lr-match X] [--order J K]
 *              [--w-init X] [--w-max X] [--ctx J K] [--lr-ctx X] [--wc-init X]
 *              [--cx J KIND ORDER] [--recover R MINLEN] [--recent K] [--lr-recent X]
 *              [--profile N] [--dict DICT [--window W] [--learn N] [--dump TSV]] FILE...
 *
 * With --dict, each file is coded alone as `lmz -D DICT` would code it (one
 * chunk: the dictionary's prefix cache, its history before the file), but
 * the mixer's learned values are learned again under the constants given,
 * as lmz --train learns them (the model and the mixer over the history's
 * last N tokens, default 8192; lmz --train itself uses 65536); the starting
 * constants are profile 1's, or --profile N's (the options after it change
 * them; bench/NOTES.md, session 15, has the runs that chose profile 2). Prints
 * bytes per file (pure model and mixed, payload only); --dump writes every
 * token's cost.
 *
 * Files are cut into chunks as lmz does (64 KiB, ending after a newline),
 * each chunk starts from BOS with the codec's sliding window. The model's
 * logits of every chunk are computed once and kept in DIR (float32, one file
 * per chunk, named after the file, its size and the chunk), so later runs
 * with other mixer constants take seconds. Bits are the exact code lengths of
 * the integer tables (-log2(freq / 2^24)), i.e. lmz's payload minus the range
 * coder's few bytes. Prints one TSV line per file: name, bytes, tokens, bits
 * per byte pure, bits per byte mixed; then the totals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coder/coder.h"
#include "compress/chunk_cut.h" /* the compressor's chunk rule */
#include "common/common.h"
#include "mix/mix.h"
#include "model/gguf.h"
#include "model/llama.h"
#include "model/tokenizer.h"
#include "model/model.h"
#include "codec/dict.h"

static void die(const char *what) {
    fprintf(stderr, "lmz-mixlab: %s\n", what);
    exit(1);
}

static double bits_of(const lmz_freqs *f, int32_t y) { return (double)LMZ_FREQ_BITS - log2((double)f->freq[y]); }

/* ------------------------------------------------------------------------ */
/* --dict: files coded one at a time with a dictionary (lmz --train's), the */
/* mixer's learned values re-learned under the constants given, as         */
/* lmz --train would learn them (its last LEARN tokens)                     */
/* ------------------------------------------------------------------------ */

static float *read_all(const char *path, size_t *size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) die(path);
    fseek(fp, 0, SEEK_END);
    *size = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc(*size + 1);
    if (!buf || fread(buf, 1, *size, fp) != *size) die("read failed");
    fclose(fp);
    return (float *)buf;
}

/* logits of `in[1..n)` after the cache kv (rows predict in[1..n)) */
static float *run_logits(const llama_model *m, llama_kv *kv, const int32_t *in, size_t n, lmz_pool *pool,
                         const char *cache) {
    const uint32_t V = m->hp.n_vocab;
    float *lg = malloc((n - 1) * (size_t)V * sizeof(float));
    if (!lg) die("out of memory");
    FILE *fp = cache ? fopen(cache, "rb") : NULL;
    if (fp) {
        size_t got = fread(lg, sizeof(float) * V, n - 1, fp);
        fclose(fp);
        if (got == n - 1) return lg;
    }
    llama_work *w = llama_work_create(m, LLAMA_KV_SLACK, kv->span);
    if (!w) die("out of memory");
    for (size_t i = 1; i < n; i += LLAMA_KV_SLACK) {
        uint32_t k = (uint32_t)(n - i < LLAMA_KV_SLACK ? n - i : LLAMA_KV_SLACK);
        if (llama_forward_seq(m, w, kv, in + i - 1, k, 0, lg + (i - 1) * (size_t)V, pool)) die("forward failed");
    }
    llama_work_free(w);
    if (cache && (fp = fopen(cache, "wb"))) {
        fwrite(lg, sizeof(float) * V, n - 1, fp);
        fclose(fp);
    }
    return lg;
}

/* logits[(i-1)*V] predicts ids[i], i in [1, n), from an empty cache of window W */
static float *chunk_logits(const llama_model *m, const int32_t *ids, size_t n, uint32_t W, lmz_pool *pool,
                           const char *cache) {
    llama_kv kv;
    if (llama_kv_init(&kv, m, W)) die("out of memory");
    float *lg = run_logits(m, &kv, ids, n, pool, cache);
    llama_kv_free(&kv);
    return lg;
}

static int dict_mode(const char *model, const char *dpath, const char *cache, int threads, uint32_t W, size_t learn,
                     const mix_params *mp, const char *dump, int nfiles, char **files) {
    size_t err = 0, dsize;
    char msg[512];
    lmz_model *lm = lmz_model_load_file(model, &err, msg, sizeof msg);
    if (!lm) die(msg);
    uint8_t *dbytes = (uint8_t *)read_all(dpath, &dsize);
    lmz_dict *d = lmz_dict_load(lm, dbytes, dsize, &err, msg, sizeof msg);
    if (!d) die(msg);
    const llama_model *m = &lm->llm;
    const uint32_t V = m->hp.n_vocab;
    const size_t H = d->hd.n_hist;
    const int32_t *hist = d->ids; /* BOS, h */
    lmz_pool *pool = lmz_pool_create(threads);
    char tag[9], path[4096];
    snprintf(tag, sizeof tag, "%02x%02x%02x%02x", d->hd.sha256[0], d->hd.sha256[1], d->hd.sha256[2], d->hd.sha256[3]);

    /* the mixer learns as lmz --train does: tables from hist[0..from), then
     * the model (window n_ctx, from BOS) and the mixer over hist[from..H] */
    const size_t from = H + 1 > learn + 1 ? H + 1 - learn : 1;
    int32_t *in = malloc((H - from + 2) * sizeof(int32_t));
    in[0] = hist[0];
    memcpy(in + 1, hist + from, (H + 1 - from) * sizeof(int32_t));
    llama_kv kv;
    if (llama_kv_init(&kv, m, m->hp.n_ctx)) die("out of memory");
    if (cache) snprintf(path, sizeof path, "%s/learn.%s.%zu.f32", cache, tag, from);
    float *lt = run_logits(m, &kv, in, H - from + 2, pool, cache ? path : NULL);
    llama_kv_free(&kv);
    free(in);
    size_t maxtok = 0;
    for (int i = 0; i < nfiles; i++) {
        size_t sz;
        free(read_all(files[i], &sz));
        maxtok = sz > maxtok ? sz : maxtok;
    }
    mix_state t, x;
    lmz_freqs f;
    if (mix_init(&t, V, mp, (uint32_t)(H + 2 + maxtok)) || mix_init(&x, V, mp, (uint32_t)(H + 2 + maxtok)) ||
        freqs_init(&f, V))
        die("out of memory");
    uint8_t *nl = lmz_model_line_ends(lm);
    if (!nl) die("out of memory");
    t.nl = x.nl = nl;
    mix_observe(&t, hist, from);
    for (size_t at = from; at <= H; at++) {
        const float *z = mix_predict(&t, lt + (at - from) * (size_t)V, hist, at);
        freqs_from_logits(&f, z);
        mix_update(&t, &f, hist, at);
    }
    free(lt);
    /* what the file keeps: int8 biases with one scale, weights within +-64 */
    const float scale = dict_bias_scale(t.b, V);
    for (uint32_t v = 0; v < V; v++) t.b[v] = scale * (float)dict_bias_q(t.b[v], scale);
    for (int j = 0; j < MIX_N_MATCH; j++) dict_clamp_weights(&t.mm[j].w[0][0], 2 * MIX_N_BUCKET);
    for (int j = 0; j < MIX_N_CTX; j++) dict_clamp_weights(t.cx[j].w, MIX_N_CBUCKET);
    dict_clamp_weights(t.wr, MIX_N_RBUCKET);

    const llama_kv *pre = dict_prefix_kv(d, W, pool);
    if (!pre || llama_kv_init(&kv, m, W)) die("out of memory");
    FILE *dp = dump ? fopen(dump, "w") : NULL;
    double tot_bytes = 0, tot_pure = 0, tot_mix = 0;
    printf("file\tbytes\ttokens\tpure_bytes\tmix_bytes\n");
    for (int i = 0; i < nfiles; i++) {
        size_t size;
        uint8_t *buf = (uint8_t *)read_all(files[i], &size);
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        int32_t *tk;
        size_t nt;
        if (tok_encode(lm->tok, buf, size, &tk, &nt)) die("tokenizer failed");
        int32_t *ids = malloc((H + 1 + nt) * sizeof(int32_t));
        memcpy(ids, hist, (H + 1) * sizeof(int32_t));
        memcpy(ids + H + 1, tk, nt * sizeof(int32_t));
        /* the model's context: the prefix cache, then the file */
        int32_t *fin = malloc((nt + 1) * sizeof(int32_t));
        fin[0] = ids[H];
        memcpy(fin + 1, tk, nt * sizeof(int32_t));
        free(tk);
        if (llama_kv_copy(m, &kv, pre)) die("kv copy");
        if (cache) snprintf(path, sizeof path, "%s/%s.%zu.%s.%u.f32", cache, base, size, tag, W);
        float *lg = run_logits(m, &kv, fin, nt + 1, pool, cache ? path : NULL);
        mix_copy(&x, &t);
        double pure = 0, mixed = 0;
        for (size_t k = 0; k < nt; k++) {
            const size_t at = H + 1 + k;
            const float *l = lg + k * (size_t)V;
            freqs_from_logits(&f, l);
            const double bp = bits_of(&f, ids[at]);
            const float *z = mix_predict(&x, l, ids, at);
            freqs_from_logits(&f, z);
            const double bm = bits_of(&f, ids[at]);
            pure += bp;
            mixed += bm;
            mix_update(&x, &f, ids, at);
            if (dp) {
                uint8_t piece[64];
                int64_t pl = tok_decode(lm->tok, ids + at, 1, piece, sizeof piece - 1);
                fprintf(dp, "%s\t%zu\t%d\t", base, k, ids[at]);
                for (int64_t c = 0; c < pl; c++)
                    fputc(piece[c] == '\n' ? '~' : piece[c] == '\t' ? '>' : piece[c], dp);
                fprintf(dp, "\t%.2f\t%.2f\n", bp, bm);
            }
        }
        printf("%s\t%zu\t%zu\t%.1f\t%.1f\n", base, size, nt, pure / 8, mixed / 8);
        fflush(stdout);
        tot_bytes += (double)size;
        tot_pure += pure;
        tot_mix += mixed;
        free(lg);
        free(fin);
        free(ids);
        free((void *)buf);
    }
    printf("TOTAL\t%.0f\t-\t%.1f\t%.1f\n", tot_bytes, tot_pure / 8, tot_mix / 8);
    if (dp) fclose(dp);
    llama_kv_free(&kv);
    mix_free(&t);
    mix_free(&x);
    free(nl);
    freqs_free(&f);
    lmz_dict_free(d);
    free(dbytes);
    lmz_pool_free(pool);
    lmz_model_free(lm);
    return 0;
}

int main(int argc, char **argv) {
    const char *model = LMZ_SRC "/models/lmz-base.gguf", *cache = NULL, *dict = NULL, *dump = NULL;
    uint32_t window = 1024;
    size_t learn = 8192;
    int threads = 2;
    size_t cs = 64 << 10;
    mix_params mp = mix_profile_1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) die("option needs a value");
        if (!strcmp(a, "--model")) model = argv[++i];
        else if (!strcmp(a, "-T")) threads = atoi(argv[++i]);
        else if (!strcmp(a, "--cache")) cache = argv[++i];
        else if (!strcmp(a, "--dict")) dict = argv[++i];
        else if (!strcmp(a, "--profile")) {
            const mix_params *pp = mix_profile((unsigned)atoi(argv[++i]));
            if (!pp) die("--profile: no such profile");
            mp = *pp;
        }
        else if (!strcmp(a, "--dump")) dump = argv[++i];
        else if (!strcmp(a, "--window")) window = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(a, "--recent")) mp.recent = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(a, "--lr-recent")) mp.lr_recent = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--recover") && i + 2 < argc) {
            mp.recover = (uint32_t)atoi(argv[++i]);
            mp.recover_min = (uint32_t)atoi(argv[++i]);
        } else if (!strcmp(a, "--learn")) learn = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--cx") && i + 3 < argc) { /* --cx J KIND ORDER */
            int j = atoi(argv[++i]);
            if (j < 0 || j >= MIX_N_CTX) die("--cx: no such cache");
            mp.ctx_kind[j] = (uint8_t)atoi(argv[++i]);
            mp.ctx_order[j] = (uint32_t)atoi(argv[++i]);
        }
        else if (!strcmp(a, "--chunk")) cs = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--lr-bias")) mp.lr_bias = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--lr-temp")) mp.lr_temp = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--lr-match")) mp.lr_match = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--w-init")) mp.w_init = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--w-max")) mp.w_init_max = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--lr-ctx")) mp.lr_ctx = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--wc-init")) mp.wc_init = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--ctx") && i + 2 < argc) {
            mp.ctx_order[0] = (uint32_t)atoi(argv[++i]);
            mp.ctx_order[1] = (uint32_t)atoi(argv[++i]);
        } else if (!strcmp(a, "--order") && i + 2 < argc) {
            mp.order[0] = (uint32_t)atoi(argv[++i]);
            mp.order[1] = (uint32_t)atoi(argv[++i]);
        } else die("usage: lmz-mixlab [--model M] [-T n] [--cache DIR] [--chunk B] [mixer constants] FILE...");
    }
    if (cache) mkdir(cache, 0755);
    if (dict) return dict_mode(model, dict, cache, threads, window, learn, &mp, dump, argc - i, argv + i);
    size_t err = 0;
    char msg[512];
    lmz_model *lm = lmz_model_load_file(model, &err, msg, sizeof msg);
    if (!lm) die(msg);
    const llama_model m = lm->llm;
    const lmz_tokenizer *tok = lm->tok;
    const uint32_t V = m.hp.n_vocab, W = m.hp.n_ctx;
    lmz_pool *pool = lmz_pool_create(threads);
    lmz_freqs f;
    mix_state mx;
    uint8_t *nl = lmz_model_line_ends(lm); /* line contexts (profile 2) */
    if (!nl || freqs_init(&f, V) || mix_init(&mx, V, &mp, (uint32_t)cs)) die("out of memory");
    mx.nl = nl;
    double tot_bytes = 0, tot_pure = 0, tot_mix = 0;
    printf("file\tbytes\ttokens\tpure_bpb\tmix_bpb\n");
    for (; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) die(argv[i]);
        fseek(fp, 0, SEEK_END);
        size_t size = (size_t)ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = malloc(size + 1);
        if (!buf || fread(buf, 1, size, fp) != size) die("read failed");
        fclose(fp);
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        double pure = 0, mixed = 0;
        size_t ntok = 0;
        for (size_t at = 0, c = 0; at < size; c++) {
            size_t len = chunk_cut(buf + at, size - at, cs);
            int32_t *t;
            size_t nt;
            if (tok_encode(tok, buf + at, len, &t, &nt)) die("tokenizer failed");
            int32_t *ids = malloc((nt + 1) * sizeof(int32_t));
            ids[0] = tok_bos(tok);
            memcpy(ids + 1, t, nt * sizeof(int32_t));
            free(t);
            char path[4096];
            if (cache) snprintf(path, sizeof path, "%s/%s.%zu.%zu.%zu.f32", cache, base, size, cs, c);
            float *lg = chunk_logits(&m, ids, nt + 1, W, pool, cache ? path : NULL);
            mix_reset(&mx);
            for (size_t k = 1; k <= nt; k++) {
                const float *l = lg + (k - 1) * (size_t)V;
                freqs_from_logits(&f, l);
                pure += bits_of(&f, ids[k]);
                const float *z = mix_predict(&mx, l, ids, k);
                freqs_from_logits(&f, z);
                mixed += bits_of(&f, ids[k]);
                mix_update(&mx, &f, ids, k);
            }
            ntok += nt;
            free(lg);
            free(ids);
            at += len;
        }
        printf("%s\t%zu\t%zu\t%.4f\t%.4f\n", base, size, ntok, pure / (double)size, mixed / (double)size);
        fflush(stdout);
        tot_bytes += (double)size;
        tot_pure += pure;
        tot_mix += mixed;
        free(buf);
    }
    printf("TOTAL\t%.0f\t-\t%.4f\t%.4f\n", tot_bytes, tot_pure / tot_bytes, tot_mix / tot_bytes);
    mix_free(&mx);
    freqs_free(&f);
    free(nl);
    lmz_pool_free(pool);
    lmz_model_free(lm);
    return 0;
}
