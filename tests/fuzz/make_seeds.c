/*
 * tests/fuzz/make_seeds.c — writes the seed corpus of the fuzz targets,
 * tests/fuzz/corpus/<target>/, deterministically (same bytes every run, as
 * long as the tiny-model writer and the codec do not change).
 *
 *     make_seeds [DIR]      (default: LMZ_SRC/tests/fuzz/corpus)
 *
 * Every seed is made here from text written in this file, bytes of a fixed
 * pseudo-random generator, and tiny models from tests/fixtures/tinymodel.c; the
 * frames are compressed with the fuzz tiny model (tests/fuzz/fuzz_common.h).
 * The input layout of each target is described at the top of its source.
 * tests/fuzz/README.md lists the files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <sys/stat.h>

#include "common/common.h"
#include "format/frame.h"
#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"

#ifndef LMZ_SRC
#define LMZ_SRC "."
#endif

static const char *g_dir;
static int g_files;

static uint64_t g_rng = 0x5EEDF00Dull;
static uint8_t rnd8(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint8_t)(g_rng >> 56);
}

static void mkdir_p(const char *d) {
    if (mkdir(d, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_seeds: cannot create %s: %s\n", d, strerror(errno));
        exit(1);
    }
}

/* writes <dir>/<target>/<name>: a prefix (0-2 bytes) then the body */
static void seed(const char *target, const char *name, const uint8_t *prefix, size_t np, const void *body,
                 size_t nb) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, target);
    mkdir_p(path);
    snprintf(path, sizeof path, "%s/%s/%s", g_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (np && fwrite(prefix, 1, np, f) != np) || (nb && fwrite(body, 1, nb, f) != nb) || fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        exit(1);
    }
    g_files++;
}

/* ------------------------------------------------------------------------ */
/* Content                                                                  */
/* ------------------------------------------------------------------------ */

static const char k_english[] =
    "It was the best of times, it was the worst of times; the cat sat on the mat and the dog sat on the log.\n"
    "\"Where is the book?\" said Alice, who was not very happy. In 1865 -- or was it 1866? -- the program read "
    "its input, wrote its output, and returned 0.\n";
static const char k_utf8[] = "caf\xc3\xa9 na\xc3\xafve \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 "
                             "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x80\x94 "
                             "\xce\xb1\xce\xb2\xce\xb3 \xc2\xa9 2024\n";
static const char k_nasty[] = "\xe2\x96\x81 U+2581 \xe2\x96\x81\xe2\x96\x81 \xef\xbf\xbd \x80\xbf lone \xc3 "
                              "\xed\xa0\x80 surrogate \xf4\x90\x80\x80 \xc0\xaf overlong \0 NUL \x01\x1b\x7f\xff";
static const char k_code[] = "int main(void) {\n\tfor (int i = 0; i < 10; i++)\n\t\tprintf(\"%d\\n\", i);\n"
                             "\treturn 0; /* the end */\n}\n";

/* n bytes of English-like text (a fixed word list, fixed generator) */
static uint8_t *text(size_t n) {
    static const char *w[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran", "away", "from",
                              "Alice", "who", "was", "not", "very", "happy", "1865", "--", "said", "\"yes\","};
    uint8_t *b = malloc(n ? n : 1);
    size_t p = 0;
    while (p < n) {
        const char *s = w[rnd8() % (sizeof w / sizeof *w)];
        for (size_t i = 0; s[i] && p < n; i++) b[p++] = (uint8_t)s[i];
        if (p < n) b[p++] = rnd8() % 11 == 0 ? '\n' : ' ';
    }
    return b;
}

static uint8_t *random_bytes(size_t n) {
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) b[i] = rnd8();
    return b;
}

/* repetitive text: zstd / xz territory */
static uint8_t *repetitive(size_t n) {
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)("abcabcabd\n"[i % 10]);
    return b;
}

static int g_mix = -1; /* lmz_params.mix for the next compress() */
static size_t compress(const void *src, size_t n, uint8_t **out, int fallback) {
    lmz_params p;
    lmz_params_default(&p);
    p.mix = g_mix;
    p.threads = 1;
    p.chunk_size = 4096;
    p.fallback = fallback;
    size_t cap = lmz_compress_bound(n);
    *out = malloc(cap);
    size_t r = lmz_compress(fuzz_tiny_model(), *out, cap, src, n, &p);
    if (lmz_is_error(r)) {
        fprintf(stderr, "make_seeds: compress failed: %s\n", lmz_error_name(r));
        exit(1);
    }
    /* every frame seed must decode (checked here, where it is made) */
    uint8_t *d = malloc(n + 1);
    size_t ds = lmz_decompress(fuzz_tiny_model(), d, n + 1, *out, r, &p);
    if (ds != n || (n && memcmp(d, src, n))) {
        fprintf(stderr, "make_seeds: a frame does not decode: %s\n", lmz_is_error(ds) ? lmz_error_name(ds) : "bytes");
        exit(1);
    }
    free(d);
    return r;
}

/* A header-only frame with extra sections: a lossy report, as text (tag 1)
 * or zstd-compressed (tag 2, zstd != 0), and an unknown tag, built with the
 * format layer's writer. */
static size_t frame_with_extras(uint8_t *dst, size_t cap, int zstd) {
    static const char report[] = "lmz-lossy-report 1\nlevel=5\ndropped=1-3,5,8-13\n";
    static uint8_t extra[6 + 256 + 6 + 3];
    size_t rn = sizeof report - 1;
    if (zstd) {
        rn = ZSTD_compress(extra + 6, 256, report, sizeof report - 1, 19);
        if (ZSTD_isError(rn)) {
            fprintf(stderr, "make_seeds: ZSTD_compress failed\n");
            exit(1);
        }
    } else {
        memcpy(extra + 6, report, rn);
    }
    lmz_wr16(extra, zstd ? 2 : 1);
    lmz_wr32(extra + 2, (uint32_t)rn);
    lmz_wr16(extra + 6 + rn, 999);
    lmz_wr32(extra + 6 + rn + 2, 3);
    memcpy(extra + 6 + rn + 6, "xyz", 3);
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    h.flags = LMZ_F_LOSSY;
    strcpy(h.model_name, "seed");
    h.window = 64;
    h.overlap = 32;
    h.chunk_size = 4096;
    h.original_size = 0;
    h.content_checksum = lmz_xxh64("", 0);
    h.extra = extra;
    h.extra_size = (uint32_t)(6 + rn + 6 + 3);
    size_t r = frame_write_header(&h, dst, cap);
    if (lmz_is_error(r)) {
        fprintf(stderr, "make_seeds: frame_write_header failed\n");
        exit(1);
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Targets                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    uint8_t *b;
    size_t n;
} blob;

static void seeds_frame_and_decompress(void) {
    blob f[10];
    int nf = 0;
    uint8_t *t2k = text(2000), *t9k = text(9000), *rb = random_bytes(600), *rep = repetitive(3000);
    f[nf].name = "empty";
    f[nf].n = compress("", 0, &f[nf].b, -1), nf++;
    f[nf].name = "text2k";
    f[nf].n = compress(t2k, 2000, &f[nf].b, -1), nf++;
    f[nf].name = "text2k_lm";
    g_mix = 0; /* plain lm chunks; the other text seeds hold lm+mix */
    f[nf].n = compress(t2k, 2000, &f[nf].b, 0), nf++;
    g_mix = -1;
    f[nf].name = "text9k_3chunks_lm";
    f[nf].n = compress(t9k, 9000, &f[nf].b, 0), nf++;
    f[nf].name = "random600_stored";
    f[nf].n = compress(rb, 600, &f[nf].b, -1), nf++;
    f[nf].name = "repetitive3k";
    f[nf].n = compress(rep, 3000, &f[nf].b, 1), nf++;
    f[nf].name = "extras_lossy";
    f[nf].b = malloc(512);
    f[nf].n = frame_with_extras(f[nf].b, 512, 0), nf++;
    f[nf].name = "extras_lossy_zstd";
    f[nf].b = malloc(512);
    f[nf].n = frame_with_extras(f[nf].b, 512, 1), nf++;
    /* concatenation of two frames */
    f[nf].name = "concat";
    f[nf].n = f[1].n + f[4].n;
    f[nf].b = malloc(f[nf].n);
    memcpy(f[nf].b, f[1].b, f[1].n);
    memcpy(f[nf].b + f[1].n, f[4].b, f[4].n);
    nf++;

    char name[128];
    for (int i = 0; i < nf; i++) {
        /* fuzz_frame: raw (mode 0) and sealed (mode 1) */
        snprintf(name, sizeof name, "raw_%s", f[i].name);
        seed("frame", name, (const uint8_t[]){0}, 1, f[i].b, f[i].n);
        /* fuzz_decompress RAW mode, threads 1 / 2, sliced */
        snprintf(name, sizeof name, "raw_%s", f[i].name);
        seed("decompress", name, (const uint8_t[]){(uint8_t)(i & 1 ? 2 : 0)}, 1, f[i].b, f[i].n);
    }
    snprintf(name, sizeof name, "raw_sliced_%s", f[3].name);
    seed("decompress", name, (const uint8_t[]){4}, 1, f[3].b, f[3].n);

    /* fuzz_frame sealed mode: damaged fields behind a valid checksum */
    {
        const blob *b = &f[3]; /* 3 chunks */
        uint8_t *c = malloc(b->n);
        struct {
            const char *name;
            size_t off; /* from 43 + L */
            int width;
            uint64_t v;
        } ed[] = {{"sealed_window1", 0, 2, 1},        {"sealed_overlap_eq_window", 2, 2, 64},
                  {"sealed_chunk_size0", 4, 4, 0},     {"sealed_original_size_huge", 8, 8, 1ull << 42},
                  {"sealed_n_chunks_huge", 24, 4, 70000}, {"sealed_raw_size0", 28, 4, 0},
                  {"sealed_method9", 36, 1, 9},        {"sealed_coded_huge", 32, 4, 0xFFFFFFFFu}};
        const size_t L = b->b[42];
        for (size_t i = 0; i < sizeof ed / sizeof *ed; i++) {
            memcpy(c, b->b, b->n);
            size_t at = 43 + L + ed[i].off;
            for (int k = 0; k < ed[i].width; k++) c[at + k] = (uint8_t)(ed[i].v >> (8 * k));
            seed("frame", ed[i].name, (const uint8_t[]){1}, 1, c, b->n);
        }
        free(c);
    }
    seed("frame", "junk_magic_only", (const uint8_t[]){0}, 1, "LMZ\x1a\x01", 5);
    seed("frame", "junk_random", (const uint8_t[]){0}, 1, rb, 100);

    /* fuzz_decompress MUTATE mode: mode, k, k x {u16 off, u8 xor}, content */
    struct {
        const char *name;
        uint8_t mode, k;
        uint8_t mut[9];
        const void *content;
        size_t n;
    } mm[] = {
        {"mut_none_text", 1, 0, {0}, t2k, 2000},
        {"mut_none_lm_t2", 1 | 2 | 16, 0, {0}, t2k, 1500},
        {"mut_payload_lm", 1 | 16, 1, {200, 0, 0x10}, t2k, 1200},
        {"mut_payload_lm_sliced", 1 | 4 | 16, 2, {150, 0, 0x01, 90, 1, 0x80}, t2k, 1500},
        {"mut_header_resealed", 1 | 8 | 16, 1, {45, 0, 0x01}, t2k, 800},
        {"mut_table_resealed", 1 | 8, 3, {80, 0, 0x40, 84, 0, 0x02, 88, 0, 0x03}, t2k, 1000},
        {"mut_two_frames", 1 | 32 | 16, 1, {100, 0, 0x08}, t2k, 1600},
        {"mut_binary", 1, 1, {120, 0, 0xFF}, rb, 500},
        {"mut_repetitive", 1, 1, {110, 0, 0x04}, rep, 2000},
        {"mut_empty", 1 | 8, 1, {20, 0, 0x01}, "", 0},
        {"mut_utf8", 1 | 16, 1, {70, 0, 0x20}, k_utf8, sizeof k_utf8 - 1},
    };
    for (size_t i = 0; i < sizeof mm / sizeof *mm; i++) {
        size_t np = 2 + 3 * (size_t)mm[i].k;
        uint8_t pre[2 + 9];
        pre[0] = mm[i].mode;
        pre[1] = mm[i].k;
        memcpy(pre + 2, mm[i].mut, 3 * (size_t)mm[i].k);
        seed("decompress", mm[i].name, pre, np, mm[i].content, mm[i].n);
    }
    for (int i = 0; i < nf; i++) free(f[i].b);
    free(t2k);
    free(t9k);
    free(rb);
    free(rep);
}

static void seeds_gguf(void) {
    tinymodel_opts o = fuzz_tiny_opts();
    uint8_t *b;
    size_t n;
    if (tinymodel_build(FUZZ_TINY_SEED, &o, &b, &n)) exit(1);
    seed("gguf", "tiny_fuzz_model", NULL, 0, b, n);
    seed("gguf", "tiny_truncated_header", NULL, 0, b, 2000);
    free(b);
    o.n_merges = 0;
    o.tied = 0; /* with output.weight */
    o.n_ctx = 8;
    if (tinymodel_build(2, &o, &b, &n)) exit(1);
    seed("gguf", "tiny_untied_nomerges", NULL, 0, b, n);
    free(b);
    /* a header with no tensors and no keys (a valid GGUF, not a model) */
    uint8_t hdr[24] = {'G', 'G', 'U', 'F', 3};
    seed("gguf", "empty_gguf", NULL, 0, hdr, sizeof hdr);
    seed("gguf", "magic_only", NULL, 0, "GGUF", 4);
}

static void seeds_tokenizer(void) {
    seed("tokenizer", "english", NULL, 0, k_english, sizeof k_english - 1);
    seed("tokenizer", "utf8", NULL, 0, k_utf8, sizeof k_utf8 - 1);
    seed("tokenizer", "invalid_utf8_u2581_nul", NULL, 0, k_nasty, sizeof k_nasty - 1);
    seed("tokenizer", "code", NULL, 0, k_code, sizeof k_code - 1);
    seed("tokenizer", "spaces", NULL, 0, "    \n\n\t\t  x  ", 14);
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    seed("tokenizer", "all_bytes", NULL, 0, all, 256);
    uint8_t *t = text(1500);
    seed("tokenizer", "text1500", NULL, 0, t, 1500);
    free(t);
}

static void seeds_roundtrip(void) {
    uint8_t *t = text(4000), *rb = random_bytes(1000), *rep = repetitive(3000);
    seed("roundtrip", "empty_t1", (const uint8_t[]){0}, 1, NULL, 0);
    seed("roundtrip", "text4000_t1", (const uint8_t[]){0}, 1, t, 4000);
    seed("roundtrip", "text2000_lm_t2", (const uint8_t[]){1 | 2}, 1, t, 2000);
    seed("roundtrip", "text3000_lm_sliced_determinism", (const uint8_t[]){2 | 8 | 16}, 1, t + 1000, 3000);
    seed("roundtrip", "random1000_t2", (const uint8_t[]){1}, 1, rb, 1000);
    seed("roundtrip", "repetitive3000_fallback1", (const uint8_t[]){4}, 1, rep, 3000);
    seed("roundtrip", "utf8_lm", (const uint8_t[]){2}, 1, k_utf8, sizeof k_utf8 - 1);
    seed("roundtrip", "nasty_lm", (const uint8_t[]){2}, 1, k_nasty, sizeof k_nasty - 1);
    seed("roundtrip", "code_t2_sliced", (const uint8_t[]){1 | 8}, 1, k_code, sizeof k_code - 1);
    free(t);
    free(rb);
    free(rep);
}

/* byte 0: the level (1 + byte % 5); the rest: text */
static void seeds_lossy(void) {
    /* escapes at the end of a paragraph: before the fix of escape_len()
     * their spans took the line break, outside their unit */
    static const char troff[] = ".pp\nThe \\fIcompression\\fP ratio was 2.2\\ bit/char \\(em not 3.\n"
                                ".sp\nA backslash at a paragraph end\\\n\nand \\( before a break\\(\r\n\r\n"
                                "a space\\ \n\nend.\n";
    static const char uucp[] = "Path: news\n\n  hp-sdd --\\     ihnp4 --\\\n\n   \\      /\n"
                               "> quoted \"text\n> over lines\" here\n\nSigned, Dr. J. Smith (not me).\n";
    static const char typo[] = "\xe2\x80\x9cQuoted\xe2\x80\x9d \xe2\x80\x94 it\xe2\x80\x99s 5\xc2\xa0kg\xe2\x80\xa6 "
                               "\\\xe2\x80\x9c escaped\n\n\n| a | b |\n|---|---|\n    code();\n";
    for (uint8_t level = 0; level < 5; level++) {
        char name[64];
        snprintf(name, sizeof name, "english_level%d", level + 1);
        seed("lossy", name, &level, 1, k_english, sizeof k_english - 1);
    }
    seed("lossy", "troff_level1", (const uint8_t[]){0}, 1, troff, sizeof troff - 1);
    seed("lossy", "troff_level3", (const uint8_t[]){2}, 1, troff, sizeof troff - 1);
    seed("lossy", "news_uucp_level1", (const uint8_t[]){0}, 1, uucp, sizeof uucp - 1);
    seed("lossy", "news_uucp_level5", (const uint8_t[]){4}, 1, uucp, sizeof uucp - 1);
    seed("lossy", "typography_level2", (const uint8_t[]){1}, 1, typo, sizeof typo - 1);
    seed("lossy", "utf8_level4", (const uint8_t[]){3}, 1, k_utf8, sizeof k_utf8 - 1);
    seed("lossy", "code_level3", (const uint8_t[]){2}, 1, k_code, sizeof k_code - 1);
    seed("lossy", "nasty_not_text", (const uint8_t[]){2}, 1, k_nasty, sizeof k_nasty - 1);
    uint8_t *t = text(3000);
    seed("lossy", "text3000_level5", (const uint8_t[]){4}, 1, t, 3000);
    free(t);
}

int main(int argc, char **argv) {
    g_dir = argc > 1 ? argv[1] : LMZ_SRC "/tests/fuzz/corpus";
    mkdir_p(g_dir);
    seeds_frame_and_decompress();
    seeds_gguf();
    seeds_tokenizer();
    seeds_roundtrip();
    seeds_lossy();
    printf("make_seeds: %d files written under %s\n", g_files, g_dir);
    return 0;
}
