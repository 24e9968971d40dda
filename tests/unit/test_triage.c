/*
 * tests/unit/test_triage.c — the compressor's triage (lib/compress/triage.h):
 * which chunks skip the model, which try it on a sample first.
 *
 *  - its integer log2 against exact values and the double-precision one;
 *  - every chunk of every corpus text file (testdata/corpus/MANIFEST.tsv,
 *    kind "text"), cut exactly as lmz cuts it (chunk_cut, 64 KiB and the
 *    256 KiB of repetitive frames), with its real zstd -19 size, goes to the
 *    model: the triage never changes what lmz writes for them (the frozen
 *    outputs, bench/frozen.tsv, say the same of whole files);
 *  - a run of one byte and a log of identical lines skip the model; random
 *    base64 and random hex are tried on a sample first; short English text
 *    is never sent to the classical coders without that sample.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "check.h"
#include "compress/chunk_cut.h"
#include "compress/triage.h"

static size_t zstd19(const uint8_t *p, size_t n) {
    size_t cap = ZSTD_compressBound(n);
    void *dst = malloc(cap);
    if (!dst) return 0;
    size_t z = ZSTD_compress(dst, cap, p, n, 19);
    free(dst);
    if (ZSTD_isError(z) || z >= n) return 0; /* as compress.c: no smaller than the input */
    return z;
}

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static const char *name(int t) {
    return t == TRIAGE_MODEL ? "model" : t == TRIAGE_CLASSICAL ? "classical" : "sample first";
}

int main(void) {
    /* log2 */
    CHECK(triage_log2_q16(1) == 0 && triage_log2_q16(2) == 65536 && triage_log2_q16(1024) == 10 * 65536,
          "log2 of powers of two");
    double worst = 0;
    for (uint64_t x = 1; x < 200000; x = x * 3 / 2 + 1) {
        double e = fabs((double)triage_log2_q16(x) / 65536.0 - log2((double)x));
        if (e > worst) worst = e;
    }
    CHECK(worst < 2.0 / 65536, "log2 within 2^-15: worst %.2e", worst);

    /* the corpus text files */
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/MANIFEST.tsv", LMZ_TESTDATA);
    FILE *mf = fopen(path, "r");
    CHECK(mf != NULL, "open %s", path);
    char line[8192];
    int files = 0, chunks = 0;
    double max_ratio = 0, min_bpb = 99;
    while (mf && fgets(line, sizeof line, mf)) {
        char rel[1024], kind[64];
        unsigned long long bytes;
        char sha[128];
        if (sscanf(line, "%1023s %llu %127s %63s", rel, &bytes, sha, kind) != 4 || strcmp(kind, "text")) continue;
        snprintf(path, sizeof path, "%s/corpus/%s", LMZ_TESTDATA, rel);
        size_t n;
        uint8_t *d = check_read_file(path, &n);
        CHECK(d != NULL, "read %s", path);
        if (!d) continue;
        files++;
        static const size_t sizes[] = {65536, 262144};
        for (int c = 0; c < 2; c++)
            for (size_t at = 0; at < n;) {
                size_t len = chunk_cut(d + at, n - at, sizes[c]), zs = zstd19(d + at, len);
                int t = triage_classical(d + at, len, zs);
                CHECK(t == TRIAGE_MODEL, "%s at %zu (%zu B): %s", rel, at, len, name(t));
                if (zs) {
                    double bpb = 8.0 * (double)zs / (double)len;
                    double h0 = (double)triage_entropy0_q16(d + at, len) / 65536.0 / (double)len;
                    if (bpb < min_bpb) min_bpb = bpb;
                    if (bpb / h0 > max_ratio) max_ratio = bpb / h0;
                }
                chunks++;
                at += len;
            }
        free(d);
    }
    if (mf) fclose(mf);
    CHECK(files >= 20, "corpus text files found: %d", files);
    printf("corpus text: %d files, %d chunks to the model; zstd -19 >= %.3f bits/byte, zstd / (H0 n) <= %.3f\n",
           files, chunks, min_bpb, max_ratio);

    /* what skips the model */
    static uint8_t buf[100000];
    memset(buf, 'a', sizeof buf);
    int t = triage_classical(buf, sizeof buf, zstd19(buf, sizeof buf));
    CHECK(t == TRIAGE_CLASSICAL, "100000 x 'a': %s", name(t));
    size_t n = 0;
    while (n + 40 <= sizeof buf) n += (size_t)snprintf((char *)buf + n, 41, "2026-12-06 12:00:00 INFO request ok\n");
    t = triage_classical(buf, n, zstd19(buf, n));
    CHECK(t == TRIAGE_CLASSICAL, "a log of identical lines: %s", name(t));

    /* what tries the model on a sample first */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (n = 0; n < 80000; n++) buf[n] = (n % 77 == 76) ? '\n' : (uint8_t)b64[rnd() % 64];
    t = triage_classical(buf, n, zstd19(buf, n));
    CHECK(t == TRIAGE_SAMPLE_FIRST, "random base64: %s", name(t));
    for (n = 0; n < 60000; n++) buf[n] = (n % 49 == 48) ? '\n' : (n % 3 == 2) ? ' ' : (uint8_t)"0123456789abcdef"[rnd() % 16];
    t = triage_classical(buf, n, zstd19(buf, n));
    CHECK(t == TRIAGE_SAMPLE_FIRST, "random hex: %s", name(t));

    /* short English: never classical without the sample */
    snprintf(path, sizeof path, "%s/corpus/canterbury/alice29.txt", LMZ_TESTDATA);
    uint8_t *alice = check_read_file(path, &n);
    CHECK(alice != NULL, "read alice29.txt");
    if (alice) {
        for (size_t k = 200; k <= 4000; k += 200) {
            t = triage_classical(alice + 5000, k, zstd19(alice + 5000, k));
            CHECK(t != TRIAGE_CLASSICAL, "%zu bytes of alice29: %s", k, name(t));
        }
        free(alice);
    }
    return check_done("test_triage");
}
