/*
 * bench/tools/mixlab.c — lmz-mixlab: exact code length of files under the
 * pure model and under the `lm+mix` mixer, for tuning the mixer.
 *
 *   lmz-mixlab [--model M] [-T n] [--cache DIR] [--chunk BYTES]
 *              [--lr-bias X] [--lr-temp X] [--lr-match X] [--order J K]
 *              [--w-init X] [--w-max X] [--ctx J K] [--lr-ctx X] [--wc-init X] FILE...
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

static void die(const char *what) {
    fprintf(stderr, "lmz-mixlab: %s\n", what);
    exit(1);
}

/* logits[(i-1)*V] predicts ids[i], i in [1, n) */
static float *chunk_logits(const llama_model *m, const int32_t *ids, size_t n, uint32_t W, lmz_pool *pool,
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
    llama_kv kv;
    llama_work *w = llama_work_create(m, LLAMA_KV_SLACK, W);
    if (!w || llama_kv_init(&kv, m, W)) die("out of memory");
    for (size_t i = 1; i < n; i += LLAMA_KV_SLACK) {
        uint32_t k = (uint32_t)(n - i < LLAMA_KV_SLACK ? n - i : LLAMA_KV_SLACK);
        if (llama_forward_seq(m, w, &kv, ids + i - 1, k, 0, lg + (i - 1) * (size_t)V, pool)) die("forward failed");
    }
    llama_work_free(w);
    llama_kv_free(&kv);
    if (cache && (fp = fopen(cache, "wb"))) {
        fwrite(lg, sizeof(float) * V, n - 1, fp);
        fclose(fp);
    }
    return lg;
}

static double bits_of(const lmz_freqs *f, int32_t y) { return (double)LMZ_FREQ_BITS - log2((double)f->freq[y]); }

int main(int argc, char **argv) {
    const char *model = LMZ_SRC "/models/lmz-base.gguf", *cache = NULL;
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
    lmz_mmap map;
    lmz_msg msg = {{0}};
    gguf_file g;
    llama_model m;
    lmz_tokenizer *tok = NULL;
    if (lmz_mmap_open(&map, model, &msg) || gguf_open_buffer(&g, map.addr, map.size, &msg) ||
        llama_init(&m, &g, &msg) || tok_init(&tok, &g, &msg))
        die(msg.text);
    const uint32_t V = m.hp.n_vocab, W = m.hp.n_ctx;
    lmz_pool *pool = lmz_pool_create(threads);
    lmz_freqs f;
    mix_state mx;
    if (freqs_init(&f, V) || mix_init(&mx, V, &mp, (uint32_t)cs)) die("out of memory");
    if (cache) mkdir(cache, 0755);
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
    lmz_pool_free(pool);
    tok_free(tok);
    llama_free(&m);
    gguf_close(&g);
    lmz_mmap_close(&map);
    return 0;
}
