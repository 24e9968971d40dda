/*
 * tests/unit/test_tokenizer.c — SentencePiece BPE tokenizer.
 *
 *   - exact ids against the reference vectors (testdata/model/vectors; the
 *     enwik4 vector only when $LMZ_CORPUS_EXTRA holds enwik/enwik4)
 *   - round trip encode -> decode == input on every corpus file
 *   - nasty inputs: random bytes, all byte values, broken UTF-8, U+2581, ...
 *   - the same on a tiny generated vocabulary (tests/fixtures/tinymodel)
 *   - speed on alice29.txt (printed, not asserted)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "model/gguf.h"
#include "model/tokenizer.h"
#include "fixtures/tinymodel.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Encodes, checks every id is in range, decodes, compares. Returns the token
 * count (or -1 on failure). */
static long roundtrip(const lmz_tokenizer *t, const uint8_t *src, size_t n, const char *what) {
    int32_t *ids = NULL;
    size_t nid = 0;
    int rc = tok_encode(t, src, n, &ids, &nid);
    CHECK(rc == 0, "%s: encode failed (%d)", what, rc);
    if (rc) { free(ids); return -1; }
    CHECK(nid <= n, "%s: %zu ids for %zu bytes", what, nid, n);
    int ok = 1;
    for (size_t i = 0; i < nid; i++)
        if (ids[i] < 0 || (uint32_t)ids[i] >= tok_vocab_size(t)) ok = 0;
    CHECK(ok, "%s: id out of range", what);
    uint8_t *dec = malloc(n + 1);
    int64_t m = tok_decode(t, ids, nid, dec, n);
    CHECK(m == (int64_t)n && memcmp(dec, src, n) == 0, "%s: round trip differs (%lld vs %zu bytes)", what,
          (long long)m, n);
    /* tok_bytes agrees with tok_decode */
    size_t w = 0;
    for (size_t i = 0; i < nid && ok; i++) {
        uint32_t l;
        const uint8_t *b = tok_bytes(t, ids[i], &l);
        if (w + l > n || memcmp(b, src + w, l) != 0) ok = 0;
        w += l;
    }
    CHECK(ok && w == n, "%s: tok_bytes disagrees", what);
    if (n > 0) {
        /* one byte short of room */
        CHECK(tok_decode(t, ids, nid, dec, n - 1) == -LMZ_error_dst_too_small, "%s: small dst not reported", what);
    }
    free(dec);
    free(ids);
    return (long)nid;
}

/* ------------------------------------------------------------------------ */

static void test_vectors(const lmz_tokenizer *t) {
    static const char *files[][2] = {
        {"corpus/canterbury/alice29.txt", "alice29.txt"}, {"corpus/canterbury/fields.c", "fields.c"},
        {"corpus/calgary/paper1", "paper1"},              {"corpus/calgary/progc", "progc"},
        {"corpus/enwik/enwik4", "enwik4"},                {"corpus/canterbury/xargs.1", "xargs.1"},
    };
    /* enwik4 is not in the repository (testdata/corpus/EXTRA.tsv): checked
     * only when $LMZ_CORPUS_EXTRA names a folder that holds enwik/enwik4. */
    const char *extra = getenv("LMZ_CORPUS_EXTRA");
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char p[1024], q[1024];
        if (!strncmp(files[f][0], "corpus/enwik/", 13)) {
            if (!extra || !*extra) {
                printf("vector %-12s skipped (LMZ_CORPUS_EXTRA not set)\n", files[f][1]);
                continue;
            }
            snprintf(p, sizeof p, "%s/%s", extra, files[f][0] + 7);
        } else {
            snprintf(p, sizeof p, "%s/%s", LMZ_TESTDATA, files[f][0]);
        }
        snprintf(q, sizeof q, "%s/model/vectors/%s.ids.i32", LMZ_TESTDATA, files[f][1]);
        size_t n, nv;
        uint8_t *src = check_read_file(p, &n), *vec = check_read_file(q, &nv);
        CHECK(src && vec, "cannot read %s or %s", p, q);
        if (!src || !vec) { free(src); free(vec); continue; }
        int32_t *ids = NULL;
        size_t nid = 0;
        CHECK(tok_encode(t, src, n, &ids, &nid) == 0, "%s: encode", files[f][1]);
        size_t nref = nv / 4, first = (size_t)-1;
        for (size_t i = 0; i < nid && i < nref; i++)
            if (ids[i] != (int32_t)lmz_rd32(vec + 4 * i)) { first = i; break; }
        CHECK(nid == nref && first == (size_t)-1, "%s: %zu ids vs %zu reference, first difference at %zd",
              files[f][1], nid, nref, (ssize_t)first);
        printf("vector %-12s %6zu bytes -> %6zu tokens %s\n", files[f][1], n, nid,
               nid == nref && first == (size_t)-1 ? "match" : "MISMATCH");
        roundtrip(t, src, n, files[f][1]);
        free(ids);
        free(src);
        free(vec);
    }
}

/* Round trip on every file below dir (recursively). */
static void walk(const lmz_tokenizer *t, const char *dir, int *count, size_t *bytes) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            walk(t, p, count, bytes);
        } else if (S_ISREG(st.st_mode)) {
            size_t n;
            uint8_t *b = check_read_file(p, &n);
            CHECK(b != NULL, "cannot read %s", p);
            if (!b) continue;
            roundtrip(t, b, n, p);
            (*count)++;
            *bytes += n;
            free(b);
        }
    }
    closedir(d);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void test_nasty(const lmz_tokenizer *t, const char *tag) {
    char w[128];
    /* empty */
    int32_t *ids = NULL;
    size_t nid = 7;
    CHECK(tok_encode(t, (const uint8_t *)"", 0, &ids, &nid) == 0 && nid == 0, "%s: empty input", tag);
    CHECK(tok_decode(t, ids, 0, NULL, 0) == 0, "%s: empty decode", tag);
    free(ids);

    /* all 256 byte values, forwards and backwards, and each alone */
    uint8_t all[512];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i, all[511 - i] = (uint8_t)i;
    snprintf(w, sizeof w, "%s: all bytes", tag);
    roundtrip(t, all, sizeof all, w);
    for (int i = 0; i < 256; i++) {
        snprintf(w, sizeof w, "%s: byte %02x", tag, i);
        CHECK(roundtrip(t, all + i, 1, w) == 1, "%s: one token", w);
    }

#define S(x) {x, sizeof(x) - 1}
    static const struct { const char *s; size_t n; } cases[] = {
        S("\x80"), S("a\x80\x80 b"), S("\xbf\xbf"),                 /* lone continuations */
        S("\xc0\xaf"), S("\xe0\x80\xaf"), S("\xf0\x80\x80\xaf"),    /* overlong '/' */
        S("\xed\xa0\x80"), S("\xf4\x90\x80\x80"), S("\xf8\x88\x80\x80\x80"), /* surrogate, > 10FFFF, 5-byte */
        S("\xe2\x96"), S("ab\xe2"), S("\xc3"),                       /* truncated */
        S("\xe2\x96\x81"), S(" \xe2\x96\x81 \xe2\x96\x81\xe2\x96\x81the"), /* literal U+2581 */
        S("\xef\xbf\xbd"), S("a\xef\xbf\xbd b"),                       /* U+FFFD */
        S("\0\0a\0"), S("\r\n\t\v\f"), S("  the   cat  "), S("\xf0\x9f\x98\x80 emoji"),
        S("caf\xc3\xa9 na\xc3\xafve \xe2\x80\x94 \xe2\x80\x9cq\xe2\x80\x9d"),
    };
#undef S
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(w, sizeof w, "%s: case %zu", tag, i);
        roundtrip(t, (const uint8_t *)cases[i].s, cases[i].n, w);
    }

    /* a literal U+2581 must come out as its three byte tokens */
    ids = NULL;
    CHECK(tok_encode(t, (const uint8_t *)"\xe2\x96\x81", 3, &ids, &nid) == 0 && nid == 3, "%s: U+2581 -> 3 ids", tag);
    free(ids);

    /* random bytes; random mixes of text and junk */
    static const char *frag[] = {"the ", " ", "  ", "\n", "a", "e", "th", "\xe2\x96\x81", "\xc3\xa9", "\x80",
                                 "\xff", "0", "12", "\xe2\x80\x94", "ing ", "\xf0\x9f\x98"};
    for (int r = 0; r < 200; r++) {
        size_t n = rnd() % 2000;
        uint8_t *b = malloc(n + 8);
        if (r % 2) {
            for (size_t i = 0; i < n; i++) b[i] = (uint8_t)rnd();
        } else {
            size_t k = 0;
            while (k < n) {
                const char *f = frag[rnd() % (sizeof frag / sizeof frag[0])];
                size_t l = strlen(f);
                if (k + l > n) break;
                memcpy(b + k, f, l);
                k += l;
            }
            n = k;
        }
        snprintf(w, sizeof w, "%s: random %d", tag, r);
        roundtrip(t, b, n, w);
        free(b);
    }

    /* 1 MB of one character, several characters */
    size_t big = 1 << 20;
    uint8_t *b = malloc(big);
    static const char *one[] = {" ", "a", "\n", "\xe2\x96\x81", "\xc3\xa9", "0", "\xff"};
    for (size_t c = 0; c < sizeof one / sizeof one[0]; c++) {
        size_t l = strlen(one[c]), n = big / l * l;
        for (size_t i = 0; i < n; i += l) memcpy(b + i, one[c], l);
        snprintf(w, sizeof w, "%s: 1 MB of char %zu", tag, c);
        double t0 = now();
        long k = roundtrip(t, b, n, w);
        printf("%s: %ld tokens, %.3f s\n", w, k, now() - t0);
    }
    free(b);
}

static void test_speed(const lmz_tokenizer *t) {
    char p[1024];
    snprintf(p, sizeof p, "%s/corpus/canterbury/alice29.txt", LMZ_TESTDATA);
    size_t n;
    uint8_t *src = check_read_file(p, &n);
    if (!src) return;
    int32_t *ids = NULL;
    size_t nid = 0;
    double best = 1e9;
    for (int r = 0; r < 10; r++) {
        free(ids);
        double t0 = now();
        tok_encode(t, src, n, &ids, &nid);
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    uint8_t *dec = malloc(n);
    double t0 = now();
    for (int r = 0; r < 10; r++) tok_decode(t, ids, nid, dec, n);
    double dd = (now() - t0) / 10;
    printf("speed alice29.txt: encode %.1f MB/s, decode %.0f MB/s (%zu tokens)\n", (double)n / best / 1e6,
           (double)n / dd / 1e6, nid);
    free(dec);
    free(ids);
    free(src);
}

/* ------------------------------------------------------------------------ */

static void test_tiny(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tok_tiny.gguf", LMZ_BUILD);
    for (uint32_t seed = 1; seed <= 3; seed++) {
        tinymodel_opts o = tinymodel_defaults();
        o.n_merges = 64 * seed;
        CHECK(tinymodel_write(path, seed, &o) == 0, "tinymodel_write");
        lmz_mmap m;
        lmz_msg msg = {{0}};
        gguf_file g;
        lmz_tokenizer *t = NULL;
        if (lmz_mmap_open(&m, path, &msg)) { CHECK(0, "%s", msg.text); return; }
        int rc = gguf_open_buffer(&g, m.addr, m.size, &msg);
        CHECK(rc == 0, "tiny gguf: %s", msg.text);
        if (!rc) {
            rc = tok_init(&t, &g, &msg);
            CHECK(rc == 0, "tiny tok_init: %s", msg.text);
        }
        if (!rc) {
            CHECK(tok_vocab_size(t) == tinymodel_vocab_size(&o), "tiny vocab size %u", tok_vocab_size(t));
            CHECK(tok_bos(t) == 1, "tiny bos");
            char tag[32];
            snprintf(tag, sizeof tag, "tiny%u", seed);
            test_nasty(t, tag);
            const char *txt = "the quick brown fox jumps over the lazy dog, then the end.";
            roundtrip(t, (const uint8_t *)txt, strlen(txt), "tiny text");
        }
        tok_free(t);
        gguf_close(&g);
        lmz_mmap_close(&m);
    }
    remove(path);
}

int main(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/models/lmz-base.gguf", LMZ_SRC);
    lmz_mmap m;
    lmz_msg msg = {{0}};
    gguf_file g;
    lmz_tokenizer *t = NULL;
    int rc = lmz_mmap_open(&m, p, &msg);
    CHECK(rc == 0, "%s", msg.text);
    if (rc) return check_done("test_tokenizer");
    rc = gguf_open_buffer(&g, m.addr, m.size, &msg);
    CHECK(rc == 0, "%s", msg.text);
    if (!rc) {
        rc = tok_init(&t, &g, &msg);
        CHECK(rc == 0, "tok_init: %s", msg.text);
    }
    if (!rc) {
        CHECK(tok_vocab_size(t) == 16384, "vocab %u", tok_vocab_size(t));
        CHECK(tok_bos(t) == 1, "bos %d", tok_bos(t));
        uint32_t l;
        CHECK(tok_bytes(t, 1, &l) && l == 0, "<s> decodes to nothing");
        CHECK(*tok_bytes(t, 3 + 'A', &l) == 'A' && l == 1, "<0x41> decodes to A");
        const uint8_t *b = tok_bytes(t, 260, &l); /* "▁t" */
        CHECK(l == 2 && b[0] == ' ' && b[1] == 't', "piece 260 decodes to ' t'");
        int32_t bad = 16384;
        uint8_t d[8];
        CHECK(tok_decode(t, &bad, 1, d, 8) == -LMZ_error_corrupt, "out-of-range id rejected");
        bad = -1;
        CHECK(tok_decode(t, &bad, 1, d, 8) == -LMZ_error_corrupt, "negative id rejected");

        test_vectors(t);
        int count = 0;
        size_t bytes = 0;
        snprintf(p, sizeof p, "%s/corpus", LMZ_TESTDATA);
        double t0 = now();
        walk(t, p, &count, &bytes);
        printf("corpus round trip: %d files, %zu bytes, %.2f s\n", count, bytes, now() - t0);
        CHECK(count > 10, "corpus walk found only %d files", count);
        test_nasty(t, "base");
        test_speed(t);
    }
    tok_free(t);
    gguf_close(&g);
    lmz_mmap_close(&m);

    test_tiny();
    return check_done("test_tokenizer");
}
