/*
 * tests/fuzz/fuzz_tokenizer.c — the tokenizer is lossless on ANY bytes:
 * tok_decode(tok_encode(x)) == x, with every id in range and producing at
 * least one byte (control tokens are never emitted), and never more ids than
 * bytes. Checked with two vocabularies:
 *   - the fuzz tiny model's (tests/fuzz/fuzz_common.h), and a tiny model with
 *     many merges (longer pieces, more merge paths);
 *   - the real model's, tokenizer only, from LMZ_SRC/models/lmz-base.gguf
 *     (skipped with a note when the file is absent).
 * The input bytes are the text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "model/gguf.h"
#include "model/tokenizer.h"

#ifndef LMZ_SRC
#define LMZ_SRC "."
#endif

typedef struct {
    const char *name;
    lmz_tokenizer *tok;
    gguf_file g;
    uint8_t *owned; /* GGUF bytes (tiny models) */
    lmz_mmap map;   /* the real model */
} vocab;

static vocab g_vocab[3];
static int g_nvocab = -1;

static int from_buffer(vocab *v, const char *name, const uint8_t *buf, size_t n) {
    lmz_msg msg = {{0}};
    v->name = name;
    if (gguf_open_buffer(&v->g, buf, n, &msg) || tok_init(&v->tok, &v->g, &msg)) {
        fprintf(stderr, "fuzz_tokenizer: %s: %s\n", name, msg.text);
        return -1;
    }
    return 0;
}

static void init(void) {
    g_nvocab = 0;
    tinymodel_opts o = fuzz_tiny_opts();
    uint8_t *b;
    size_t n;
    FUZZ_ASSERT(tinymodel_build(FUZZ_TINY_SEED, &o, &b, &n) == 0, "tiny model");
    g_vocab[g_nvocab].owned = b;
    FUZZ_ASSERT(from_buffer(&g_vocab[g_nvocab], "tiny", b, n) == 0, "tiny tokenizer");
    g_nvocab++;
    o.n_merges = 1500;
    FUZZ_ASSERT(tinymodel_build(7, &o, &b, &n) == 0, "tiny model 2");
    g_vocab[g_nvocab].owned = b;
    FUZZ_ASSERT(from_buffer(&g_vocab[g_nvocab], "tiny-1500-merges", b, n) == 0, "tiny tokenizer 2");
    g_nvocab++;
    const char *path = LMZ_SRC "/models/lmz-base.gguf";
    lmz_msg msg = {{0}};
    vocab *v = &g_vocab[g_nvocab];
    if (lmz_mmap_open(&v->map, path, &msg) == 0) {
        FUZZ_ASSERT(from_buffer(v, "lmz-base", v->map.addr, v->map.size) == 0, "real model tokenizer");
        g_nvocab++;
    } else {
        fprintf(stderr, "fuzz_tokenizer: %s (real model's tokenizer skipped)\n", msg.text);
    }
}

static void roundtrip(const vocab *v, const uint8_t *src, size_t n) {
    int32_t *ids = NULL;
    size_t nid = 0;
    int rc = tok_encode(v->tok, src, n, &ids, &nid);
    FUZZ_ASSERT(rc == 0, "%s: encode failed (%d) on %zu bytes", v->name, rc, n);
    FUZZ_ASSERT(nid <= n, "%s: %zu ids for %zu bytes", v->name, nid, n);
    const uint32_t V = tok_vocab_size(v->tok);
    size_t total = 0;
    for (size_t i = 0; i < nid; i++) {
        FUZZ_ASSERT(ids[i] >= 0 && (uint32_t)ids[i] < V, "%s: id %d out of range", v->name, ids[i]);
        uint32_t len;
        const uint8_t *p = tok_bytes(v->tok, ids[i], &len);
        FUZZ_ASSERT(len >= 1, "%s: token %d at %zu produces no bytes", v->name, ids[i], i);
        FUZZ_ASSERT(total + len <= n && memcmp(p, src + total, len) == 0, "%s: token %zu (id %d) does not match the "
                    "input at byte %zu", v->name, i, ids[i], total);
        total += len;
    }
    FUZZ_ASSERT(total == n, "%s: tokens cover %zu of %zu bytes", v->name, total, n);
    uint8_t *dst = malloc(n ? n : 1);
    FUZZ_ASSERT(dst, "oom");
    int64_t dn = tok_decode(v->tok, ids, nid, dst, n);
    FUZZ_ASSERT(dn == (int64_t)n && (n == 0 || memcmp(dst, src, n) == 0), "%s: decode(encode(x)) != x (%lld of %zu)",
                v->name, (long long)dn, n);
    if (n > 0) /* one byte short: the decoder must refuse, not overflow */
        FUZZ_ASSERT(tok_decode(v->tok, ids, nid, dst, n - 1) == -LMZ_error_dst_too_small, "%s: short dst", v->name);
    free(dst);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_nvocab < 0) init();
    uint8_t *b = malloc(size ? size : 1); /* exact size: overreads are caught */
    if (!b) return 0;
    if (size) memcpy(b, data, size);
    for (int i = 0; i < g_nvocab; i++) roundtrip(&g_vocab[i], b, size);
    free(b);
    return 0;
}
