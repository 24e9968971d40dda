/*
 * tests/roundtrip/test_codec.c — the codec end to end with tiny generated
 * models (fast): round trips, determinism across threads and buffer slicing,
 * concatenated frames, wrong model, memory limit, and every truncation and
 * bit flip of a small frame (each rejected, or — where a flip lands in bits
 * the decoder never needs — decoded to the exact original: never wrong output);
 * the `seg` and `utf16` chunk methods (5, 6) on a tar made here and on
 * UTF-16 text (both byte orders, with and without BOM, surrogate pairs at
 * chunk cuts, CJK; unpaired surrogates and odd lengths falling back), their
 * layouts (lmz_chunk_layout) and their output across threads and slicing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/common.h"
#include "compress/segment.h"
#include "format/frame.h"
#include "lmz.h"
#include "lmz_frame_info.h"
#include "fixtures/tinymodel.h"

static uint64_t rng = 12345;
static uint32_t rnd(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static uint8_t *g_bufs[2];
static int g_nbufs;
static lmz_model *tiny(uint32_t seed) {
    uint8_t *buf;
    size_t n, err;
    char msg[256];
    if (tinymodel_build(seed, NULL, &buf, &n)) return NULL;
    lmz_model *m = lmz_model_load_buffer(buf, n, &err, msg, sizeof msg);
    if (!m) fprintf(stderr, "tiny model: %s\n", msg);
    g_bufs[g_nbufs++] = buf; /* must outlive the model: freed at the end */
    return m;
}

/* English-like text with numbers and punctuation. */
static size_t make_text(uint8_t *dst, size_t n) {
    static const char *w[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran", "away", "from",
                              "Alice", "who", "was", "not", "very", "happy", "1865", "--", "said", "\"yes\","};
    size_t p = 0;
    while (p < n) {
        const char *s = w[rnd() % (sizeof w / sizeof *w)];
        size_t l = strlen(s);
        for (size_t i = 0; i < l && p < n; i++) dst[p++] = (uint8_t)s[i];
        if (p < n) dst[p++] = rnd() % 11 == 0 ? '\n' : ' ';
    }
    return n;
}

static int g_fallback = -1;
static size_t compress_with(const lmz_model *m, const uint8_t *src, size_t n, uint8_t **out, int threads,
                            uint32_t chunk) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = threads;
    p.chunk_size = chunk;
    p.fallback = g_fallback;
    size_t cap = lmz_compress_bound(n);
    *out = malloc(cap);
    return lmz_compress(m, *out, cap, src, n, &p);
}

static int roundtrip(const lmz_model *m, const uint8_t *src, size_t n, uint32_t chunk, const char *what) {
    uint8_t *c;
    size_t cs = compress_with(m, src, n, &c, 2, chunk);
    CHECK(!lmz_is_error(cs), "%s: compress failed: %s", what, lmz_error_name(cs));
    if (lmz_is_error(cs)) return 0;
    CHECK(cs <= lmz_compress_bound(n), "%s: compressed %zu > bound", what, cs);
    uint8_t *d = malloc(n + 1);
    size_t ds = lmz_decompress(m, d, n + 1, c, cs, NULL);
    CHECK(ds == n && (n == 0 || !memcmp(d, src, n)), "%s: round trip failed (%s)", what,
          lmz_is_error(ds) ? lmz_error_name(ds) : "wrong bytes");
    CHECK(lmz_decompressed_size(c, cs) == n, "%s: decompressed_size", what);
    printf("  %-28s %8zu -> %8zu bytes\n", what, n, cs);
    free(c);
    free(d);
    return 1;
}

/* ======================================================================== */
/* seg and utf16 chunks (methods 5 and 6)                                    */
/* ======================================================================== */

/* A chunk of a compressed stream: its table entry, its frame's flags, its
 * payload, where its bytes are in the input. */
typedef struct {
    lmz_chunk_info_t ci;
    unsigned flags;
    const uint8_t *payload;
    size_t at;
} chunk_at;

/* The chunks of the frames c[0..cs), in order, into out[0..cap); their
 * number, -1 when a frame does not parse. */
static int chunks_of(const uint8_t *c, size_t cs, chunk_at *out, int cap) {
    size_t pos = 0, raw = 0;
    int k = 0;
    while (pos < cs) {
        lmz_frame_info_t fi;
        lmz_chunk_info_t ch[64];
        if (lmz_is_error(lmz_frame_info(c + pos, cs - pos, &fi)) || fi.frame_size > cs - pos) return -1;
        size_t nc = lmz_frame_chunks(c + pos, cs - pos, ch, 64);
        if (lmz_is_error(nc) || nc > 64) return -1;
        for (size_t i = 0; i < nc; i++) {
            if (k < cap) out[k] = (chunk_at){ch[i], fi.flags, c + pos + ch[i].offset, raw};
            k++;
            raw += ch[i].raw_size;
        }
        pos += fi.frame_size;
    }
    return k < cap ? k : cap;
}

/* src[0..n) compressed with chunk size chunk at -T2 (*size bytes, returned,
 * caller frees; NULL on failure) and decoded back to src. With all: also at
 * -T1 and -T4 and streamed in odd pieces into odd output windows, the same
 * bytes each time, and decoded streamed in pieces of 1..13 bytes. */
static uint8_t *codec_ways(const lmz_model *m, const uint8_t *src, size_t n, uint32_t chunk, int all,
                           const char *what, size_t *size) {
    uint8_t *c2;
    size_t s2 = compress_with(m, src, n, &c2, 2, chunk);
    CHECK(!lmz_is_error(s2), "%s: compress failed: %s", what, lmz_error_name(s2));
    if (lmz_is_error(s2)) {
        free(c2);
        return NULL;
    }
    uint8_t *d = malloc(n + 1);
    size_t ds = lmz_decompress(m, d, n + 1, c2, s2, NULL);
    CHECK(ds == n && !memcmp(d, src, n), "%s: round trip failed (%s)", what,
          lmz_is_error(ds) ? lmz_error_name(ds) : "wrong bytes");
    if (all) {
        int same = 1;
        for (int t = 1; t <= 4; t *= 4) {
            uint8_t *ct;
            size_t st = compress_with(m, src, n, &ct, t, chunk);
            same &= st == s2 && !memcmp(ct, c2, s2);
            free(ct);
        }
        CHECK(same, "%s: output differs across -T1/-T2/-T4", what);
        /* streamed in odd pieces */
        lmz_params p;
        lmz_params_default(&p);
        p.threads = 2;
        p.chunk_size = chunk;
        lmz_cstream *cs = lmz_cstream_create(m, &p);
        const size_t cap = lmz_compress_bound(n) + 4096;
        uint8_t *sc = malloc(cap);
        size_t ip = 0, op = 0, r = 0;
        do {
            size_t ik = rnd() % 4 == 0 ? 1 + rnd() % 7 : 1 + rnd() % 5001, ok = 1 + rnd() % 701;
            if (ik > n - ip) ik = n - ip;
            if (ok > cap - op) ok = cap - op;
            lmz_in_buffer in = {src + ip, ik, 0};
            lmz_out_buffer out = {sc + op, ok, 0};
            r = lmz_compress_stream(cs, &out, &in, ip + ik == n ? LMZ_e_end : LMZ_e_continue);
            ip += in.pos;
            op += out.pos;
        } while (!lmz_is_error(r) && (r != 0 || ip < n) && op < cap);
        CHECK(!lmz_is_error(r) && op == s2 && !memcmp(sc, c2, s2),
              "%s: streamed output differs from one shot (%zu vs %zu)", what, op, s2);
        lmz_cstream_free(cs);
        free(sc);
        /* decoded in pieces */
        lmz_dstream *dz = lmz_dstream_create(m, NULL);
        memset(d, 0, n + 1);
        ip = op = 0;
        do {
            size_t ik = 1 + rnd() % 13;
            if (ik > s2 - ip) ik = s2 - ip;
            lmz_in_buffer in = {c2 + ip, ik, 0};
            lmz_out_buffer out = {d + op, n + 1 - op < 977 ? n + 1 - op : 977, 0};
            r = lmz_decompress_stream(dz, &out, &in);
            ip += in.pos;
            op += out.pos;
        } while (!lmz_is_error(r) && (ip < s2 || r != 0));
        CHECK(!lmz_is_error(r) && op == n && !memcmp(d, src, n), "%s: sliced decoding failed (%s)", what,
              lmz_is_error(r) ? lmz_error_name(r) : "wrong bytes");
        lmz_dstream_free(dz);
    }
    free(d);
    *size = s2;
    return c2;
}

/* Methods of the chunks, "5 2 2 5 ...", for messages. */
static const char *methods_str(const chunk_at *ch, int nc) {
    static char out[256];
    size_t w = 0;
    out[0] = 0;
    for (int i = 0; i < nc && w + 8 < sizeof out; i++)
        w += (size_t)snprintf(out + w, sizeof out - w, "%s%u", i ? " " : "", ch[i].ci.method);
    return out;
}

/* Frames flag LMZ_FRAME_FLAG_EXT exactly when a chunk of theirs is of method 5 or 6. */
static void check_ext_flags(const uint8_t *c, size_t cs, const char *what) {
    size_t pos = 0;
    int ok = 1;
    while (pos < cs && ok) {
        lmz_frame_info_t fi;
        lmz_chunk_info_t ch[64];
        ok = !lmz_is_error(lmz_frame_info(c + pos, cs - pos, &fi));
        size_t nc = ok ? lmz_frame_chunks(c + pos, cs - pos, ch, 64) : 0;
        int ext = 0;
        for (size_t i = 0; ok && i < nc && i < 64; i++) ext |= ch[i].method >= LMZ_METHOD_SEG;
        ok = ok && !!(fi.flags & LMZ_FRAME_FLAG_EXT) == ext;
        pos += ok ? fi.frame_size : 0;
    }
    CHECK(ok, "%s: a frame's EXT flag does not match its chunks' methods", what);
}

/* One ustar-like header: fields NUL-padded, octal numbers, checksum. */
static void tar_header(uint8_t *h, const char *name, size_t size) {
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0001750", 7);
    memcpy(h + 116, "0001750", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
    memcpy(h + 136, "14567012345", 11);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "user", 4);
    memcpy(h + 297, "users", 5);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 7, "%06o", sum);
    h[155] = ' ';
}

/* A tar of text files (bodies of 300..1500 bytes, NUL-padded) with a
 * 6000-byte random file among them: `seg` chunks where text and binary
 * meet, the random file a classical chunk of its own. */
static void test_seg_tar(const lmz_model *m) {
    const size_t cap = 120000;
    uint8_t *tar = calloc(cap, 1);
    size_t n = 0, blob_at = 0;
    const size_t blob_len = 6000;
    for (int f = 0; f < 24; f++) {
        char name[64];
        size_t len = f == 12 ? blob_len : 300 + rnd() % 1200;
        snprintf(name, sizeof name, f == 12 ? "data/blob-%02d.bin" : "docs/chapter-%02d.txt", f);
        tar_header(tar + n, name, len);
        n += 512;
        if (f == 12) {
            blob_at = n;
            for (size_t i = 0; i < len; i++) tar[n + i] = (uint8_t)rnd();
        } else {
            make_text(tar + n, len);
            tar[n + len - 1] = '\n';
        }
        n += (len + 511) / 512 * 512; /* calloc'd: the padding is NUL */
    }
    n += 1024;
    size_t cs;
    uint8_t *c = codec_ways(m, tar, n, 4096, 1, "tar", &cs);
    if (c) {
        chunk_at ch[64];
        int nc = chunks_of(c, cs, ch, 64), segs = 0, blob_chunk = 0;
        CHECK(nc > 1, "tar: %d chunks", nc);
        check_ext_flags(c, cs, "tar");
        for (int i = 0; i < nc; i++) {
            const lmz_chunk_info_t *ci = &ch[i].ci;
            if (ci->method == LMZ_METHOD_SEG) {
                segs++;
                CHECK(ch[i].flags & LMZ_FRAME_FLAG_EXT, "tar: seg chunk %d in a frame without the EXT flag", i);
                lmz_chunk_layout_t L;
                memset(&L, 0, sizeof L);
                size_t r = lmz_chunk_layout(ch[i].payload, ci->coded_size, ci, &L);
                /* the runs segment_runs finds in the chunk's bytes: text part, binary part */
                seg_run *runs = malloc(seg_runs_max(ci->raw_size) * sizeof *runs);
                size_t text = 0, b64 = 0;
                uint32_t nr = runs ? segment_runs(tar + ch[i].at, ci->raw_size, runs, &text, &b64) : 0;
                free(runs);
                int ok = !lmz_is_error(r) && L.n_parts == 2 && L.base64_runs == 0 && L.n_runs == nr && nr >= 2 &&
                         L.part_raw[0] == text && L.part_raw[0] + L.part_raw[1] == ci->raw_size &&
                         L.part_method[0] < LMZ_METHOD_SEG && L.part_method[1] < LMZ_METHOD_SEG &&
                         L.part_method[1] != LMZ_METHOD_LM && L.part_method[1] != LMZ_METHOD_LM_MIX &&
                         L.part_coded[0] + L.part_coded[1] < ci->coded_size;
                CHECK(ok, "tar: seg chunk %d (%u bytes at %zu): layout %s, %u runs (want %u), text %u + binary %u "
                      "(want %zu text), methods %u %u",
                      i, ci->raw_size, ch[i].at, lmz_is_error(r) ? lmz_error_name(r) : "ok", L.n_runs, nr,
                      L.part_raw[0], L.part_raw[1], text, L.part_method[0], L.part_method[1]);
            }
            if (ch[i].at <= blob_at && ch[i].at + ci->raw_size >= blob_at + blob_len) {
                /* the random file's chunk (longer than the chunk size: the frame was cut along its runs): its
                 * own (only the headers and padding around it), classical */
                blob_chunk = ch[i].at + 1024 >= blob_at && ch[i].at + ci->raw_size <= blob_at + blob_len + 1024 &&
                             ci->method <= LMZ_METHOD_XZ && ci->method != LMZ_METHOD_LM;
                CHECK(blob_chunk, "tar: the 6000-byte random file is in chunk %d (%u bytes at %zu, method %u)", i,
                      ci->raw_size, ch[i].at, ci->method);
            }
        }
        CHECK(segs >= 1, "tar: no seg chunk (methods %s)", methods_str(ch, nc));
        CHECK(blob_chunk, "tar: the random file has no chunk of its own");
        printf("  %-28s %8zu -> %8zu bytes, %d chunks (%s), %d seg\n", "tar + 6000 B random file", n, cs, nc,
               methods_str(ch, nc), segs);
        free(c);
    }
    free(tar);
}

/* text as UTF-16 (be: big-endian), with a BOM when bom; returns the bytes. */
static size_t to_utf16(const uint8_t *text, size_t n, int be, int bom, uint8_t *dst) {
    size_t k = 0;
    if (bom) {
        dst[k++] = be ? 0xFE : 0xFF;
        dst[k++] = be ? 0xFF : 0xFE;
    }
    return k + lmz_utf8_to_utf16(text, n, be, dst + k, 4 * n);
}

/* Every chunk of src's frames c is `utf16` of byte order be: its UTF-8 form
 * that of the chunk's bytes, a part of a plain method. first_u8: the first
 * chunk's UTF-8 size, when not 0. The last chunk may be classical instead,
 * when it is short (a compressor keeps the smaller of `utf16` and the
 * classical methods on the UTF-16 bytes). Returns the chunks. */
static int check_utf16(const uint8_t *src, const uint8_t *c, size_t cs, int be, size_t first_u8, const char *what) {
    chunk_at ch[64];
    int nc = chunks_of(c, cs, ch, 64), ok = nc > 0;
    uint8_t *u8 = malloc(3 * 65536);
    for (int i = 0; i < nc && ok && u8; i++) {
        const lmz_chunk_info_t *ci = &ch[i].ci;
        if (i == nc - 1 && i > 0 && ci->raw_size < 1024 && ci->method < LMZ_METHOD_SEG) continue;
        lmz_chunk_layout_t L;
        memset(&L, 0, sizeof L);
        size_t r = ci->method == LMZ_METHOD_UTF16 ? lmz_chunk_layout(ch[i].payload, ci->coded_size, ci, &L) : 1;
        size_t u = ci->raw_size <= 2 * 65536 ? lmz_utf16_to_utf8(src + ch[i].at, ci->raw_size, be, u8, 3 * 65536)
                                             : LMZ_UTF16_BAD;
        ok = r == 0 && (ch[i].flags & LMZ_FRAME_FLAG_EXT) && L.n_parts == 1 && L.utf16_order == (unsigned)be &&
             L.part_method[0] < LMZ_METHOD_SEG && u != LMZ_UTF16_BAD && L.part_raw[0] == u &&
             (i > 0 || !first_u8 || u == first_u8);
        CHECK(ok, "%s: chunk %d (%u bytes at %zu): method %u, order %u, UTF-8 %u bytes (the chunk's: %ld%s)", what, i,
              ci->raw_size, ch[i].at, ci->method, L.utf16_order, L.part_raw[0], u == LMZ_UTF16_BAD ? -1L : (long)u,
              i == 0 && first_u8 ? ", first chunk's expected" : "");
    }
    free(u8);
    return nc;
}

static void test_utf16(const lmz_model *m, const uint8_t *text) {
    const size_t n8 = 6000; /* ASCII text: 12 KB of UTF-16, two chunks of 4 KiB in UTF-8 */
    uint8_t *u = malloc(4 * 70000 + 16), *t8 = malloc(4 * 40000);
    size_t cs;
    static const struct {
        int be, bom, all;
        const char *what;
    } asc[] = {{0, 1, 1, "UTF-16LE, BOM"},
               {1, 1, 0, "UTF-16BE, BOM"},
               {0, 0, 0, "UTF-16LE, no BOM"},
               {1, 0, 0, "UTF-16BE, no BOM"}};
    for (size_t k = 0; k < sizeof asc / sizeof *asc; k++) {
        size_t n = to_utf16(text, n8, asc[k].be, asc[k].bom, u);
        uint8_t *c = codec_ways(m, u, n, 4096, asc[k].all, asc[k].what, &cs);
        if (!c) continue;
        int nc = check_utf16(u, c, cs, asc[k].be, 0, asc[k].what);
        CHECK(nc >= 2, "%s: %d chunks", asc[k].what, nc);
        printf("  %-28s %8zu -> %8zu bytes, %d utf16 chunks\n", asc[k].what, n, cs, nc);
        free(c);
    }

    /* emoji (surrogate pairs) where the chunks are cut: "ab" and emoji only,
     * no line break or space, so the cut at 4096 UTF-8 bytes falls inside
     * one and moves back to its start */
    {
        size_t n8e = 0;
        t8[n8e++] = 'a';
        t8[n8e++] = 'b';
        for (int i = 0; i < 3000; i++) {
            const uint32_t cp = 0x1F600 + rnd() % 64; /* F0 9F 98 80.. */
            t8[n8e++] = 0xF0;
            t8[n8e++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            t8[n8e++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            t8[n8e++] = (uint8_t)(0x80 | (cp & 0x3F));
        }
        size_t n = to_utf16(t8, n8e, 0, 1, u);
        uint8_t *c = codec_ways(m, u, n, 4096, 1, "UTF-16LE emoji at cuts", &cs);
        if (c) {
            /* BOM (3 UTF-8 bytes) + "ab" + emoji of 4: the first cut at 4096 - (4096 - 5) % 4 */
            int nc = check_utf16(u, c, cs, 0, 4096 - (4096 - 5) % 4, "UTF-16LE emoji at cuts");
            CHECK(nc >= 3, "emoji: %d chunks", nc);
            printf("  %-28s %8zu -> %8zu bytes, %d utf16 chunks\n", "UTF-16LE emoji at cuts", n, cs, nc);
            free(c);
        }
        /* and mixed with text: emoji every few words */
        size_t n8m = 0;
        for (size_t i = 0; i < n8; i++) {
            t8[n8m++] = text[i];
            if (i % 23 == 0) {
                memcpy(t8 + n8m, "\xF0\x9F\x98\x80", 4);
                n8m += 4;
            }
        }
        n = to_utf16(t8, n8m, 1, 1, u);
        c = codec_ways(m, u, n, 4096, 0, "UTF-16BE text + emoji", &cs);
        if (c) {
            int nc = check_utf16(u, c, cs, 1, 0, "UTF-16BE text + emoji");
            printf("  %-28s %8zu -> %8zu bytes, %d utf16 chunks\n", "UTF-16BE text + emoji", n, cs, nc);
            free(c);
        }
    }

    /* CJK with a BOM: 3-byte UTF-8 characters, no spaces: cuts inside characters move back */
    {
        size_t n8c = 0;
        for (int i = 0; i < 3000; i++) {
            const uint32_t cp = i % 17 == 16 ? 0x3002 : 0x4E00 + rnd() % 400;
            t8[n8c++] = (uint8_t)(0xE0 | (cp >> 12));
            t8[n8c++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            t8[n8c++] = (uint8_t)(0x80 | (cp & 0x3F));
        }
        size_t n = to_utf16(t8, n8c, 0, 1, u);
        uint8_t *c = codec_ways(m, u, n, 4096, 1, "UTF-16LE CJK, BOM", &cs);
        if (c) {
            /* BOM + CJK of 3: the first cut at 4096 - (4096 - 3) % 3 */
            int nc = check_utf16(u, c, cs, 0, 4096 - (4096 - 3) % 3, "UTF-16LE CJK, BOM");
            CHECK(nc >= 2, "CJK: %d chunks", nc);
            printf("  %-28s %8zu -> %8zu bytes, %d utf16 chunks\n", "UTF-16LE CJK, BOM", n, cs, nc);
            free(c);
        }
    }

    /* CJK over more than one frame (24 chunks' worth of UTF-8 for 16 a frame): round trips; the frames after
     * the first hold no BOM */
    {
        size_t n = 0;
        u[n++] = 0xFF;
        u[n++] = 0xFE;
        for (int i = 0; i < 30000; i++) {
            const uint32_t cp = i % 17 == 16 ? 0x3002 : 0x4E00 + rnd() % 400;
            u[n++] = (uint8_t)cp;
            u[n++] = (uint8_t)(cp >> 8);
        }
        uint8_t *c = codec_ways(m, u, n, 4096, 0, "UTF-16LE CJK, 2 frames", &cs);
        if (c) {
            chunk_at ch[64];
            int nc = chunks_of(c, cs, ch, 64);
            CHECK(nc > 16 && ch[0].ci.method == LMZ_METHOD_UTF16, "CJK, 2 frames: %d chunks, the first of method %u",
                  nc, nc > 0 ? ch[0].ci.method : 0);
            printf("  %-36s %8zu -> %8zu bytes, methods %s\n", "UTF-16LE CJK, BOM, 2 frames", n, cs,
                   methods_str(ch, nc));
            free(c);
        }
    }

    /* not exactly UTF-16: round trips by the other methods, no utf16 chunk */
    {
        struct { size_t at; uint32_t unit; int len_delta; const char *what; } bad[] = {
            {3001, 0xD800, 0, "UTF-16LE, unpaired high surrogate"},
            {4000, 0xDC00, 0, "UTF-16LE, unpaired low surrogate"},
            {0, 0xD83D, 0, "UTF-16LE, high surrogate at the end"},
            {0, 0, 1, "UTF-16LE, odd length"},
        };
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            size_t n = to_utf16(text, n8, 0, 1, u);
            if (bad[k].unit && bad[k].at) { /* replaces the code unit at that character */
                u[2 * bad[k].at] = (uint8_t)bad[k].unit;
                u[2 * bad[k].at + 1] = (uint8_t)(bad[k].unit >> 8);
            } else if (bad[k].unit) {
                u[n++] = (uint8_t)bad[k].unit;
                u[n++] = (uint8_t)(bad[k].unit >> 8);
            }
            if (bad[k].len_delta) u[n++] = 'x';
            uint8_t *c = codec_ways(m, u, n, 4096, 0, bad[k].what, &cs);
            if (!c) continue;
            chunk_at ch[64];
            int nc = chunks_of(c, cs, ch, 64), utf = 0;
            for (int i = 0; i < nc; i++) utf += ch[i].ci.method == LMZ_METHOD_UTF16;
            CHECK(nc > 0 && utf == 0, "%s: %d utf16 chunks", bad[k].what, utf);
            printf("  %-36s %8zu -> %8zu bytes, methods %s\n", bad[k].what, n, cs, methods_str(ch, nc));
            free(c);
        }
    }

    /* a surrogate pair across the frame boundary (16 chunks of 4 KiB = 64 KiB
     * of input per frame): round trips */
    {
        const size_t n8b = 34000;
        uint8_t *tb = malloc(n8b + 8);
        make_text(tb, n8b);
        for (size_t i = 0; i < n8b; i++) tb[i] = tb[i] == '\n' ? ' ' : tb[i];
        size_t n = to_utf16(tb, n8b, 0, 1, u);
        /* the unit at byte 65534 (the frame's last) a high surrogate, its low one the next frame's first */
        u[65534] = 0x3D, u[65535] = 0xD8, u[65536] = 0x00, u[65537] = 0xDE;
        uint8_t *c = codec_ways(m, u, n, 4096, 0, "UTF-16LE pair across frames", &cs);
        if (c) {
            chunk_at ch[64];
            int nc = chunks_of(c, cs, ch, 64);
            printf("  %-36s %8zu -> %8zu bytes, methods %s\n", "UTF-16LE, pair across frames", n, cs,
                   methods_str(ch, nc));
            free(c);
        }
        free(tb);
    }
    free(u);
    free(t8);
}

/* The embedded default model's SHA-256 is written at build time, not
 * computed at load: it must be the hash of the bytes embedded, and of the
 * project's model file. */
extern const unsigned char lmz_default_model_data[];
extern const unsigned char lmz_default_model_end[];
static void test_default_model_hash(void) {
    size_t err = 0;
    char msg[256] = "";
    lmz_model *d = lmz_model_load_default(&err);
    lmz_model *f = lmz_model_load_file(LMZ_SRC "/models/lmz-base.gguf", &err, msg, sizeof msg);
    CHECK(d && f, "default and file models load: %s", msg);
    if (d && f) {
        uint8_t hd[32], hf[32], he[32];
        lmz_model_sha256(d, hd);
        lmz_model_sha256(f, hf);
        lmz_sha256 sh;
        lmz_sha256_init(&sh);
        lmz_sha256_update(&sh, lmz_default_model_data, (size_t)(lmz_default_model_end - lmz_default_model_data));
        lmz_sha256_final(&sh, he);
        CHECK(memcmp(hd, he, 32) == 0, "default model: recorded SHA-256 is the embedded bytes' hash");
        CHECK(memcmp(hd, hf, 32) == 0, "default model: same SHA-256 as models/lmz-base.gguf");
        /* compact frames v3 name lmz-base by a descriptor bit (doc/format.md
         * §2.3): the format's constant is this model's hash (a new default
         * model needs a new descriptor value, not a new hash here) */
        CHECK(memcmp(hd, frame_known_model, 32) == 0, "frame_known_model is the default model's SHA-256");
        /* and it codes: a frame made with one decodes with the other */
        static const char txt[] = "The default model and its file are the same model.";
        uint8_t fr[512];
        char back[64];
        size_t n = lmz_compress(d, fr, sizeof fr, txt, sizeof txt - 1, NULL);
        size_t r = lmz_is_error(n) ? n : lmz_decompress(f, back, sizeof back, fr, n, NULL);
        CHECK(r == sizeof txt - 1 && memcmp(back, txt, r) == 0, "default model frame decoded with the file model: %s",
              lmz_is_error(r) ? lmz_error_name(r) : "ok");
    }
    lmz_model_free(d);
    lmz_model_free(f);
}

int main(void) {
    test_default_model_hash();
    lmz_model *m = tiny(1), *m2 = tiny(2);
    CHECK(m && m2, "tiny models load");
    if (!m || !m2) return check_done("test_codec");

    /* ---- round trips ------------------------------------------------------ */
    printf("round trips (tiny model):\n");
    size_t N = 300000;
    uint8_t *text = malloc(N), *bin = malloc(N);
    make_text(text, N);
    for (size_t i = 0; i < N; i++) bin[i] = (uint8_t)rnd();
    roundtrip(m, text, 0, 0, "empty");
    roundtrip(m, text, 1, 0, "1 byte");
    roundtrip(m, text, 2000, 0, "2000 bytes text");
    roundtrip(m, text, N, 4096, "300 KB text, 4 KiB chunks");
    roundtrip(m, bin, 20000, 0, "20 KB random bytes");
    uint8_t all[512];
    for (int i = 0; i < 512; i++) all[i] = (uint8_t)(i < 256 ? i : 511 - i);
    roundtrip(m, all, 512, 0, "all byte values");
    static const char nasty[] = "\xe2\x96\x81 U+2581 \xef\xbf\xbd \x80\xbf lone \xc3 \xed\xa0\x80 surrogate \0 NUL";
    roundtrip(m, (const uint8_t *)nasty, sizeof nasty - 1, 0, "U+2581 / invalid UTF-8");

    /* ---- determinism: threads and buffer slicing --------------------------- */
    {
        uint8_t *c1, *c2, *c4;
        size_t s1 = compress_with(m, text, 50000, &c1, 1, 4096);
        size_t s2 = compress_with(m, text, 50000, &c2, 2, 4096);
        size_t s4 = compress_with(m, text, 50000, &c4, 4, 4096);
        CHECK(s1 == s2 && s1 == s4 && !memcmp(c1, c2, s1) && !memcmp(c1, c4, s1), "output differs across -T1/-T2/-T4");
        /* streaming with odd buffer sizes gives the same bytes */
        lmz_cstream *cs = lmz_cstream_create(m, &(lmz_params){.threads = 2, .chunk_size = 4096, .mix = -1, .fallback = -1});
        const size_t sc_cap = s1 + 100000;
        uint8_t *sc = malloc(sc_cap);
        size_t ip = 0, op = 0, r;
        do {
            size_t ik = 1 + rnd() % 3000, ok = 1 + rnd() % 700;
            if (ip + ik > 50000) ik = 50000 - ip;
            lmz_in_buffer in = {text + ip, ik, 0};
            lmz_out_buffer out = {sc + op, ok, 0};
            r = lmz_compress_stream(cs, &out, &in, ip + ik == 50000 ? LMZ_e_end : LMZ_e_continue);
            ip += in.pos;
            op += out.pos;
            if (op + 700 > sc_cap) break;
        } while (!lmz_is_error(r) && (r != 0 || ip < 50000));
        CHECK(op == s1 && !memcmp(sc, c1, s1), "streamed output differs from one-shot (%zu vs %zu)", op, s1);
        lmz_cstream_free(cs);
        /* decoding in 1..13-byte pieces */
        lmz_dstream *ds = lmz_dstream_create(m, NULL);
        uint8_t *dd = malloc(50000);
        ip = op = 0;
        do {
            size_t ik = 1 + rnd() % 13;
            if (ip + ik > s1) ik = s1 - ip;
            lmz_in_buffer in = {c1 + ip, ik, 0};
            lmz_out_buffer out = {dd + op, 50000 - op < 977 ? 50000 - op : 977, 0};
            r = lmz_decompress_stream(ds, &out, &in);
            ip += in.pos;
            op += out.pos;
        } while (!lmz_is_error(r) && (ip < s1 || r != 0));
        CHECK(!lmz_is_error(r) && op == 50000 && !memcmp(dd, text, 50000), "sliced decoding failed");
        lmz_dstream_free(ds);
        free(dd); free(sc); free(c1); free(c2); free(c4);
    }

    /* ---- seg and utf16 chunks ------------------------------------------------ */
    printf("seg and utf16 chunks (tiny model, 4 KiB chunks):\n");
    test_seg_tar(m);
    test_utf16(m, text);

    /* ---- lm+mix: chosen where it pays, never worse than lm, off with mix=0 - */
    {
        lmz_params p;
        lmz_params_default(&p);
        p.threads = 2;
        p.chunk_size = 8192;
        p.fallback = 0;
        const size_t n = 40000, cap = lmz_compress_bound(n);
        uint8_t *cm = malloc(cap), *cp = malloc(cap), *d = malloc(n);
        size_t sm = lmz_compress(m, cm, cap, text, n, &p);
        p.mix = 0;
        size_t sp = lmz_compress(m, cp, cap, text, n, &p);
        CHECK(!lmz_is_error(sm) && !lmz_is_error(sp), "compress with and without mixing");
        lmz_chunk_info_t chm[8], chp[8];
        int nm = (int)lmz_frame_chunks(cm, sm, chm, 8), np = (int)lmz_frame_chunks(cp, sp, chp, 8);
        int mixed = 0, plain_mix = 0, worse = 0;
        for (int i = 0; i < nm && i < np; i++) {
            mixed += chm[i].method == LMZ_METHOD_LM_MIX;
            plain_mix += chp[i].method == LMZ_METHOD_LM_MIX;
            worse += chm[i].coded_size > chp[i].coded_size;
        }
        CHECK(nm == 5 && np == 5, "5 chunks (%d, %d)", nm, np);
        CHECK(mixed == nm, "mixing chosen on %d of %d chunks of repetitive text", mixed, nm);
        CHECK(plain_mix == 0, "mix = 0 still wrote lm+mix chunks");
        CHECK(worse == 0 && sm < sp, "mixing made %d chunks larger (%zu vs %zu bytes)", worse, sm, sp);
        printf("  40 KB text: lm %zu bytes, lm+mix %zu bytes\n", sp, sm);
        CHECK(lmz_decompress(m, d, n, cm, sm, NULL) == n && !memcmp(d, text, n), "lm+mix round trip");
        /* decoding lm+mix chunks one at a time or 16 at once: the same */
        lmz_params dp;
        lmz_params_default(&dp);
        dp.threads = 1;
        CHECK(lmz_decompress(m, d, n, cm, sm, &dp) == n && !memcmp(d, text, n), "lm+mix round trip, 1 thread");
        /* an unknown mixer profile is refused, not guessed */
        cm[chm[0].offset] ^= 0x80; /* the first payload byte: the profile */
        size_t r = lmz_decompress(m, d, n, cm, sm, NULL);
        CHECK(lmz_get_error_code(r) == LMZ_error_unsupported, "unknown lm+mix profile: %s", lmz_error_name(r));
        free(cm);
        free(cp);
        free(d);
    }

    /* ---- long chunks for repetitive frames (compress.c LONG_CHUNK_MULT) ------ */
    {
        /* markup-like lines, a few values varying: zstd -3 codes it far below
         * 1.6 bits per byte */
        const size_t n = 200000;
        uint8_t *rep = malloc(n + 128);
        size_t at = 0;
        for (uint32_t i = 0; at < n; i++)
            at += (size_t)snprintf((char *)rep + at, 128, "<row id=\"%u\"><name>item %u</name><v>%u</v></row>\n", i,
                                   i % 37, (i * 7) % 101);
        struct { const uint8_t *src; uint32_t chunk; uint32_t want_cs; int want_nc; const char *what; } cases[] = {
            {rep, 0, 4 * 65536, 1, "repetitive, chunk size left to lmz: one 200 KB chunk"},
            {rep, 65536, 65536, 4, "repetitive, --chunk-size=64K given: kept"},
            {text, 0, 65536, 4, "ordinary text, chunk size left to lmz: 64 KiB"},
        };
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            uint8_t *c;
            size_t cs = compress_with(m, cases[k].src, n, &c, 2, cases[k].chunk);
            lmz_frame_info_t fi;
            CHECK(!lmz_is_error(cs) && !lmz_is_error(lmz_frame_info(c, cs, &fi)), "%s: compress", cases[k].what);
            if (lmz_is_error(cs)) continue;
            /* a compact frame (one chunk) records no chunk size: the chunk is the frame */
            CHECK((fi.version >= 2 ? fi.original_size <= cases[k].want_cs : fi.chunk_size == cases[k].want_cs) &&
                      (int)fi.n_chunks == cases[k].want_nc,
                  "%s: chunk size %u, %u chunks (want %u, %d)", cases[k].what, fi.chunk_size, fi.n_chunks,
                  cases[k].want_cs, cases[k].want_nc);
            uint8_t *d = malloc(n);
            CHECK(lmz_decompress(m, d, n, c, cs, NULL) == n && !memcmp(d, cases[k].src, n), "%s: round trip",
                  cases[k].what);
            printf("  %-56s %zu -> %zu bytes\n", cases[k].what, n, cs);
            free(d);
            free(c);
        }
        free(rep);
    }

    /* ---- concatenated frames ---------------------------------------------- */
    {
        uint8_t *ca, *cb;
        g_fallback = 0; /* model or stored only: the first frame must need the model */
        size_t sa = compress_with(m, text, 7000, &ca, 2, 0), sb = compress_with(m, bin, 3000, &cb, 2, 0);
        g_fallback = -1;
        lmz_chunk_info_t ch;
        CHECK(lmz_frame_chunks(ca, sa, &ch, 1) == 1 && (ch.method == LMZ_METHOD_LM || ch.method == LMZ_METHOD_LM_MIX),
              "text frame uses the model");
        uint8_t *cat = malloc(sa + sb), *d = malloc(10001);
        memcpy(cat, ca, sa);
        memcpy(cat + sa, cb, sb);
        size_t ds = lmz_decompress(m, d, 10001, cat, sa + sb, NULL);
        CHECK(ds == 10000 && !memcmp(d, text, 7000) && !memcmp(d + 7000, bin, 3000), "a.lmz + b.lmz -> a + b");
        /* wrong model: named in the error */
        lmz_dstream *s = lmz_dstream_create(m2, NULL);
        lmz_in_buffer in = {ca, sa, 0};
        lmz_out_buffer out = {d, 10000, 0};
        size_t r = lmz_decompress_stream(s, &out, &in);
        CHECK(lmz_get_error_code(r) == LMZ_error_model_mismatch && out.pos == 0, "wrong model not detected");
        printf("wrong model: %s\n", lmz_dstream_message(s));
        lmz_dstream_free(s);
        /* memory limit */
        lmz_params p;
        lmz_params_default(&p);
        p.memory_limit = 1 << 16;
        r = lmz_decompress(m, d, 10000, ca, sa, &p);
        CHECK(lmz_get_error_code(r) == LMZ_error_memory_limit, "memory limit not honoured: %s", lmz_error_name(r));
        free(cat); free(d); free(ca); free(cb);
    }

    /* ---- every truncation and every bit flip of a small frame --------------- */
    {
        uint8_t *c;
        g_fallback = 0;
        size_t n = 600, cs = compress_with(m, text, n, &c, 1, 0);
        g_fallback = -1;
        uint8_t *d = malloc(n + 64), *bad = malloc(cs);
        int trunc_ok = 1, flips_rejected = 0, flips_harmless = 0, flips_wrong = 0;
        for (size_t k = 0; k < cs; k++) {
            size_t r = lmz_decompress(m, d, n + 64, c, k, NULL);
            if (!lmz_is_error(r) && !(k == 0 && r == 0)) trunc_ok = 0;
        }
        CHECK(trunc_ok, "a truncated frame was accepted");
        for (size_t bit = 0; bit < cs * 8; bit++) {
            memcpy(bad, c, cs);
            bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            size_t r = lmz_decompress(m, d, n + 64, bad, cs, NULL);
            if (lmz_is_error(r)) flips_rejected++;
            else if (r == n && !memcmp(d, text, n)) flips_harmless++;
            else flips_wrong++;
        }
        printf("frame of %zu bytes: %zu truncations rejected; %zu bit flips: %d rejected, %d harmless, %d wrong output\n",
               cs, cs - 1, cs * 8, flips_rejected, flips_harmless, flips_wrong);
        CHECK(flips_wrong == 0, "%d bit flips produced wrong output", flips_wrong);
        free(c); free(d); free(bad);
    }

    /* random access (lmz_decompress_range): two frames of 4 KiB chunks (16
     * and 2) and a compact one, concatenated; ranges inside one chunk,
     * across chunks, frames and to the end, empty, past the end; a damaged
     * chunk outside the range does not matter, one inside it is reported */
    printf("random access (lmz_decompress_range):\n");
    {
        const size_t n = 16 * 4096 + 5000;
        uint8_t *src = malloc(n), *small = malloc(700), *c, *c2;
        make_text(src, n);
        make_text(small, 700);
        size_t cs = compress_with(m, src, n, &c, 2, 4096), cs2 = compress_with(m, small, 700, &c2, 1, 4096);
        CHECK(!lmz_is_error(cs) && !lmz_is_error(cs2), "range: compress");
        uint8_t *all = malloc(cs + cs2), *want = malloc(n + 700), *got = malloc(n + 700);
        memcpy(all, c, cs), memcpy(all + cs, c2, cs2);
        memcpy(want, src, n), memcpy(want + n, small, 700);
        const uint64_t R[][2] = {{0, 10}, {1500, 1600}, {1000, 9000}, {65000, 66000}, {n - 100, n + 100},
                                 {n + 50, n + 700}, {n + 699, n + 700}, {2000, 2000}, {n + 700, n + 900},
                                 {10, UINT64_MAX}};
        for (size_t k = 0; k < sizeof R / sizeof R[0]; k++) {
            const uint64_t e = R[k][1] < n + 700 ? R[k][1] : n + 700, b = R[k][0] < e ? R[k][0] : e;
            char msg[256];
            size_t r = lmz_decompress_range(m, got, n + 700, all, cs + cs2, R[k][0], R[k][1], NULL, msg, sizeof msg);
            CHECK(r == e - b && !memcmp(got, want + b, (size_t)(e - b)), "range [%llu, %llu): %s",
                  (unsigned long long)R[k][0], (unsigned long long)R[k][1],
                  lmz_is_error(r) ? msg : "wrong bytes");
        }
        lmz_chunk_info_t ci[16];
        lmz_frame_info_t fi;
        CHECK(!lmz_is_error(lmz_frame_info(all, cs, &fi)) && lmz_frame_chunks(all, cs, ci, 16) == 16, "range: chunks");
        uint8_t *bad = malloc(cs + cs2);
        memcpy(bad, all, cs + cs2);
        bad[ci[5].offset + ci[5].coded_size / 2] ^= 0x10; /* chunk 5: about bytes [20480, 24576) */
        size_t r = lmz_decompress_range(m, got, n + 700, bad, cs + cs2, 1000, 3000, NULL, NULL, 0);
        CHECK(r == 2000 && !memcmp(got, want + 1000, 2000), "range: a damaged chunk outside the range is not decoded");
        r = lmz_decompress_range(m, got, n + 700, bad, cs + cs2, 22000, 22200, NULL, NULL, 0);
        CHECK(lmz_is_error(r), "range: a damaged chunk inside it is an error (%s)", lmz_error_name(r));
        r = lmz_decompress_range(m, got, 10, all, cs + cs2, 0, 100, NULL, NULL, 0);
        CHECK(lmz_get_error_code(r) == LMZ_error_dst_too_small, "range: output too small");
        r = lmz_decompress_range(m, got, n, all, cs - 1, n - 10, n, NULL, NULL, 0);
        CHECK(lmz_is_error(r), "range: a truncated file is an error");
        free(src), free(small), free(c), free(c2), free(all), free(want), free(got), free(bad);
    }

    lmz_model_free(m);
    lmz_model_free(m2);
    for (int i = 0; i < g_nbufs; i++) free(g_bufs[i]);
    free(text);
    free(bin);
    return check_done("test_codec");
}
