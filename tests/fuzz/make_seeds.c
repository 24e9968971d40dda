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
#include "compress/segment.h" /* SEG_GAP */
#include "format/frame.h"
#include "fixtures/ggufw.h"
#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"
#include "model/gguf.h" /* GGUF_T_* */

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
static int g_compact = 0; /* lmz_params.compact: the older seeds hold full (v1) headers */
static const lmz_dict *g_dict; /* lmz_params.dict */
static size_t compress(const void *src, size_t n, uint8_t **out, int fallback) {
    lmz_params p;
    lmz_params_default(&p);
    p.mix = g_mix;
    p.threads = 1;
    p.chunk_size = 4096;
    p.fallback = fallback;
    p.compact = g_compact;
    p.dict = g_dict;
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
/* seg / utf16 contents and frames (doc/format.md §3.1, §3.2)                */
/* ------------------------------------------------------------------------ */

/* A small tar-like archive: nf text files of generated words behind 128-byte
 * headers (a name, octal fields, NULs, a field of high bytes), padded with
 * NULs, and 128 NULs at the end: binary-looking, with text runs worth coding
 * apart (the compressor makes it one `seg` chunk). dst: room for
 * nf * (128 + len + 32) + 128 bytes. */
static size_t tar_like(uint8_t *dst, int nf, const uint32_t *len) {
    static const uint8_t fields[] = {0x01, 0x7f, 0x80, 0xff, 0x02, 0x1c, 0x00, 0x81};
    size_t p = 0;
    for (int i = 0; i < nf; i++) {
        uint8_t *h = dst + p;
        memset(h, 0, 128);
        snprintf((char *)h, 24, "doc/part%d.txt", i);
        memcpy(h + 40, "0000644", 8);
        snprintf((char *)h + 48, 12, "%011o", (unsigned)len[i]);
        memcpy(h + 64, "ustar", 6);
        memcpy(h + 72 + i % 4, fields, sizeof fields);
        for (int k = 0; k < 40; k++) h[84 + k] = (uint8_t)(0x80 + (k * 37) % 128);
        p += 128;
        uint8_t *t = text(len[i]);
        memcpy(dst + p, t, len[i]);
        free(t);
        p += len[i];
        while (p % 32) dst[p++] = 0;
    }
    memset(dst + p, 0, 128);
    return p + 128;
}

/* A smaller one for fuzz_decompress's MUTATE mode (at most 1 KiB): nf files
 * behind 96-byte headers (a name, 32 high bytes, NULs), padded with NULs to
 * a multiple of 64. */
static size_t tar_small(uint8_t *dst, int nf, const uint32_t *len) {
    size_t p = 0;
    for (int i = 0; i < nf; i++) {
        uint8_t *h = dst + p;
        memset(h, 0, 96);
        snprintf((char *)h, 24, "doc/part%d.txt", i);
        for (int k = 0; k < 32; k++) h[24 + k] = (uint8_t)(0x80 + (k * 37) % 128);
        p += 96;
        uint8_t *t = text(len[i]);
        memcpy(dst + p, t, len[i]);
        free(t);
        p += len[i];
        while (p % 64) dst[p++] = 0;
    }
    return p;
}

/* Generated text with a BOM and a few 2-, 3- and 4-byte characters as
 * UTF-16 (be: big-endian) in dst (room for 2 * (n + 40) bytes); *u8 gets
 * its UTF-8 form (malloc'd) when u8 is not NULL. */
static size_t utf16_text(uint8_t *dst, size_t n, int be, uint8_t **u8, size_t *u8n) {
    static const char extra[] = " caf\xc3\xa9 \xe2\x82\xac" "5 \xf0\x9f\x98\x80 na\xc3\xafve\n";
    uint8_t *t = text(n), *b = malloc(n + 64);
    size_t k = 0;
    memcpy(b, "\xef\xbb\xbf", 3), k = 3;
    memcpy(b + k, t, n / 2), k += n / 2;
    memcpy(b + k, extra, sizeof extra - 1), k += sizeof extra - 1;
    memcpy(b + k, t + n / 2, n - n / 2), k += n - n / 2;
    free(t);
    size_t r = lmz_utf8_to_utf16(b, k, be, dst, 2 * (n + 40));
    if (r == LMZ_UTF16_BAD) {
        fprintf(stderr, "make_seeds: UTF-16 conversion failed\n");
        exit(1);
    }
    if (u8) *u8 = b, *u8n = k;
    else free(b);
    return r;
}

/* Chunk c of frame f[0..n) must be of method m: the seeds are there to
 * reach that method's code; when the compressor's choice changes, say so
 * (then adjust the content). */
static void expect_method(const char *what, const uint8_t *f, size_t n, unsigned c, unsigned m) {
    lmz_chunk_info_t ch[16];
    size_t k = lmz_frame_chunks(f, n, ch, 16);
    if (lmz_is_error(k) || c >= k || ch[c].method != m) {
        fprintf(stderr, "make_seeds: %s: chunk %u is not of method %u (%s)\n", what, c, m,
                lmz_is_error(k) ? lmz_error_name(k) : c < k ? "other method" : "no such chunk");
        exit(1);
    }
}

/* The first chunk of a frame: its table entry (payload at f + ci->offset). */
static void first_chunk(const uint8_t *f, size_t n, lmz_chunk_info_t *ci) {
    if (lmz_frame_chunks(f, n, ci, 1) < 1) {
        fprintf(stderr, "make_seeds: no chunk\n");
        exit(1);
    }
}

static size_t put_var(uint8_t *d, uint32_t v) {
    size_t n = 0;
    while (v >= 0x80) d[n++] = (uint8_t)(v | 0x80), v >>= 7;
    d[n++] = (uint8_t)v;
    return n;
}

/* A seg payload (doc/format.md §3.1) for content src cut into text and
 * binary runs[0..nr) alternating from kind first (0 text, 1 binary): the
 * text part coded by the model (compress() with fallback 0: lm or lm+mix)
 * when lm_text, else stored; the binary part stored. Returns its size in
 * dst (room: 2 * the content + 64). */
static size_t seg_payload(uint8_t *dst, const uint8_t *src, const uint32_t *runs, uint32_t nr, uint8_t first,
                          int lm_text) {
    uint8_t *t = malloc(4096 * 4), *b = malloc(4096 * 4);
    size_t tn = 0, bn = 0, at = 0;
    for (uint32_t r = 0; r < nr; r++) {
        if (((r + first) & 1) == 0) memcpy(t + tn, src + at, runs[r]), tn += runs[r];
        else memcpy(b + bn, src + at, runs[r]), bn += runs[r];
        at += runs[r];
    }
    uint8_t *z = NULL;
    lmz_chunk_info_t zc = {(uint32_t)tn, (uint32_t)tn, LMZ_METHOD_STORED, 0, 0};
    if (lm_text) {
        size_t zn = compress(t, tn, &z, 0);
        first_chunk(z, zn, &zc);
        if (zc.method != LMZ_METHOD_LM && zc.method != LMZ_METHOD_LM_MIX) {
            fprintf(stderr, "make_seeds: the text part is not model-coded\n");
            exit(1);
        }
    }
    size_t w = 0;
    dst[w++] = (uint8_t)zc.method, dst[w++] = LMZ_METHOD_STORED;
    w += put_var(dst + w, nr);
    for (uint32_t r = 0; r < nr; r++) w += put_var(dst + w, runs[r] << 2 | ((r + first) & 1));
    lmz_wr32(dst + w, zc.coded_size), w += 4;
    memcpy(dst + w, z ? z + zc.offset : t, zc.coded_size), w += zc.coded_size;
    memcpy(dst + w, b, bn), w += bn;
    free(z);
    free(t);
    free(b);
    return w;
}

/* A mail with an attachment in base64 (76-character lines) of n bytes:
 * generated text when text, else pseudo-random bytes. dst: room for
 * 600 + 2 * n bytes. */
static size_t mail_b64(uint8_t *dst, size_t n, int text_att) {
    static const char head[] = "From: alice@example.org\nTo: bob@example.org\nSubject: the report\n"
                               "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n"
                               "Content-Type: text/plain\n\n";
    static const char att[] = "\n--b1\nContent-Type: application/octet-stream; name=\"a.bin\"\n"
                              "Content-Transfer-Encoding: base64\n\n";
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    memcpy(dst, head, sizeof head - 1), o += sizeof head - 1;
    uint8_t *t = text(200);
    memcpy(dst + o, t, 200), o += 200;
    free(t);
    memcpy(dst + o, att, sizeof att - 1), o += sizeof att - 1;
    uint8_t *d = text_att ? text(n) : random_bytes(n);
    for (size_t i = 0, col = 0; i < n; i += 3) {
        const unsigned b1 = i + 1 < n ? d[i + 1] : 0, b2 = i + 2 < n ? d[i + 2] : 0;
        dst[o++] = (uint8_t)a[d[i] >> 2];
        dst[o++] = (uint8_t)a[(d[i] & 3) << 4 | b1 >> 4];
        dst[o++] = i + 1 < n ? (uint8_t)a[(b1 & 15) << 2 | b2 >> 6] : '=';
        dst[o++] = i + 2 < n ? (uint8_t)a[b2 & 63] : '=';
        if ((col += 4) == 76 || i + 3 >= n) dst[o++] = '\n', col = 0;
    }
    free(d);
    memcpy(dst + o, "--b1--\n", 7);
    return o + 7;
}

/* A frame (flag bit 1) of nc chunks with the given payloads and contents,
 * for the fuzz tiny model, written with the format layer. */
static size_t ext_frame(uint8_t **out, int nc, uint8_t *const *pay, const uint32_t *coded,
                        const uint8_t *const *content, const uint32_t *raw, const uint8_t *method) {
    lmz_chunk_info ch[8];
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    h.flags = LMZ_F_EXT;
    lmz_model_sha256(fuzz_tiny_model(), h.model_sha256);
    strcpy(h.model_name, "seed");
    h.window = 64;
    h.overlap = 1;
    h.chunk_size = 4096;
    uint8_t *all = malloc(8 * 8192);
    size_t pn = 0, on = 0;
    for (int i = 0; i < nc; i++) {
        ch[i] = (lmz_chunk_info){raw[i], coded[i], method[i], (uint32_t)lmz_xxh64(content[i], raw[i]), 0};
        memcpy(all + on, content[i], raw[i]);
        on += raw[i];
        pn += coded[i];
        if (raw[i] > h.chunk_size) h.chunk_size = raw[i];
    }
    h.original_size = on;
    h.content_checksum = lmz_xxh64(all, on);
    h.n_chunks = (uint32_t)nc;
    h.chunks = ch;
    size_t hs = frame_header_size(&h);
    *out = malloc(hs + pn);
    if (lmz_is_error(hs) || frame_write_header(&h, *out, hs) != hs) {
        fprintf(stderr, "make_seeds: frame_write_header failed\n");
        exit(1);
    }
    size_t w = hs;
    for (int i = 0; i < nc; i++) memcpy(*out + w, pay[i], coded[i]), w += coded[i];
    /* it must decode */
    lmz_params p;
    lmz_params_default(&p);
    size_t ds = lmz_decompress(fuzz_tiny_model(), all, 8 * 8192, *out, w, &p);
    if (ds != on) {
        fprintf(stderr, "make_seeds: an assembled frame does not decode: %s\n",
                lmz_is_error(ds) ? lmz_error_name(ds) : "size");
        exit(1);
    }
    free(all);
    return w;
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
    /* issue #20: the other architectures, byte-level BPE vocabularies and
     * weight types (their keys, tensors and dequantisers) */
    tinymodel_opts q = tinymodel_defaults();
    q.vocab = TINY_VOCAB_BPE, q.n_merges = 16, q.n_ctx = 16;
    q.arch = TINY_ARCH_QWEN2, q.wtype = TINY_W_Q4_1;
    if (tinymodel_build(3, &q, &b, &n)) exit(1);
    seed("gguf", "qwen2_q4_1_bpe", NULL, 0, b, n);
    free(b);
    q.arch = TINY_ARCH_QWEN3, q.wtype = TINY_W_BF16, q.n_head = 2, q.head_dim = 32;
    if (tinymodel_build(4, &q, &b, &n)) exit(1);
    seed("gguf", "qwen3_bf16_bpe", NULL, 0, b, n);
    free(b);
    q = tinymodel_defaults(); /* K-quant rows: multiples of 256 */
    q.vocab = TINY_VOCAB_BPE, q.n_merges = 16, q.n_ctx = 16, q.bpe_pre = "llama-bpe", q.add_bos = 1;
    q.n_embd = 256, q.n_ff = 256, q.n_head = 4, q.n_head_kv = 1, q.tied = 0, q.rope_freqs = 1;
    q.wtype = TINY_W_Q5_K;
    if (tinymodel_build(5, &q, &b, &n)) exit(1);
    seed("gguf", "llama3_q5_k_bpe", NULL, 0, b, n);
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

/* Frames with `seg` and `utf16` chunks (fuzz_frame, fuzz_decompress), their
 * payloads (fuzz_layout), the contents (fuzz_roundtrip), and cuts of text
 * and binary bytes (fuzz_segment). Made last: the generator's earlier
 * output, hence the older seeds, stay as they were. */
static void seeds_layouts(void) {
    static const uint32_t tl[] = {400, 471, 542}, tl_small[] = {300, 330};
    uint8_t *tar = malloc(8192), *tar_s = malloc(4096), *u16 = malloc(8192), *u16be = malloc(8192), *u8 = NULL;
    size_t u8n;
    const size_t tn = tar_like(tar, 3, tl);
    tar_like(tar_s, 2, tl_small);
    const size_t un = utf16_text(u16, 540, 0, &u8, &u8n), ubn = utf16_text(u16be, 300, 1, NULL, NULL);

    /* the compressor's frames */
    blob f[8];
    int nf = 0;
    f[nf].name = "tar_seg";
    f[nf].n = compress(tar, tn, &f[nf].b, -1);
    expect_method(f[nf].name, f[nf].b, f[nf].n, 0, LMZ_METHOD_SEG), nf++;
    f[nf].name = "utf16le_bom";
    f[nf].n = compress(u16, un, &f[nf].b, -1);
    expect_method(f[nf].name, f[nf].b, f[nf].n, 0, LMZ_METHOD_UTF16), nf++;
    f[nf].name = "utf16be_bom";
    f[nf].n = compress(u16be, ubn, &f[nf].b, -1);
    expect_method(f[nf].name, f[nf].b, f[nf].n, 0, LMZ_METHOD_UTF16), nf++;

    /* assembled: seg (the compressor's), utf16 (the compressor's), seg with
     * a model-coded text part, utf16 with a model-coded UTF-8 form */
    lmz_chunk_info_t c0, c1;
    first_chunk(f[0].b, f[0].n, &c0);
    first_chunk(f[1].b, f[1].n, &c1);
    lmz_chunk_info_t cm; /* the mail's (f[4], made below) */
    uint8_t *segp = malloc(4 * 8192), *u16p = malloc(8192);
    static const uint32_t sruns[] = {128, 400, 144}; /* tar's first runs: binary, text, binary */
    const uint32_t sraw = 128 + 400 + 144;
    const size_t segn = seg_payload(segp, tar, sruns, 3, 1, 1);
    size_t zn;
    uint8_t *z;
    lmz_chunk_info_t zc;
    g_mix = 0;
    zn = compress(u8, u8n, &z, 0);
    g_mix = -1;
    first_chunk(z, zn, &zc);
    u16p[0] = 0, u16p[1] = (uint8_t)zc.method;
    lmz_wr32(u16p + 2, (uint32_t)u8n);
    memcpy(u16p + 6, z + zc.offset, zc.coded_size);
    free(z);
    {
        uint8_t *pay[4] = {f[0].b + c0.offset, f[1].b + c1.offset, segp, u16p};
        const uint32_t coded[4] = {c0.coded_size, c1.coded_size, (uint32_t)segn, 6 + zc.coded_size};
        const uint8_t *content[4] = {tar, u16, tar, u16};
        const uint32_t raw[4] = {(uint32_t)tn, (uint32_t)un, sraw, (uint32_t)un};
        const uint8_t method[4] = {LMZ_M_SEG, LMZ_M_UTF16, LMZ_M_SEG, LMZ_M_UTF16};
        f[nf].name = "ext_seg_utf16_lm_parts";
        f[nf].n = ext_frame(&f[nf].b, 4, pay, coded, content, raw, method), nf++;
    }
    /* a mail with a text attachment in base64: a seg chunk with a base64 run */
    uint8_t *mail = malloc(4096), *mailb = malloc(4096);
    const size_t mn = mail_b64(mail, 900, 1), mbn = mail_b64(mailb, 1200, 0);
    f[nf].name = "mail_b64_seg";
    f[nf].n = compress(mail, mn, &f[nf].b, -1);
    expect_method(f[nf].name, f[nf].b, f[nf].n, 0, LMZ_METHOD_SEG), nf++;
    first_chunk(f[4].b, f[4].n, &cm);
    char name[128];
    for (int i = 0; i < nf; i++) {
        snprintf(name, sizeof name, "raw_%s", f[i].name);
        seed("frame", name, (const uint8_t[]){0}, 1, f[i].b, f[i].n);
        seed("decompress", name, (const uint8_t[]){(uint8_t)(i & 1 ? 2 : 0)}, 1, f[i].b, f[i].n);
    }
    seed("decompress", "raw_sliced_ext_seg_utf16_lm_parts", (const uint8_t[]){4 | 2}, 1, f[3].b, f[3].n);
    /* sealed (fuzz_frame mode 1): flag bit 1 cleared; methods swapped */
    {
        uint8_t *c = malloc(f[0].n);
        const size_t en = 43 + f[0].b[42] + 28; /* chunk 0's entry */
        memcpy(c, f[0].b, f[0].n), c[5] &= (uint8_t)~LMZ_F_EXT;
        seed("frame", "sealed_seg_without_ext_flag", (const uint8_t[]){1}, 1, c, f[0].n);
        memcpy(c, f[0].b, f[0].n), c[en + 8] = LMZ_M_UTF16;
        seed("frame", "sealed_seg_as_utf16", (const uint8_t[]){1}, 1, c, f[0].n);
        free(c);
    }

    /* fuzz_layout: mode, u32 raw_size, payload */
    {
        struct {
            const char *name;
            uint8_t mode;
            uint32_t raw;
            const uint8_t *p;
            size_t n;
        } ls[] = {
            {"seg_tar", 0, (uint32_t)tn, f[0].b + c0.offset, c0.coded_size},
            {"seg_tar_derived_decode", 2 | 8, 0, f[0].b + c0.offset, c0.coded_size},
            {"seg_lm_text", 0, sraw, segp, segn},
            {"utf16le", 1, (uint32_t)un, f[1].b + c1.offset, c1.coded_size},
            {"utf16le_decode", 1 | 8, (uint32_t)un, f[1].b + c1.offset, c1.coded_size},
            {"utf16_lm", 1, (uint32_t)un, u16p, 6 + zc.coded_size},
            {"seg_as_method1", 0x20, (uint32_t)tn, f[0].b + c0.offset, c0.coded_size},
            {"seg_mail_b64_derived_decode", 2 | 8, 0, f[4].b + cm.offset, cm.coded_size},
            {"utf16_raw_over_2_86e9", 1 | 4, 0xFFFFFFFEu, (const uint8_t *)"\x00\x02\xff\xff\xff\x7f\x28\xb5\x2f\xfd",
             10},
        };
        for (size_t i = 0; i < sizeof ls / sizeof *ls; i++) {
            uint8_t pre[5] = {ls[i].mode};
            lmz_wr32(pre + 1, ls[i].raw);
            seed("layout", ls[i].name, pre, 5, ls[i].p, ls[i].n);
        }
        /* a short UTF-16 text whose UTF-8 form the model codes: decoded */
        {
            uint8_t s16[1024], *s8, *zz, sp[1024];
            size_t s8n, s16n = utf16_text(s16, 60, 0, &s8, &s8n);
            lmz_chunk_info_t sc;
            g_mix = 0;
            size_t szn = compress(s8, s8n, &zz, 0);
            g_mix = -1;
            first_chunk(zz, szn, &sc);
            sp[0] = 0, sp[1] = (uint8_t)sc.method;
            lmz_wr32(sp + 2, (uint32_t)s8n);
            memcpy(sp + 6, zz + sc.offset, sc.coded_size);
            uint8_t pre[5] = {1 | 8};
            lmz_wr32(pre + 1, (uint32_t)s16n);
            seed("layout", "utf16_lm_decode", pre, 5, sp, 6 + sc.coded_size);
            free(zz);
            free(s8);
            /* and a seg chunk whose text part (100 bytes) the model codes */
            uint8_t sg[1024];
            const size_t sgn = seg_payload(sg, tar, (const uint32_t[]){128, 100, 50}, 3, 1, 1);
            pre[0] = 8;
            lmz_wr32(pre + 1, 278);
            seed("layout", "seg_lm_text_decode", pre, 5, sg, sgn);
        }
        /* hand-made: stored parts (decoded here exactly), the smallest
         * layouts, and what a reader must refuse */
        uint8_t b[8192];
        size_t w = seg_payload(b, tar_s, (const uint32_t[]){128, 300, 140}, 3, 1, 0);
        uint8_t pre[5] = {2 | 8};
        seed("layout", "seg_stored_parts_decode", pre, 5, b, w);
        b[0] = 0, b[1] = 0;
        lmz_wr32(b + 2, (uint32_t)u8n);
        memcpy(b + 6, u8, u8n);
        pre[0] = 1 | 8;
        lmz_wr32(pre + 1, (uint32_t)un);
        seed("layout", "utf16_stored_part_decode", pre, 5, b, 6 + u8n);
        lmz_wr32(pre + 1, 0);
        /* text "a" and binary "b": 2 runs, stored parts */
        static const uint8_t seg_min[] = {0, 0, 2, 1 << 2 | 0, 1 << 2 | 1, 1, 0, 0, 0, 'a', 'b'};
        pre[0] = 2 | 8;
        seed("layout", "seg_two_runs_decode", pre, 5, seg_min, sizeof seg_min);
        /* one text run: the binary part empty (stored, no bytes) */
        static const uint8_t seg_one[] = {0, 0, 1, 1 << 2 | 0, 1, 0, 0, 0, 'a'};
        seed("layout", "seg_one_run_empty_part_decode", pre, 5, seg_one, sizeof seg_one);
        /* base64 runs: of text "abc" in lines of 4 (\n), of binary "abcd" in
         * lines of 4 (\r\n, padding), beside a text run */
        static const uint8_t seg_b64[] = {0, 0, 1, 3 << 2 | 3, 4, 0, 3, 0, 0, 0, 'a', 'b', 'c'};
        seed("layout", "seg_b64_text_decode", pre, 5, seg_b64, sizeof seg_b64);
        static const uint8_t seg_b64b[] = {0, 0, 2, 2 << 2 | 0, 4 << 2 | 2, 4, 1, 2, 0, 0, 0, 'h', 'i', 'a', 'b', 'c', 'd'};
        seed("layout", "seg_b64_binary_crlf_decode", pre, 5, seg_b64b, sizeof seg_b64b);
        static const uint8_t seg_v6[] = {0, 0, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 1 << 2, 1, 0, 0, 0, 'a'};
        pre[0] = 2;
        seed("layout", "seg_count_in_6_bytes", pre, 5, seg_v6, sizeof seg_v6);
        static const uint8_t seg_v5[] = {0, 0, 0x81, 0x80, 0x80, 0x80, 0x00, 1 << 2, 1, 0, 0, 0, 'a'};
        pre[0] = 2 | 8;
        seed("layout", "seg_count_in_5_bytes_decode", pre, 5, seg_v5, sizeof seg_v5);
        pre[0] = 2;
        static const uint8_t seg_unterminated[] = {0, 0, 3, 1 << 2, 0x81};
        seed("layout", "seg_entry_unterminated", pre, 5, seg_unterminated, sizeof seg_unterminated);
        static const uint8_t seg_zero[] = {0, 0, 2, 0 << 2 | 0, 1 << 2 | 1, 0, 0, 0, 0, 'b'};
        seed("layout", "seg_zero_run", pre, 5, seg_zero, sizeof seg_zero);
        static const uint8_t seg_w6[] = {0, 0, 1, 3 << 2 | 3, 6, 0, 3, 0, 0, 0, 'a', 'b', 'c'};
        seed("layout", "seg_b64_width6", pre, 5, seg_w6, sizeof seg_w6);
        static const uint8_t seg_eol2[] = {0, 0, 1, 3 << 2 | 3, 4, 2, 3, 0, 0, 0, 'a', 'b', 'c'};
        seed("layout", "seg_b64_eol2", pre, 5, seg_eol2, sizeof seg_eol2);
        static const uint8_t seg_noeol[] = {0, 0, 1, 3 << 2 | 3, 4};
        seed("layout", "seg_b64_entry_cut", pre, 5, seg_noeol, sizeof seg_noeol);
        static const uint8_t seg_empty_coded[] = {0, 0, 1, 1 << 2 | 0, 1, 0, 0, 0, 'a', 'x'};
        seed("layout", "seg_empty_part_with_bytes", pre, 5, seg_empty_coded, sizeof seg_empty_coded);
        static const uint8_t seg_empty_zstd[] = {0, 2, 1, 1 << 2 | 0, 1, 0, 0, 0, 'a'};
        seed("layout", "seg_empty_part_zstd", pre, 5, seg_empty_zstd, sizeof seg_empty_zstd);
        static const uint8_t seg_m6[] = {6, 0, 2, 1 << 2 | 0, 1 << 2 | 1, 1, 0, 0, 0, 'a', 'b'};
        seed("layout", "seg_text_method6", pre, 5, seg_m6, sizeof seg_m6);
        static const uint8_t u16_odd[] = {0, 0, 2, 0, 0, 0, 'a', 'b'};
        pre[0] = 1;
        lmz_wr32(pre + 1, 3);
        seed("layout", "utf16_odd_raw", pre, 5, u16_odd, sizeof u16_odd);
        static const uint8_t u16_bad8[] = {0, 0, 2, 0, 0, 0, 0xC0, 0xAF};
        pre[0] = 1 | 8;
        lmz_wr32(pre + 1, 2);
        seed("layout", "utf16_overlong_utf8_decode", pre, 5, u16_bad8, sizeof u16_bad8);
    }

    /* fuzz_decompress MUTATE mode on contents the compressor codes as seg
     * / utf16 (at most 1 KiB): mutations in the layout heads, re-sealed
     * header; and fuzz_roundtrip on them */
    {
        static const uint32_t tl_m[] = {280, 320};
        uint8_t tm[2048], *fb;
        const uint64_t keep = g_rng;
        g_rng = 12345; /* this content alone: the compressor's choice depends on it */
        size_t tmn = tar_small(tm, 2, tl_m);
        g_rng = keep;
        g_mix = -1;
        size_t fn = compress(tm, tmn, &fb, -1);
        expect_method("mutate content (tar-like, 1 KiB)", fb, fn, 0, LMZ_METHOD_SEG);
        const uint16_t hs = (uint16_t)lmz_rd32(fb + 6);
        free(fb);
        uint8_t um[1024];
        size_t umn = utf16_text(um, 400, 0, NULL, NULL);
        if (umn > 1024) exit(1);
        fn = compress(um, umn, &fb, -1);
        expect_method("mutate content (UTF-16, 1 KiB)", fb, fn, 0, LMZ_METHOD_UTF16);
        const uint16_t hu = (uint16_t)lmz_rd32(fb + 6);
        free(fb);
        struct {
            const char *name;
            uint8_t mode, k;
            uint16_t off[3];
            uint8_t x[3];
            const uint8_t *content;
            size_t n;
        } mm[] = {
            {"mut_seg_none", 1, 0, {0}, {0}, tm, tmn},
            {"mut_seg_run_count", 1 | 8, 1, {(uint16_t)(hs + 2)}, {0x02}, tm, tmn},
            {"mut_seg_run_kind", 1 | 8, 1, {(uint16_t)(hs + 3)}, {0x01}, tm, tmn},
            {"mut_seg_run_length", 1 | 8 | 2, 1, {(uint16_t)(hs + 4)}, {0x10}, tm, tmn},
            {"mut_seg_part_method", 1 | 8, 2, {(uint16_t)hs, (uint16_t)(hs + 1)}, {0x07, 0x03}, tm, tmn},
            {"mut_utf16_none_sliced", 1 | 4, 0, {0}, {0}, um, umn},
            {"mut_utf16_order", 1 | 8, 1, {hu}, {0x01}, um, umn},
            {"mut_utf16_size", 1 | 8 | 2, 1, {(uint16_t)(hu + 2)}, {0x04}, um, umn},
            {"mut_utf16_method", 1 | 8, 1, {(uint16_t)(hu + 1)}, {0x02}, um, umn},
        };
        for (size_t i = 0; i < sizeof mm / sizeof *mm; i++) {
            uint8_t pre[2 + 9];
            pre[0] = mm[i].mode;
            pre[1] = mm[i].k;
            for (unsigned j = 0; j < mm[i].k; j++) {
                lmz_wr16(pre + 2 + 3 * j, mm[i].off[j]);
                pre[2 + 3 * j + 2] = mm[i].x[j];
            }
            seed("decompress", mm[i].name, pre, 2 + 3 * (size_t)mm[i].k, mm[i].content, mm[i].n);
        }
        seed("roundtrip", "tar_seg_t1", (const uint8_t[]){0}, 1, tar, tn);
        seed("roundtrip", "mail_b64_text_t2", (const uint8_t[]){1}, 1, mail, mn);
        seed("roundtrip", "mail_b64_binary_t1_sliced", (const uint8_t[]){8}, 1, mailb, mbn);
        seed("roundtrip", "tar_seg_small_t2_sliced", (const uint8_t[]){1 | 8}, 1, tm, tmn);
        seed("roundtrip", "utf16le_bom_t1", (const uint8_t[]){0}, 1, u16, un);
        seed("roundtrip", "utf16be_bom_t2_determinism", (const uint8_t[]){1 | 16}, 1, u16be, ubn);
    }

    /* fuzz_segment: cuts of text and binary */
    {
        seed("segment", "tar", NULL, 0, tar, tn);
        seed("segment", "mail_b64_text", NULL, 0, mail, mn);
        seed("segment", "mail_b64_binary", NULL, 0, mailb, mbn);
        seed("segment", "utf16le", NULL, 0, u16, un);
        seed("segment", "empty", NULL, 0, NULL, 0);
        uint8_t *t = text(600), b[2048];
        seed("segment", "text_only", NULL, 0, t, 600);
        /* text with short gaps (kept inside) and long ones (cut) */
        size_t n = 0;
        for (int i = 0; i < 6; i++) {
            memcpy(b + n, t + 100 * i, 100), n += 100;
            const size_t gap = i % 3 == 0 ? 1 : i % 3 == 1 ? SEG_GAP - 1 : SEG_GAP;
            memset(b + n, 0, gap), n += gap;
        }
        seed("segment", "text_with_gaps", NULL, 0, b, n);
        /* a string table: short strings between NULs (binary) */
        n = 0;
        for (int i = 0; i < 60; i++) {
            n += (size_t)snprintf((char *)b + n, 24, "sym_%d_name", i * 7);
            b[n++] = 0;
        }
        seed("segment", "string_table", NULL, 0, b, n);
        seed("segment", "utf8_and_invalid", NULL, 0, k_nasty, sizeof k_nasty - 1);
        uint8_t *rb = random_bytes(700);
        memcpy(rb + 200, t, 300); /* text inside random bytes */
        seed("segment", "random_with_text", NULL, 0, rb, 700);
        free(rb);
        free(t);
    }
    for (int i = 0; i < nf; i++) free(f[i].b);
    free(segp);
    free(u16p);
    free(mail);
    free(mailb);
    free(tar);
    free(tar_s);
    free(u16);
    free(u16be);
    free(u8);
}

/* fuzz_dict: dictionaries (mode 0) and frames that need the fixed one (mode
 * 1); compact frames for fuzz_frame and fuzz_decompress. */
static void seeds_dict(void) {
    const lmz_model *m = fuzz_tiny_model();
    static uint8_t d[1 << 16];
    char *s = NULL;
    size_t sizes[4];
    const size_t ns = fuzz_dict_samples(&s, sizes);
    lmz_train_params tp;
    memset(&tp, 0, sizeof tp);
    tp.max_size = sizeof d;
    tp.threads = 1;
    const size_t dn = lmz_train_dict(m, d, sizeof d, s, sizes, (unsigned)ns, &tp, NULL, 0);
    if (lmz_is_error(dn)) {
        fprintf(stderr, "make_seeds: training failed: %s\n", lmz_error_name(dn));
        exit(1);
    }
    seed("dict", "dict_fixed", (const uint8_t[]){0}, 1, d, dn);
    seed("dict", "dict_truncated", (const uint8_t[]){0}, 1, d, dn / 2);
    tp.max_size = 2048;
    tp.name = "small";
    static uint8_t d2[2048];
    const size_t d2n = lmz_train_dict(m, d2, sizeof d2, s, sizes, (unsigned)ns, &tp, NULL, 0);
    if (!lmz_is_error(d2n)) seed("dict", "dict_small", (const uint8_t[]){0}, 1, d2, d2n);
    size_t err;
    lmz_dict *dict = lmz_dict_load(m, d, dn, &err, NULL, 0);
    if (!dict) {
        fprintf(stderr, "make_seeds: cannot load the dictionary\n");
        exit(1);
    }
    uint8_t *t = text(1500), *f;
    g_dict = dict;
    g_compact = 1;
    size_t fn = compress(s, 1200, &f, -1);
    seed("dict", "frame_compact_dict", (const uint8_t[]){1}, 1, f, fn);
    seed("frame", "raw_compact_dict", (const uint8_t[]){0}, 1, f, fn);
    free(f);
    g_compact = 0;
    fn = compress(s, 5000, &f, -1);
    seed("dict", "frame_v1_dict_2chunks", (const uint8_t[]){1}, 1, f, fn);
    seed("frame", "raw_v1_dict_2chunks", (const uint8_t[]){0}, 1, f, fn);
    free(f);
    g_dict = NULL;
    g_compact = 1;
    fn = compress(t, 1500, &f, -1);
    seed("frame", "raw_compact", (const uint8_t[]){0}, 1, f, fn);
    seed("decompress", "raw_compact", (const uint8_t[]){0}, 1, f, fn);
    seed("dict", "frame_compact_nodict", (const uint8_t[]){1}, 1, f, fn);
    free(f);
    g_compact = 0;
    /* fuzz_decompress MUTATE with compact frames: plain, re-sealed */
    uint8_t pre[5] = {1 | 64 | 16, 1, 12, 0, 0x04};
    seed("decompress", "mut_compact", pre, 5, t, 900);
    pre[0] = 1 | 64 | 8;
    pre[2] = 9;
    seed("decompress", "mut_compact_resealed", pre, 5, t, 900);
    lmz_dict_free(dict);
    free(t);
    free(s);
}

/* ------------------------------------------------------------------------ */
/* fuzz_bpe: small gpt2-style vocabularies                                  */
/* ------------------------------------------------------------------------ */

/* The files are written by tests/fixtures/ggufw.c (metadata only: bpe_init
 * reads no tensors). */

/* GPT-2's byte-level alphabet (bytes_to_unicode() of its encoder.py):
 * printable Latin-1 bytes stand for themselves, the other 68, in byte order,
 * for U+0100.. . Written out here independently of lib/model/bpe.c. */
static int bl_printable(int x) { return (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE; }
static uint32_t bl_char(int byte) {
    uint32_t n = 0;
    for (int x = 0; x < byte; x++) n += !bl_printable(x);
    return bl_printable(byte) ? (uint32_t)byte : 0x100 + n;
}
/* the byte-level text (UTF-8, NUL-terminated, malloc'd) of bytes p[0..n) */
static char *bl_text(const char *p, size_t n) {
    char *o = malloc(2 * n + 1), *q = o;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = bl_char((uint8_t)p[i]);
        if (c < 0x80) *q++ = (char)c;
        else *q++ = (char)(0xC0 | (c >> 6)), *q++ = (char)(0x80 | (c & 0x3F));
    }
    *q = 0;
    return o;
}

/* The merges, as pairs of plain byte strings (the merged token is their
 * concatenation): English words and contractions, digits (joined in threes
 * only by llama-bpe), CR LF, newlines, space runs, multi-byte characters
 * (é, 中, 😀, П), overlapping "aaa", and "<|" (never the control token). */
static const char *const k_bpe_merges[][2] = {
    {" ", "t"},     {"h", "e"},         {" t", "he"},  {"i", "n"},   {"in", "g"},        {"e", "r"},
    {"o", "n"},     {" ", "a"},         {" a", "n"},   {" an", "d"}, {"a", "t"},         {" ", "c"},
    {" c", "at"},   {" ", "s"},         {" s", "at"},  {" ", "o"},   {" o", "n"},        {"'", "s"},
    {"l", "l"},     {"'", "ll"},        {"1", "2"},    {"12", "3"},  {"\n", "\n"},       {"\r", "\n"},
    {" ", " "},     {"  ", "  "},       {"\xC3", "\xA9"}, {"c", "a"}, {"ca", "f"},       {"caf", "\xC3\xA9"},
    {"\xE4", "\xB8"}, {"\xE4\xB8", "\xAD"}, {"\xF0", "\x9F"}, {"\xF0\x9F", "\x98"}, {"\xF0\x9F\x98", "\x80"},
    {"\xD0", "\x9F"}, {"a", "a"},       {"aa", "a"},   {"<", "|"},   {"I", "t"},         {"w", "e"},
    {"a", "p"},     {"ap", "p"},        {"l", "e"},    {"app", "le"}, {"apple", "s"},    {" ", "apples"},
};
#define N_BPE_MERGES (sizeof k_bpe_merges / sizeof k_bpe_merges[0])

enum { SP_QWEN, SP_LLAMA, SP_ALL }; /* which special tokens follow the merged ones */
typedef struct {
    const char *pre;   /* tokenizer.ggml.pre */
    int specials;      /* SP_* */
    int types;         /* 0: no tokenizer.ggml.token_type (all normal) */
    int add_bos;       /* -1: key absent */
    uint32_t bos_type; /* 0: no bos_token_id, else GGUF_T_U32 / GGUF_T_I32 */
    int drop_byte;     /* -1, or a byte whose single-byte token is left out */
} bpe_vocab_opts;

static uint8_t *bpe_vocab(const bpe_vocab_opts *o, size_t *size) {
    enum { CAP = 256 + N_BPE_MERGES + 8 };
    char *tok[CAP], *mer[N_BPE_MERGES];
    int32_t type[CAP];
    size_t nt = 0;
    /* the byte tokens in GPT-2's order: printable bytes first, then the rest */
    for (int pass = 0; pass < 2; pass++)
        for (int x = 0; x < 256; x++)
            if (bl_printable(x) == !pass && x != o->drop_byte) {
                char c = (char)x;
                type[nt] = 1;
                tok[nt++] = bl_text(&c, 1);
            }
    for (size_t m = 0; m < N_BPE_MERGES; m++) {
        const char *l = k_bpe_merges[m][0], *r = k_bpe_merges[m][1];
        char *bl = bl_text(l, strlen(l)), *br = bl_text(r, strlen(r)), cat[64];
        size_t ll = strlen(bl), rl = strlen(br);
        mer[m] = malloc(ll + rl + 2);
        snprintf(mer[m], ll + rl + 2, "%s %s", bl, br);
        snprintf(cat, sizeof cat, "%s%s", l, r);
        char *merged = bl_text(cat, strlen(cat));
        int have_l = 0, have_r = 0, dup = 0;
        for (size_t i = 0; i < nt; i++) {
            have_l |= !strcmp(tok[i], bl);
            have_r |= !strcmp(tok[i], br);
            dup |= !strcmp(tok[i], merged);
        }
        if (!have_l || !have_r || dup) {
            fprintf(stderr, "make_seeds: bpe merge %zu '%s': a side is no token, or the result is one\n", m, mer[m]);
            exit(1);
        }
        type[nt] = 1;
        tok[nt++] = merged;
        free(bl);
        free(br);
    }
    static const struct {
        const char *text;
        int type, in[3]; /* in: SP_QWEN, SP_LLAMA, SP_ALL */
    } sp[] = {
        {"<|endoftext|>", 3, {1, 0, 1}},     {"<|begin_of_text|>", 3, {0, 1, 1}}, {"<|end_of_text|>", 3, {0, 1, 0}},
        {"<think>", 4, {1, 0, 1}},           {"</think>", 4, {1, 0, 1}},          {"<|unk|>", 2, {0, 0, 1}},
        {"<|reserved_0|>", 5, {0, 1, 1}},
    };
    int32_t bos = -1;
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        if (!sp[i].in[o->specials]) continue;
        if (bos < 0 && (!strcmp(sp[i].text, "<|endoftext|>") || !strcmp(sp[i].text, "<|begin_of_text|>")))
            bos = (int32_t)nt;
        type[nt] = sp[i].type;
        tok[nt] = malloc(strlen(sp[i].text) + 1);
        strcpy(tok[nt++], sp[i].text);
    }
    /* the text the fuzz target appends (the input's last bytes): multi-script,
     * a user-defined and a control token, a stray 0xFF and a cut 0xE4 */
    static const char desc[] = "gpt2-style test vocabulary: It's the cat's caf\xc3\xa9, 12345 apples\r\n"
                               "\xe4\xb8\xad \xf0\x9f\x98\x80 \xd0\x9f aaaa <think>x</think><|endoftext|> \xff\xe4\xb8";
    ggufw w = {0};
    ggufw_kv_str(&w, "general.name", "lmz fuzz vocabulary", 19);
    ggufw_kv_str(&w, "tokenizer.ggml.model", "gpt2", 4);
    ggufw_kv_str(&w, "tokenizer.ggml.pre", o->pre, strlen(o->pre));
    ggufw_kv_strs(&w, "tokenizer.ggml.tokens", tok, nt);
    if (o->types) ggufw_kv_i32s(&w, "tokenizer.ggml.token_type", type, nt);
    ggufw_kv_strs(&w, "tokenizer.ggml.merges", mer, N_BPE_MERGES);
    if (o->bos_type) ggufw_kv_u32(&w, "tokenizer.ggml.bos_token_id", o->bos_type, (uint32_t)bos);
    if (o->add_bos >= 0) ggufw_kv_bool(&w, "tokenizer.ggml.add_bos_token", o->add_bos);
    ggufw_kv_str(&w, "general.description", desc, sizeof desc - 1);
    for (size_t i = 0; i < nt; i++) free(tok[i]);
    for (size_t m = 0; m < N_BPE_MERGES; m++) free(mer[m]);
    return ggufw_file(&w, size);
}

/* fuzz_bpe: vocabularies for each pre-tokenizer (and two aliases), with and
 * without token types, BOS as u32 / i32 / absent, add_bos_token true / false
 * / absent; and two that bpe_init refuses. */
static void seeds_bpe(void) {
    static const struct {
        const char *name;
        bpe_vocab_opts o;
    } v[] = {
        {"qwen2", {"qwen2", SP_QWEN, 1, 0, GGUF_T_U32, -1}},
        {"qwen2_alias_all_types", {"deepseek-r1-qwen", SP_ALL, 1, 0, GGUF_T_I32, -1}},
        {"llama_bpe_add_bos", {"llama-bpe", SP_LLAMA, 1, 1, GGUF_T_U32, -1}},
        {"llama3_alias_default_bos", {"llama3", SP_LLAMA, 1, -1, GGUF_T_U32, -1}},
        {"gpt2_no_types", {"gpt-2", SP_QWEN, 0, -1, GGUF_T_U32, -1}},
        {"smollm_no_bos", {"smollm", SP_QWEN, 1, 0, 0, -1}},
        {"reject_pre_default", {"default", SP_QWEN, 1, 0, GGUF_T_U32, -1}},
        {"reject_no_byte_0x7f", {"qwen2", SP_QWEN, 1, 0, GGUF_T_U32, 0x7F}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n;
        uint8_t *f = bpe_vocab(&v[i].o, &n);
        seed("bpe", v[i].name, NULL, 0, f, n);
        free(f);
    }
}

int main(int argc, char **argv) {
    g_dir = argc > 1 ? argv[1] : LMZ_SRC "/tests/fuzz/corpus";
    mkdir_p(g_dir);
    seeds_frame_and_decompress();
    seeds_gguf();
    seeds_tokenizer();
    seeds_roundtrip();
    seeds_lossy();
    seeds_layouts();
    seeds_dict();
    seeds_bpe();
    printf("make_seeds: %d files written under %s\n", g_files, g_dir);
    return 0;
}
