/*
 * bench/tools/ideal.c — lmz-ideal: the model's ideal code length of files.
 *
 *   lmz-ideal [--model M.gguf] [-T n] [--window W --overlap O] FILE...
 *   lmz-ideal --ids IDS.i32 --bytes N ...   (pre-tokenised ids, no BOS)
 *   lmz-ideal --stream ...   the codec's scheme instead of eval.tsv's windows
 *
 * Sum of -log2 p(token) over the file's tokens, BOS as first context, with the
 * sliding window of testdata/model/eval.tsv (window 1024 sliding with overlap
 * 512: each later window restarts from the last 512 tokens), divided by the
 * file's bytes (--window W --overlap O: windows of W positions; a new window
 * starts from the last O tokens, as in the codec). This is the figure an ideal
 * coder would reach with our int8
 * engine; lmz's real output adds only the coder's overhead and chunking.
 * Prints one TSV line per file: name, bytes, tokens, bits per byte.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "model/gguf.h"
#include "model/llama.h"
#include "model/tokenizer.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* bits = -log2 softmax(logits)[target], in double (a measurement, not coding) */
static double bits_of(const float *l, uint32_t V, int32_t target) {
    float mx = l[0];
    for (uint32_t i = 1; i < V; i++) mx = l[i] > mx ? l[i] : mx;
    double s = 0;
    for (uint32_t i = 0; i < V; i++) s += exp((double)l[i] - mx);
    return (log(s) - ((double)l[target] - mx)) / log(2.0);
}

/* Model state for one measurement: a KV cache of span W, scratch for
 * LLAMA_KV_SLACK rows, and their logits. Exits on failure (a tool). */
typedef struct {
    llama_kv kv;
    llama_work *w;
    float *lg;
} ideal_state;

static void ideal_init(ideal_state *st, const llama_model *m, uint32_t W) {
    st->w = llama_work_create(m, LLAMA_KV_SLACK, W);
    st->lg = malloc((size_t)LLAMA_KV_SLACK * m->hp.n_vocab * sizeof(float));
    if (llama_kv_init(&st->kv, m, W) || !st->w || !st->lg) {
        fprintf(stderr, "lmz-ideal: out of memory\n");
        exit(1);
    }
}

static void ideal_free(ideal_state *st) {
    free(st->lg);
    llama_work_free(st->w);
    llama_kv_free(&st->kv);
}

/* The codec's scheme: one pass, sliding-window attention of span W with the
 * BOS sink (lib/model/llama.h); every token is predicted from the W-1 before. */
static double stream_bits(const llama_model *m, const int32_t *ids, size_t n, uint32_t W, lmz_pool *pool) {
    const uint32_t V = m->hp.n_vocab, SUB = LLAMA_KV_SLACK; /* rows per forward call */
    ideal_state st;
    ideal_init(&st, m, W);
    float *lg = st.lg;
    double bits = 0;
    for (size_t i = 1; i < n; i += SUB) {
        uint32_t k = (uint32_t)(n - i < SUB ? n - i : SUB);
        if (llama_forward_seq(m, st.w, &st.kv, ids + i - 1, k, 0, lg, pool)) {
            fprintf(stderr, "lmz-ideal: model forward failed\n");
            exit(1);
        }
        for (uint32_t r = 0; r < k; r++) bits += bits_of(lg + (size_t)r * V, V, ids[i + r]);
    }
    ideal_free(&st);
    return bits;
}

/* ids[0] must be BOS. Returns total bits over ids[1..n). */
static double ideal_bits(const llama_model *m, const int32_t *ids, size_t n, uint32_t W, uint32_t O, lmz_pool *pool) {
    const uint32_t V = m->hp.n_vocab, SUB = LLAMA_KV_SLACK; /* rows per forward call */
    ideal_state st;
    ideal_init(&st, m, W);
    llama_kv *kv = &st.kv;
    float *lg = st.lg;
    double bits = 0;
    size_t pos = 1;
    while (pos < n) {
        size_t start = pos == 1 ? 0 : pos - O; /* keep the last O tokens */
        size_t end = start + W < n ? start + W : n;
        llama_kv_reset(kv);
        /* inputs ids[start, end-1), targets ids[start+1, end), score from pos */
        for (size_t i = start; i < end - 1; i += SUB) {
            uint32_t k = (uint32_t)((end - 1 - i) < SUB ? (end - 1 - i) : SUB);
            size_t first = pos - 1 > i ? pos - 1 - i : 0; /* first row that needs logits */
            int rc;
            if (first >= k) {
                rc = llama_forward_seq(m, st.w, kv, ids + i, k, k, NULL, pool);
            } else {
                rc = llama_forward_seq(m, st.w, kv, ids + i, k, (uint32_t)first, lg, pool);
                for (size_t r = first; r < k && rc == 0; r++) bits += bits_of(lg + (r - first) * V, V, ids[i + r + 1]);
            }
            if (rc) {
                fprintf(stderr, "lmz-ideal: model forward failed (%d)\n", rc);
                exit(1);
            }
        }
        pos = end;
    }
    ideal_free(&st);
    return bits;
}

int main(int argc, char **argv) {
    const char *model = LMZ_SRC "/models/lmz-base.gguf", *idsfile = NULL;
    long long nbytes = 0;
    int threads = 2, stream = 0;
    uint32_t W = 0, O = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "-T") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--window") && i + 1 < argc) W = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--overlap") && i + 1 < argc) O = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ids") && i + 1 < argc) idsfile = argv[++i];
        else if (!strcmp(argv[i], "--stream")) stream = 1;
        else if (!strcmp(argv[i], "--bytes") && i + 1 < argc) nbytes = atoll(argv[++i]);
        else { fprintf(stderr, "usage: lmz-ideal [--model M] [-T n] [--stream] [--window W --overlap O] FILE...\n"); return 2; }
    }
    lmz_mmap map;
    lmz_msg msg = {{0}};
    gguf_file g;
    llama_model m;
    lmz_tokenizer *tok = NULL;
    if (lmz_mmap_open(&map, model, &msg) || gguf_open_buffer(&g, map.addr, map.size, &msg) ||
        llama_init(&m, &g, &msg) || tok_init(&tok, &g, &msg)) {
        fprintf(stderr, "lmz-ideal: %s: %s\n", model, msg.text);
        return 1;
    }
    if (!W) W = m.hp.n_ctx;
    if (!O) O = W / 2;
    lmz_pool *pool = lmz_pool_create(threads);
    printf("file\tbytes\ttokens\tbpb\tseconds\n");
    for (int f = i; f < argc || (idsfile && f == i); f++) {
        int32_t *ids = NULL;
        size_t n = 0, size = 0;
        const char *name = idsfile ? idsfile : argv[f];
        if (idsfile) {
            FILE *fp = fopen(idsfile, "rb");
            if (!fp) { perror(idsfile); return 1; }
            fseek(fp, 0, SEEK_END);
            n = (size_t)ftell(fp) / 4;
            fseek(fp, 0, SEEK_SET);
            ids = malloc((n + 1) * 4);
            if (fread(ids + 1, 4, n, fp) != n) return 1;
            fclose(fp);
            size = (size_t)nbytes;
        } else {
            FILE *fp = fopen(argv[f], "rb");
            if (!fp) { perror(argv[f]); return 1; }
            fseek(fp, 0, SEEK_END);
            size = (size_t)ftell(fp);
            fseek(fp, 0, SEEK_SET);
            uint8_t *buf = malloc(size + 1);
            if (fread(buf, 1, size, fp) != size) return 1;
            fclose(fp);
            int32_t *t;
            if (tok_encode(tok, buf, size, &t, &n)) return 1;
            ids = malloc((n + 1) * 4);
            memcpy(ids + 1, t, n * 4);
            free(t);
            free(buf);
        }
        ids[0] = tok_bos(tok);
        double t0 = now();
        double bits = stream ? stream_bits(&m, ids, n + 1, W, pool) : ideal_bits(&m, ids, n + 1, W, O, pool);
        const char *base = strrchr(name, '/');
        printf("%s\t%zu\t%zu\t%.4f\t%.1f\n", base ? base + 1 : name, size, n, bits / (double)size, now() - t0);
        fflush(stdout);
        free(ids);
        if (idsfile) break;
    }
    lmz_pool_free(pool);
    tok_free(tok);
    llama_free(&m);
    gguf_close(&g);
    lmz_mmap_close(&map);
    return 0;
}
