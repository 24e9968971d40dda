/*
 * tests/unit/test_frame.c — the .lmz v1 frame header (lib/format/frame.c).
 *
 *  - write/parse round trip, byte layout at the offsets doc/format.md gives
 *  - empty frame, concatenated frames
 *  - truncation at every byte (asks for more or fails, never crashes)
 *  - every single-bit flip of a small header is detected
 *  - absurd counts and inconsistent fields with a valid checksum
 *  - random garbage behind a valid magic
 *  - the compact frame v3 (doc/format.md §2.3): its byte layout for each
 *    combination of optional fields, round trips, every truncation, every
 *    bit flip of its header, reserved bits, v2 still read
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "format/frame.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static lmz_chunk_info g_chunks[3];
static uint8_t g_extra[6 + 5 + 6];

/* A small frame: 3 chunks (lm, stored, zstd), two extra sections. */
static void sample_header(lmz_frame_header *h) {
    memset(h, 0, sizeof *h);
    h->version = LMZ_FORMAT_VERSION;
    h->flags = LMZ_F_LOSSY;
    for (int i = 0; i < 32; i++) h->model_sha256[i] = (uint8_t)(0xA0 + i);
    strcpy(h->model_name, "lmz-base");
    h->window = 1024;
    h->overlap = 512;
    h->chunk_size = 65536;
    g_chunks[0] = (lmz_chunk_info){.raw_size = 65536, .coded_size = 9000, .method = LMZ_M_LM, .checksum = 0x11223344};
    g_chunks[1] = (lmz_chunk_info){.raw_size = 100, .coded_size = 100, .method = LMZ_M_STORED, .checksum = 0x55667788};
    g_chunks[2] = (lmz_chunk_info){.raw_size = 4000, .coded_size = 1234, .method = LMZ_M_ZSTD, .checksum = 0x99AABBCC};
    h->n_chunks = 3;
    h->chunks = g_chunks;
    h->original_size = 65536 + 100 + 4000;
    h->content_checksum = 0x0123456789ABCDEFull;
    /* tag 1 (fidelity report, 5 bytes), then an unknown tag 77 (0 bytes) */
    uint8_t *e = g_extra;
    e[0] = 1, e[1] = 0, e[2] = 5, e[3] = 0, e[4] = 0, e[5] = 0;
    memcpy(e + 6, "hello", 5);
    e[11] = 77, e[12] = 0, e[13] = 0, e[14] = 0, e[15] = 0, e[16] = 0;
    h->extra = g_extra;
    h->extra_size = sizeof g_extra;
}

/* Recomputes the header checksum of a header image of size n. */
static void reseal(uint8_t *b, size_t n) { lmz_wr32(b + n - 4, (uint32_t)lmz_xxh64(b, n - 4)); }

/* Parses exactly n bytes from a fresh heap copy (so that ASan sees any
 * over-read). Returns the parser's result; h freed unless keep. */
static size_t parse_copy(const uint8_t *src, size_t n, size_t *need, lmz_msg *msg, lmz_frame_header *keep) {
    uint8_t *b = malloc(n ? n : 1);
    memcpy(b, src, n);
    lmz_frame_header h;
    size_t r = frame_parse_header(&h, b, n, need, msg);
    if (keep)
        *keep = h;
    else
        frame_header_free(&h);
    free(b);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_roundtrip(void) {
    lmz_frame_header h, g;
    sample_header(&h);
    size_t size = frame_header_size(&h);
    size_t expect = 79 + 8 + 13 * 3 + sizeof g_extra;
    CHECK(size == expect, "header size %zu == %zu", size, expect);
    uint8_t buf[512];
    size_t w = frame_write_header(&h, buf, sizeof buf);
    CHECK(w == size, "write returns size (%zu)", w);

    /* byte layout, as doc/format.md gives it */
    CHECK(memcmp(buf, "LMZ\x1A", 4) == 0 && lmz_rd32(buf) == LMZ_MAGIC, "magic bytes");
    CHECK(buf[4] == 1 && buf[5] == LMZ_F_LOSSY, "version, flags");
    CHECK(lmz_rd32(buf + 6) == size, "header_size at 6");
    CHECK(buf[10] == 0xA0 && buf[41] == 0xA0 + 31, "sha256 at 10");
    CHECK(buf[42] == 8 && memcmp(buf + 43, "lmz-base", 8) == 0, "name at 42");
    const uint8_t *p = buf + 43 + 8;
    CHECK(lmz_rd16(p) == 1024 && lmz_rd16(p + 2) == 512 && lmz_rd32(p + 4) == 65536, "window, overlap, chunk_size");
    CHECK(lmz_rd64(p + 8) == h.original_size && lmz_rd64(p + 16) == h.content_checksum, "sizes, checksum");
    CHECK(lmz_rd32(p + 24) == 3, "n_chunks");
    p += 28;
    CHECK(lmz_rd32(p) == 65536 && lmz_rd32(p + 4) == 9000 && p[8] == LMZ_M_LM && lmz_rd32(p + 9) == 0x11223344,
          "chunk 0 entry");
    p += 39;
    CHECK(lmz_rd32(p) == sizeof g_extra && memcmp(p + 4, g_extra, sizeof g_extra) == 0, "extra");
    p += 4 + sizeof g_extra;
    CHECK((size_t)(p + 4 - buf) == size && lmz_rd32(p) == (uint32_t)lmz_xxh64(buf, size - 4), "header checksum last");

    lmz_msg msg = {{0}};
    size_t need = 0;
    size_t r = frame_parse_header(&g, buf, size, &need, &msg);
    CHECK(r == size, "parse: %s", msg.text);
    if (r == size) {
        CHECK(g.version == 1 && g.flags == LMZ_F_LOSSY && g.header_size == size, "parsed version/flags/size");
        CHECK(memcmp(g.model_sha256, h.model_sha256, 32) == 0 && strcmp(g.model_name, "lmz-base") == 0, "sha, name");
        CHECK(g.window == 1024 && g.overlap == 512 && g.chunk_size == 65536, "window/overlap/chunk_size");
        CHECK(g.original_size == h.original_size && g.content_checksum == h.content_checksum, "sizes");
        CHECK(g.n_chunks == 3 && g.payload_size == 9000 + 100 + 1234, "payload_size %llu",
              (unsigned long long)g.payload_size);
        int same = 1;
        uint64_t off = size;
        for (int i = 0; i < 3; i++) {
            same &= g.chunks[i].raw_size == g_chunks[i].raw_size && g.chunks[i].coded_size == g_chunks[i].coded_size &&
                    g.chunks[i].method == g_chunks[i].method && g.chunks[i].checksum == g_chunks[i].checksum &&
                    g.chunks[i].offset == off;
            off += g_chunks[i].coded_size;
        }
        CHECK(same, "chunk table and offsets");
        CHECK(g.extra_size == sizeof g_extra && memcmp(g.extra, g_extra, sizeof g_extra) == 0, "extra kept raw");
        frame_header_free(&g);
        CHECK(g.chunks == NULL && g.extra == NULL, "free clears");
    }
    /* trailing bytes (payloads) do not matter to the header */
    uint8_t big[1024];
    memcpy(big, buf, size);
    memset(big + size, 0xEE, sizeof big - size);
    r = parse_copy(big, sizeof big, &need, &msg, NULL);
    CHECK(r == size, "parse with payload behind");

    /* writer: dst too small, invalid fields */
    CHECK(lmz_get_error_code(frame_write_header(&h, buf, size - 1)) == LMZ_error_dst_too_small, "dst too small");
    lmz_frame_header bad = h;
    bad.window = 1;
    CHECK(lmz_get_error_code(frame_write_header(&bad, buf, sizeof buf)) == LMZ_error_parameter, "writer: window");
    bad = h;
    bad.original_size++;
    CHECK(lmz_get_error_code(frame_write_header(&bad, buf, sizeof buf)) == LMZ_error_parameter, "writer: sum");
    bad = h;
    bad.flags = 0x80;
    CHECK(lmz_get_error_code(frame_write_header(&bad, buf, sizeof buf)) == LMZ_error_parameter, "writer: flags");
    bad = h;
    memset(bad.model_name, 'x', sizeof bad.model_name); /* not terminated within 255 */
    CHECK(lmz_is_error(frame_write_header(&bad, buf, sizeof buf)), "writer: name too long");
    bad = h;
    memset(bad.model_name, 'x', LMZ_MODEL_NAME_MAX);
    bad.model_name[LMZ_MODEL_NAME_MAX] = 0;
    uint8_t nb[1024];
    size_t wn = frame_write_header(&bad, nb, sizeof nb);
    r = parse_copy(nb, wn, NULL, &msg, &g);
    CHECK(!lmz_is_error(wn) && r == wn && strlen(g.model_name) == LMZ_MODEL_NAME_MAX, "255-byte name round trip");
    if (!lmz_is_error(r)) frame_header_free(&g);
}

static void test_empty_and_concat(void) {
    lmz_frame_header h, g;
    memset(&h, 0, sizeof h);
    h.window = 2;
    h.overlap = 0;
    h.chunk_size = 1;
    uint8_t buf[4096];
    size_t w = frame_write_header(&h, buf, sizeof buf);
    CHECK(w == 79, "empty frame header is 79 bytes (%zu)", w);
    lmz_msg msg = {{0}};
    size_t r = parse_copy(buf, w, NULL, &msg, &g);
    CHECK(r == 79 && g.n_chunks == 0 && g.original_size == 0 && g.payload_size == 0 && g.model_name[0] == 0,
          "empty frame parses: %s", msg.text);
    if (!lmz_is_error(r)) frame_header_free(&g);

    /* two frames with payloads, back to back */
    lmz_frame_header a;
    sample_header(&a);
    size_t n1 = frame_write_header(&a, buf, sizeof buf);
    size_t pay = 9000 + 100 + 1234;
    uint8_t *cat = malloc(n1 + pay + 79);
    memcpy(cat, buf, n1);
    memset(cat + n1, 0x5A, pay);
    frame_write_header(&h, cat + n1 + pay, 79);
    size_t pos = 0, frames = 0;
    while (pos < n1 + pay + 79) {
        r = frame_parse_header(&g, cat + pos, n1 + pay + 79 - pos, NULL, &msg);
        if (lmz_is_error(r)) break;
        pos += r + g.payload_size;
        frames++;
        frame_header_free(&g);
    }
    CHECK(frames == 2 && pos == n1 + pay + 79, "concatenated frames walk (%zu frames)", frames);
    free(cat);
}

static void test_truncation(void) {
    lmz_frame_header h;
    sample_header(&h);
    uint8_t buf[512];
    size_t size = frame_write_header(&h, buf, sizeof buf);
    int ok = 1;
    for (size_t k = 0; k < size; k++) {
        size_t need = 0;
        lmz_msg msg = {{0}};
        size_t r = parse_copy(buf, k, &need, &msg, NULL);
        int code = lmz_get_error_code(r);
        if (code != LMZ_error_src_size || need <= k || need > size) {
            ok = 0;
            printf("  truncated at %zu: %s need %zu\n", k, lmz_error_name(r), need);
        }
        if (k >= 10 && need != size) ok = 0; /* header_size known from byte 10 */
    }
    CHECK(ok, "truncation at every byte asks for more bytes");
    /* a damaged header_size claiming more than is there also asks for it */
    size_t need = 0;
    lmz_wr32(buf + 6, 5000);
    CHECK(lmz_get_error_code(parse_copy(buf, size, &need, NULL, NULL)) == LMZ_error_src_size && need == 5000,
          "large header_size asks for it");
    lmz_wr32(buf + 6, 5000);
    uint8_t *big = calloc(1, 5000);
    memcpy(big, buf, size);
    CHECK(lmz_get_error_code(parse_copy(big, 5000, &need, NULL, NULL)) == LMZ_error_header_checksum,
          "then fails its checksum");
    free(big);
}

static void test_bitflips(void) {
    lmz_frame_header h;
    sample_header(&h);
    uint8_t buf[512];
    size_t size = frame_write_header(&h, buf, sizeof buf);
    int undetected = 0, counts[LMZ_error_maxCode] = {0};
    for (size_t bit = 0; bit < size * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        size_t need = 0;
        size_t r = parse_copy(buf, size, &need, NULL, NULL);
        if (!lmz_is_error(r)) {
            undetected++;
            printf("  bit %zu not detected\n", bit);
        } else {
            counts[lmz_get_error_code(r)]++;
        }
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(undetected == 0, "every single-bit flip detected (%d missed of %zu)", undetected, size * 8);
    printf("bit flips: %d checksum, %d magic, %d version, %d corrupt, %d need-more\n",
           counts[LMZ_error_header_checksum], counts[LMZ_error_bad_magic], counts[LMZ_error_version],
           counts[LMZ_error_corrupt], counts[LMZ_error_src_size]);
    /* flips with the same length available (payload behind): still detected */
    uint8_t big[1024];
    memset(big, 0, sizeof big);
    memcpy(big, buf, size);
    undetected = 0;
    for (size_t bit = 0; bit < size * 8; bit++) {
        big[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        undetected += !lmz_is_error(parse_copy(big, sizeof big, NULL, NULL, NULL));
        big[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(undetected == 0, "bit flips with payload behind detected (%d missed)", undetected);
}

/* Field errors behind a valid checksum. Each case patches the sample image
 * (offsets relative to the end of the 8-byte name: q = 51) and reseals it. */
static void test_fields(void) {
    lmz_frame_header h;
    sample_header(&h);
    uint8_t img[512], buf[512];
    size_t size = frame_write_header(&h, img, sizeof img);
    const size_t q = 43 + 8;          /* window */
    const size_t t = q + 28;          /* chunk table */
    const size_t x = t + 39;          /* extra_size */
    struct {
        const char *name;
        size_t off;
        int width; /* 1, 2, 4, 8 */
        uint64_t value;
        int code;
    } cases[] = {
        {"flags unknown bit", 5, 1, 0x81, LMZ_error_unsupported},
        {"version 4", 4, 1, 4, LMZ_error_version},
        {"version 0", 4, 1, 0, LMZ_error_version},
        {"header_size < min", 6, 4, 78, LMZ_error_corrupt},
        {"header_size 0", 6, 4, 0, LMZ_error_corrupt},
        {"header_size huge", 6, 4, 0xFFFFFFFFu, LMZ_error_corrupt},
        {"name_len too long", 42, 1, 255, LMZ_error_corrupt},
        {"name with NUL", 45, 1, 0, LMZ_error_corrupt},
        {"window 0", q, 2, 0, LMZ_error_corrupt},
        {"window 1", q, 2, 1, LMZ_error_corrupt},
        {"overlap == window", q + 2, 2, 1024, LMZ_error_corrupt},
        {"overlap > window", q + 2, 2, 60000, LMZ_error_corrupt},
        {"chunk_size 0", q + 4, 4, 0, LMZ_error_corrupt},
        {"chunk_size too big", q + 4, 4, LMZ_MAX_CHUNK_SIZE + 1u, LMZ_error_corrupt},
        {"chunk_size < raw", q + 4, 4, 4000, LMZ_error_corrupt},
        {"original_size != sum", q + 8, 8, 1, LMZ_error_corrupt},
        {"original_size huge", q + 8, 8, UINT64_MAX, LMZ_error_corrupt},
        {"n_chunks absurd", q + 24, 4, 0xFFFFFFFFu, LMZ_error_corrupt},
        {"n_chunks > max", q + 24, 4, LMZ_MAX_CHUNKS_PER_FRAME + 1u, LMZ_error_corrupt},
        {"n_chunks +1", q + 24, 4, 4, LMZ_error_corrupt},
        {"n_chunks -1", q + 24, 4, 2, LMZ_error_corrupt},
        {"n_chunks 0", q + 24, 4, 0, LMZ_error_corrupt},
        {"raw_size 0", t, 4, 0, LMZ_error_corrupt},
        {"raw_size > chunk_size", t, 4, 65537, LMZ_error_corrupt},
        {"coded_size 0", t + 4, 4, 0, LMZ_error_corrupt},
        {"method unknown", t + 8, 1, LMZ_M_COUNT, LMZ_error_unsupported}, /* a newer writer's, not damage */
        {"method 255", t + 8, 1, 255, LMZ_error_unsupported},
        {"seg without the EXT flag", t + 8, 1, LMZ_M_SEG, LMZ_error_corrupt},
        {"utf16 without the EXT flag", t + 8, 1, LMZ_M_UTF16, LMZ_error_corrupt},
        {"stored coded != raw", t + 13 + 4, 4, 99, LMZ_error_corrupt},
        {"extra_size too big", x, 4, 18, LMZ_error_corrupt},
        {"extra_size too small", x, 4, 16, LMZ_error_corrupt},
        {"extra_size huge", x, 4, 0xFFFFFFF0u, LMZ_error_corrupt},
        {"TLV len overruns", x + 4 + 2, 4, 6, LMZ_error_corrupt},
        {"TLV len huge", x + 4 + 2, 4, 0xFFFFFFFFu, LMZ_error_corrupt},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        memcpy(buf, img, size);
        uint8_t *p = buf + cases[c].off;
        switch (cases[c].width) {
        case 1: p[0] = (uint8_t)cases[c].value; break;
        case 2: lmz_wr16(p, (uint16_t)cases[c].value); break;
        case 4: lmz_wr32(p, (uint32_t)cases[c].value); break;
        default: lmz_wr64(p, cases[c].value); break;
        }
        reseal(buf, size);
        lmz_msg msg = {{0}};
        size_t need = 0;
        size_t r = parse_copy(buf, size, &need, &msg, NULL);
        CHECK((int)lmz_get_error_code(r) == cases[c].code, "%s: got %s (%s)", cases[c].name, lmz_error_name(r), msg.text);
        CHECK(!lmz_is_error(r) || msg.text[0], "%s: message", cases[c].name);
    }
    /* unknown TLV tags are skipped, a zero-length extra is fine */
    memcpy(buf, img, size);
    buf[x + 4] = 200, buf[x + 5] = 0x7F; /* first section: tag 0x7FC8 */
    reseal(buf, size);
    CHECK(!lmz_is_error(parse_copy(buf, size, NULL, NULL, NULL)), "unknown TLV tag accepted");

    /* the maximum chunk count parses (and one more is refused) */
    lmz_frame_header m;
    memset(&m, 0, sizeof m);
    m.window = 1024, m.overlap = 512, m.chunk_size = 1;
    m.n_chunks = LMZ_MAX_CHUNKS_PER_FRAME;
    m.chunks = calloc(m.n_chunks, sizeof *m.chunks);
    for (uint32_t i = 0; i < m.n_chunks; i++) m.chunks[i] = (lmz_chunk_info){1, 1, LMZ_M_STORED, i, 0};
    m.original_size = m.n_chunks;
    size_t hs = frame_header_size(&m);
    uint8_t *big = malloc(hs);
    size_t w = frame_write_header(&m, big, hs);
    lmz_frame_header g;
    size_t r = parse_copy(big, hs, NULL, NULL, &g);
    CHECK(w == hs && r == hs && g.n_chunks == LMZ_MAX_CHUNKS_PER_FRAME && g.payload_size == m.n_chunks &&
              g.chunks[m.n_chunks - 1].offset == hs + m.n_chunks - 1,
          "max chunk count");
    if (!lmz_is_error(r)) frame_header_free(&g);
    m.n_chunks++;
    CHECK(lmz_is_error(frame_header_size(&m)), "writer refuses > max chunks");
    free(big);
    free(m.chunks);
}

static void test_garbage(void) {
    uint8_t buf[600];
    int crashes_would_show = 0, accepted = 0;
    for (int trial = 0; trial < 20000; trial++) {
        size_t n = (size_t)(rng() % sizeof buf);
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rng();
        if (n >= 10) {
            lmz_wr32(buf, LMZ_MAGIC);
            buf[4] = 1;
            if (trial % 2) lmz_wr32(buf + 6, (uint32_t)(79 + rng() % (n - 78 > 0 ? n - 78 : 1)));
            if (trial % 4 == 1 && lmz_rd32(buf + 6) <= n) reseal(buf, lmz_rd32(buf + 6));
        }
        lmz_frame_header h;
        size_t need = 0;
        size_t r = parse_copy(buf, n, &need, NULL, &h);
        if (!lmz_is_error(r)) {
            accepted++;
            frame_header_free(&h);
        }
        crashes_would_show++;
    }
    CHECK(crashes_would_show == 20000, "garbage parsed without crashing (%d accepted)", accepted);
}

/* ------------------------------------------------------------------------ */
/* The compact frame, version 3                                             */
/* ------------------------------------------------------------------------ */

static void test_compact_v3(void) {
    struct {
        int base, dict, window, empty;
        size_t size; /* header bytes: doc/format.md §2.3 */
    } combos[] = {
        {1, 0, 1024, 0, 16}, {1, 1, 1024, 0, 20}, {0, 0, 1024, 0, 20}, {0, 1, 1024, 0, 24},
        {1, 0, 256, 0, 18},  {0, 1, 512, 0, 26},  {1, 0, 1024, 1, 13}, {0, 0, 300, 1, 19},
    };
    for (size_t c = 0; c < sizeof combos / sizeof *combos; c++) {
        lmz_frame_header h;
        lmz_chunk_info ch = {0};
        memset(&h, 0, sizeof h);
        h.version = LMZ_FORMAT_COMPACT;
        if (combos[c].base) memcpy(h.model_sha256, frame_known_model, 32);
        else
            for (int i = 0; i < 32; i++) h.model_sha256[i] = (uint8_t)(0x11 * i + 3);
        if (combos[c].dict) {
            h.flags = LMZ_F_DICT;
            for (int i = 0; i < 32; i++) h.dict_sha256[i] = (uint8_t)(0xD0 + i);
        }
        h.window = (uint16_t)combos[c].window;
        h.overlap = 1;
        if (!combos[c].empty) {
            ch.raw_size = 2000; /* varint: 2 bytes */
            ch.coded_size = 300; /* 2 bytes */
            ch.method = LMZ_M_LM_MIX;
            ch.checksum = 0x89ABCDEFu;
            h.n_chunks = 1;
            h.chunks = &ch;
            h.original_size = 2000;
            h.chunk_size = 2000;
            h.content_checksum = 0x89ABCDEFu;
        } else
            h.chunk_size = 1;
        uint8_t buf[64];
        const size_t w = frame_write_header(&h, buf, sizeof buf);
        CHECK(w == combos[c].size && frame_header_size(&h) == w, "v3 combo %zu: header %zu bytes (want %zu)", c, w,
              combos[c].size);
        if (lmz_is_error(w)) continue;
        /* layout: magic, version, descriptor, [model id], [dict id], [window], sizes, checksums */
        const uint8_t d = buf[5];
        CHECK(lmz_rd32(buf) == LMZ_MAGIC && buf[4] == 3 &&
                  (d & LMZ_C3_METHOD) == (combos[c].empty ? 0 : LMZ_M_LM_MIX) &&
                  !!(d & LMZ_C3_DICT) == combos[c].dict && !!(d & LMZ_C3_BASE) == combos[c].base &&
                  !!(d & LMZ_C3_WINDOW) == (combos[c].window != 1024) && !(d & 0xC0),
              "v3 combo %zu: descriptor %02x", c, d);
        size_t at = 6;
        if (!combos[c].base) {
            CHECK(!memcmp(buf + at, h.model_sha256, 4), "v3 combo %zu: model id", c);
            at += 4;
        }
        if (combos[c].dict) {
            CHECK(!memcmp(buf + at, h.dict_sha256, 4), "v3 combo %zu: dictionary id", c);
            at += 4;
        }
        CHECK(lmz_rd16(buf + w - 2) == (uint16_t)lmz_xxh64(buf, w - 2) &&
                  lmz_rd32(buf + w - 6) == (uint32_t)h.content_checksum,
              "v3 combo %zu: checksums at the end", c);
        /* parse back */
        lmz_frame_header g;
        lmz_msg msg = {{0}};
        size_t need = 0;
        size_t r = parse_copy(buf, w, &need, &msg, &g);
        CHECK(r == w && g.version == 3 && g.window == h.window && g.original_size == h.original_size &&
                  g.n_chunks == h.n_chunks && g.flags == h.flags && g.id_len == 4 &&
                  !memcmp(g.model_sha256, h.model_sha256, combos[c].base ? 32 : 4) &&
                  !strcmp(g.model_name, combos[c].base ? "lmz-base" : "") &&
                  (!combos[c].dict || !memcmp(g.dict_sha256, h.dict_sha256, 4)) &&
                  (combos[c].empty || (g.chunks[0].raw_size == 2000 && g.chunks[0].coded_size == 300 &&
                                       g.chunks[0].method == LMZ_M_LM_MIX && g.chunks[0].offset == w)),
              "v3 combo %zu: parsed back (%s)", c, msg.text);
        frame_header_free(&g);
        /* every truncation asks for more, with a need beyond what is there */
        int trunc_ok = 1;
        for (size_t k = 0; k < w; k++) {
            r = parse_copy(buf, k, &need, NULL, NULL);
            trunc_ok &= lmz_get_error_code(r) == LMZ_error_src_size && need > k && need <= LMZ_COMPACT_MAX;
        }
        CHECK(trunc_ok, "v3 combo %zu: every truncation asks for more", c);
        /* every bit flip of the header is an error (or, in the ids, a valid
         * frame naming other identities: the decoder compares those) */
        int flips_ok = 1;
        for (size_t bit = 8 * 5; bit < 8 * w; bit++) {
            uint8_t b[64];
            memcpy(b, buf, w);
            b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            flips_ok &= lmz_is_error(parse_copy(b, w, NULL, NULL, NULL));
        }
        CHECK(flips_ok, "v3 combo %zu: every bit flip after the version is detected", c);
        /* reserved descriptor bits (re-sealed): unsupported, not corrupt */
        for (int bit = 6; bit < 8; bit++) {
            uint8_t b[64];
            memcpy(b, buf, w);
            b[5] ^= (uint8_t)(1u << bit);
            lmz_wr16(b + w - 2, (uint16_t)lmz_xxh64(b, w - 2));
            r = parse_copy(b, w, NULL, &msg, NULL);
            CHECK(lmz_get_error_code(r) == LMZ_error_unsupported, "v3 combo %zu: reserved bit %d: %s", c, bit,
                  lmz_error_name(r));
        }
    }
    /* a method above 7 cannot be written in v3; an empty frame with a dictionary is corrupt */
    {
        lmz_frame_header h;
        memset(&h, 0, sizeof h);
        h.version = LMZ_FORMAT_COMPACT;
        h.window = 1024;
        h.chunk_size = 1;
        uint8_t buf[64];
        size_t w = frame_write_header(&h, buf, sizeof buf);
        CHECK(w == 17, "empty v3 frame, another model: %zu bytes", w);
        buf[5] |= LMZ_C3_DICT; /* now it claims a dictionary id the bytes do not hold: re-seal one */
        uint8_t b[64];
        memcpy(b, buf, 6);
        memset(b + 6, 0x55, 8);
        b[14] = 0;                    /* raw_size 0 */
        memset(b + 15, 0, 4);         /* checksum */
        lmz_wr16(b + 19, (uint16_t)lmz_xxh64(b, 19));
        lmz_msg msg = {{0}};
        size_t r = parse_copy(b, 21, NULL, &msg, NULL);
        CHECK(lmz_get_error_code(r) == LMZ_error_corrupt, "empty v3 frame with a dictionary: %s (%s)",
              lmz_error_name(r), msg.text);
    }
    /* v2 is still written on request and read */
    {
        lmz_frame_header h, g;
        lmz_chunk_info ch = {2000, 300, LMZ_M_LM_MIX, 0x12345678u, 0};
        memset(&h, 0, sizeof h);
        h.version = LMZ_FORMAT_COMPACT_V2;
        memcpy(h.model_sha256, frame_known_model, 32);
        h.window = 1024;
        h.overlap = 1;
        h.n_chunks = 1;
        h.chunks = &ch;
        h.original_size = h.chunk_size = 2000;
        h.content_checksum = 0x12345678u;
        uint8_t buf[64];
        size_t w = frame_write_header(&h, buf, sizeof buf);
        CHECK(w == 23 && buf[4] == 2, "v2: %zu bytes", w);
        CHECK(parse_copy(buf, w, NULL, NULL, &g) == w && g.version == 2 && g.chunks[0].raw_size == 2000,
              "v2 parsed back");
        frame_header_free(&g);
    }
}

int main(void) {
    test_roundtrip();
    test_empty_and_concat();
    test_truncation();
    test_bitflips();
    test_fields();
    test_garbage();
    test_compact_v3();
    return check_done("test_frame");
}
