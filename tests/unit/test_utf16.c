/*
 * tests/unit/test_utf16.c — UTF-16 <-> UTF-8 (lib/common/utf16.c), the chunk
 * transform that must restore UTF-16 text exactly.
 *
 *  - hand-written vectors (ASCII, Latin-1, CJK, emoji pairs, BOM, U+0000,
 *    U+FFFF, U+10000, U+10FFFF) round trip in both byte orders, and
 *    "aé€😀" gives the known UTF-16LE bytes;
 *  - every rejection: odd length, lone high surrogate (at the end and before
 *    a non-surrogate), low surrogate first, every lone surrogate unit, and
 *    ill-formed UTF-8 (overlong, encoded surrogate, > U+10FFFF, truncated);
 *  - capacity: dst exactly large enough works, one byte less is refused and
 *    nothing is written past cap;
 *  - lmz_utf8_utf16_size agrees with lmz_utf8_to_utf16;
 *  - every code point 0..U+10FFFF but the surrogates, UTF-8 encoded here by
 *    hand, to UTF-16 in both orders (checked against hand-made units) and
 *    back, one by one and all in one buffer;
 *  - random UTF-16 full of surrogates: whatever is accepted comes back exact;
 *  - detection: BOMs, BOM-less ASCII either order, binary, odd length;
 *  - alice29.txt (argv[1], or the one under LMZ_TESTDATA) to UTF-16LE and BE
 *    and back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/common.h"

#define BAD LMZ_UTF16_BAD
#define V(name, s) {name, s, sizeof(s) - 1} /* a string literal and its length */

/* UTF-8 of code point c into p, by the textbook table; returns its length. */
static size_t enc8(uint32_t c, uint8_t *p) {
    if (c < 0x80) {
        p[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        p[0] = (uint8_t)(0xC0 | c >> 6);
        p[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        p[0] = (uint8_t)(0xE0 | c >> 12);
        p[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        p[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    p[0] = (uint8_t)(0xF0 | c >> 18);
    p[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
    p[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
    p[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

/* UTF-16 of code point c into p in byte order be, by hand; returns its length. */
static size_t enc16(uint32_t c, int be, uint8_t *p) {
    uint32_t u[2] = {c, 0};
    size_t k = 1;
    if (c >= 0x10000) {
        u[0] = 0xD800 | (c - 0x10000) >> 10;
        u[1] = 0xDC00 | (c & 0x3FF);
        k = 2;
    }
    for (size_t i = 0; i < k; i++) {
        p[2 * i + !be] = (uint8_t)(u[i] >> 8);
        p[2 * i + !!be] = (uint8_t)u[i];
    }
    return 2 * k;
}

/* UTF-16 (as code units) in byte order be into p; returns the byte count. */
static size_t units(const uint16_t *u, size_t k, int be, uint8_t *p) {
    for (size_t i = 0; i < k; i++) {
        p[2 * i + !be] = (uint8_t)(u[i] >> 8);
        p[2 * i + !!be] = (uint8_t)u[i];
    }
    return 2 * k;
}

/* UTF-8 s -> UTF-16 (both orders) -> UTF-8 gives s, sizes agree, and the
 * UTF-16 is `want` (its LE form, NULL: not checked). */
static void roundtrip8(const char *what, const uint8_t *s, size_t n, const uint8_t *want, size_t wn) {
    uint8_t u16[256], back[256];
    size_t sz = lmz_utf8_utf16_size(s, n);
    CHECK(sz != BAD, "%s: size", what);
    for (int be = 0; be < 2; be++) {
        size_t m = lmz_utf8_to_utf16(s, n, be, u16, sizeof u16);
        CHECK(m != BAD && m == sz, "%s be=%d: utf16 length %zu, size says %zu", what, be, m, sz);
        if (m == BAD) continue;
        if (want && !be) CHECK(m == wn && !memcmp(u16, want, wn), "%s: known UTF-16LE bytes", what);
        if (want && be) {
            int ok = m == wn;
            for (size_t i = 0; ok && i < wn; i++) ok = u16[i] == want[i ^ 1];
            CHECK(ok, "%s: known UTF-16BE bytes", what);
        }
        size_t r = lmz_utf16_to_utf8(u16, m, be, back, sizeof back);
        CHECK(r == n && !memcmp(back, s, n), "%s be=%d: back to UTF-8", what, be);
    }
}

/* UTF-16 u (as code units) must be refused in both orders. */
static void refuse16(const char *what, const uint16_t *u, size_t k) {
    uint8_t b[64], out[64];
    for (int be = 0; be < 2; be++) {
        size_t n = units(u, k, be, b);
        CHECK(lmz_utf16_to_utf8(b, n, be, out, sizeof out) == BAD, "%s be=%d refused", what, be);
    }
}

/* Ill-formed UTF-8 must be refused by the size and by both conversions. */
static void refuse8(const char *what, const uint8_t *s, size_t n) {
    uint8_t out[64];
    CHECK(lmz_utf8_utf16_size(s, n) == BAD, "%s: size refuses", what);
    CHECK(lmz_utf8_to_utf16(s, n, 0, out, sizeof out) == BAD, "%s: LE refuses", what);
    CHECK(lmz_utf8_to_utf16(s, n, 1, out, sizeof out) == BAD, "%s: BE refuses", what);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* The exhaustive loop: every scalar value, one by one and in one buffer. */
static void every_code_point(void) {
    size_t cap8 = 4 * 0x110000, cap16 = 4 * 0x110000;
    uint8_t *all8 = malloc(cap8), *all16[2] = {malloc(cap16), malloc(cap16)};
    uint8_t *out = malloc(cap16), *out8 = malloc(cap8);
    CHECK(all8 && all16[0] && all16[1] && out && out8, "alloc");
    if (!all8 || !all16[0] || !all16[1] || !out || !out8) return;
    size_t n8 = 0, n16[2] = {0, 0}, bad = 0, count = 0;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        count++;
        uint8_t s[4], u[4], w[4], r[4];
        size_t l8 = enc8(c, s);
        if (lmz_utf8_utf16_size(s, l8) != (l8 == 4 ? 4u : 2u)) bad++;
        for (int be = 0; be < 2; be++) {
            size_t l16 = enc16(c, be, w);
            size_t m = lmz_utf8_to_utf16(s, l8, be, u, l16); /* exactly the room */
            size_t k = m == BAD ? BAD : lmz_utf16_to_utf8(u, m, be, r, l8);
            if (m != l16 || memcmp(u, w, l16) || k != l8 || memcmp(r, s, l8)) {
                if (bad++ < 5) fprintf(stderr, "U+%04X be=%d: m=%zu k=%zu\n", (unsigned)c, be, m, k);
            }
            memcpy(all16[be] + n16[be], w, l16);
            n16[be] += l16;
        }
        memcpy(all8 + n8, s, l8);
        n8 += l8;
    }
    CHECK(count == 0x110000 - 0x800, "count %zu", count);
    CHECK(bad == 0, "every code point: %zu failures", bad);
    CHECK(lmz_utf8_utf16_size(all8, n8) == n16[0], "size of all");
    for (int be = 0; be < 2; be++) {
        size_t m = lmz_utf8_to_utf16(all8, n8, be, out, cap16);
        CHECK(m == n16[be] && !memcmp(out, all16[be], m), "all code points to UTF-16 be=%d", be);
        size_t k = lmz_utf16_to_utf8(all16[be], n16[be], be, out8, cap8);
        CHECK(k == n8 && !memcmp(out8, all8, n8), "all code points back to UTF-8 be=%d", be);
        CHECK(lmz_utf16_to_utf8(all16[be], n16[be], be, out8, n8 - 1) == BAD, "all, one byte short");
    }
    free(all8), free(all16[0]), free(all16[1]), free(out), free(out8);
}

/* Random UTF-16 heavy in surrogates: accepted => exact round trip; refused
 * => it does hold an unpaired surrogate. */
static void random_utf16(void) {
    size_t accepted = 0, bad = 0;
    for (int t = 0; t < 20000; t++) {
        uint16_t u[12];
        size_t k = 1 + rnd() % 12;
        for (size_t i = 0; i < k; i++) {
            uint32_t r = rnd();
            u[i] = (uint16_t)(r % 3 == 0 ? 0xD800 + (r >> 8) % 0x800 : r % 3 == 1 ? (r >> 8) % 0x80 : r >> 16);
        }
        int lone = 0;
        for (size_t i = 0; i < k; i++) {
            if (u[i] >= 0xD800 && u[i] <= 0xDBFF && i + 1 < k && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) i++;
            else if (u[i] >= 0xD800 && u[i] <= 0xDFFF) lone = 1;
        }
        for (int be = 0; be < 2; be++) {
            uint8_t b[24], m8[48], back[24];
            size_t n = units(u, k, be, b);
            size_t m = lmz_utf16_to_utf8(b, n, be, m8, sizeof m8);
            if ((m == BAD) != lone) bad++;
            if (m == BAD) continue;
            accepted++;
            size_t r = lmz_utf8_to_utf16(m8, m, be, back, sizeof back);
            if (r != n || memcmp(back, b, n) || lmz_utf8_utf16_size(m8, m) != n) bad++;
        }
    }
    CHECK(bad == 0, "random UTF-16: %zu failures", bad);
    CHECK(accepted > 1000, "random UTF-16: only %zu accepted", accepted);
}

/* A whole text file to UTF-16 in both orders and back. */
static void text_file(const char *path) {
    size_t n = 0;
    uint8_t *d = check_read_file(path, &n);
    CHECK(d != NULL && n > 100000, "read %s", path);
    if (!d) return;
    size_t sz = lmz_utf8_utf16_size(d, n);
    CHECK(sz == 2 * n, "alice29 is ASCII: size %zu for %zu bytes", sz, n);
    uint8_t *u = malloc(sz == BAD ? 1 : sz), *back = malloc(n);
    for (int be = 0; u && back && sz != BAD && be < 2; be++) {
        size_t m = lmz_utf8_to_utf16(d, n, be, u, sz);
        CHECK(m == sz, "alice29 to UTF-16 be=%d", be);
        CHECK(lmz_utf16_detect(u, m) == 1 + be, "alice29 UTF-16 detected be=%d", be);
        size_t k = lmz_utf16_to_utf8(u, m, be, back, n);
        CHECK(k == n && !memcmp(back, d, n), "alice29 back, same bytes be=%d", be);
    }
    CHECK(lmz_utf16_detect(d, n & ~(size_t)1) == 0, "alice29 itself is not UTF-16");
    free(u), free(back), free(d);
}

int main(int argc, char **argv) {
    /* vectors */
    static const uint8_t known[] = {0x61, 0x00, 0xE9, 0x00, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE};
    roundtrip8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", (const uint8_t *)"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10,
               known, sizeof known);
    static const struct {
        const char *name, *s;
        size_t n;
    } vec[] = {
        V("empty", ""),
        V("ASCII", "Hello, world!\n"),
        V("Latin-1", "caf\xc3\xa9 \xc3\xbc\xc3\x9f \xc3\xbf"),
        V("CJK", "\xe4\xb8\xad\xe6\x96\x87\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
        V("emoji", "\xf0\x9f\x98\x80\xf0\x9f\x8e\x89x\xf0\x9f\x91\x8d"),
        V("BOM", "\xef\xbb\xbfhi"),
        V("U+0000", "a\0b"),
        V("U+FFFF", "\xef\xbf\xbf"),
        V("U+10000", "\xf0\x90\x80\x80"),
        V("U+10FFFF", "\xf4\x8f\xbf\xbf"),
        V("U+D7FF U+E000", "\xed\x9f\xbf\xee\x80\x80"),
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
        roundtrip8(vec[i].name, (const uint8_t *)vec[i].s, vec[i].n, NULL, 0);
    {
        uint8_t b[8], out[8];
        static const uint16_t bom_a[] = {0xFEFF, 0x41};
        size_t n = units(bom_a, 2, 0, b);
        CHECK(lmz_utf16_to_utf8(b, n, 0, out, sizeof out) == 4 && !memcmp(out, "\xef\xbb\xbf" "A", 4),
              "BOM LE -> EF BB BF");
        n = units(bom_a, 2, 1, b);
        CHECK(lmz_utf16_to_utf8(b, n, 1, out, sizeof out) == 4 && !memcmp(out, "\xef\xbb\xbf" "A", 4),
              "BOM BE -> EF BB BF");
        CHECK(lmz_utf16_to_utf8(b, n, 0, out, sizeof out) == 6 && !memcmp(out, "\xef\xbf\xbe\xe4\x84\x80", 6),
              "BE BOM read as LE is U+FFFE U+4100, still accepted");
        CHECK(lmz_utf16_to_utf8(NULL, 0, 0, NULL, 0) == 0, "empty input, no buffers");
    }

    /* rejections */
    {
        uint8_t out[16];
        CHECK(lmz_utf16_to_utf8(known, 9, 0, out, sizeof out) == BAD, "odd n");
        CHECK(lmz_utf16_to_utf8(known, 1, 0, out, sizeof out) == BAD, "n = 1");
        static const uint16_t hi_end[] = {0x61, 0xD83D}, hi_only[] = {0xDBFF}, hi_hi[] = {0xD83D, 0xD83D, 0xDE00},
                              hi_a[] = {0xD83D, 0x61}, lo_first[] = {0xDE00, 0xD83D}, lo_only[] = {0xDC00},
                              lo_after[] = {0x61, 0xDFFF}, two_lo[] = {0xD83D, 0xDE00, 0xDE00};
        refuse16("lone high surrogate at end", hi_end, 2);
        refuse16("lone high surrogate only", hi_only, 1);
        refuse16("high surrogate before high", hi_hi, 3);
        refuse16("high surrogate before 'a'", hi_a, 2);
        refuse16("low before high", lo_first, 2);
        refuse16("lone low surrogate", lo_only, 1);
        refuse16("low surrogate after 'a'", lo_after, 2);
        refuse16("pair then low", two_lo, 3);
        size_t lone = 0;
        for (uint32_t s = 0xD800; s <= 0xDFFF; s++) {
            uint16_t u[3] = {0x41, (uint16_t)s, 0x42};
            uint8_t b[6];
            for (int be = 0; be < 2; be++) {
                units(u, 3, be, b);
                lone += lmz_utf16_to_utf8(b, 6, be, out, sizeof out) == BAD;
                lone += lmz_utf16_to_utf8(b, 4, be, out, sizeof out) == BAD;
            }
        }
        CHECK(lone == 4 * 0x800, "every lone surrogate refused: %zu of %d", lone, 4 * 0x800);
        static const struct {
            const char *name, *s;
            size_t n;
        } ill[] = {
            V("overlong NUL", "\xc0\x80"),       V("overlong C1", "\xc1\xbf"),
            V("overlong 3", "\xe0\x9f\xbf"),     V("overlong 4", "\xf0\x8f\xbf\xbf"),
            V("surrogate D800", "\xed\xa0\x80"), V("surrogate DFFF", "\xed\xbf\xbf"),
            V("U+110000", "\xf4\x90\x80\x80"),   V("F5 lead", "\xf5\x80\x80\x80"),
            V("FF byte", "a\xff"),               V("lone continuation", "a\x80"),
            V("truncated 2", "\xc3"),            V("truncated 3", "ab\xe2\x82"),
            V("truncated 4", "\xf0\x9f\x98"),    V("bad continuation", "\xe2\x28\xa1"),
        };
        for (size_t i = 0; i < sizeof ill / sizeof ill[0]; i++) refuse8(ill[i].name, (const uint8_t *)ill[i].s, ill[i].n);
    }

    /* capacity: exact room works, one byte less refused, nothing past cap */
    {
        const uint8_t *s8 = (const uint8_t *)"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
        uint8_t buf[32];
        for (size_t cap = 0; cap <= 12; cap++) {
            memset(buf, 0xA5, sizeof buf);
            size_t r = lmz_utf16_to_utf8(known, 10, 0, buf, cap);
            int untouched = 1;
            for (size_t i = cap; i < sizeof buf; i++) untouched &= buf[i] == 0xA5;
            CHECK(cap >= 10 ? r == 10 && !memcmp(buf, s8, 10) : r == BAD, "to UTF-8, cap %zu: %zu", cap, r);
            CHECK(untouched, "to UTF-8, cap %zu: wrote past cap", cap);
            memset(buf, 0xA5, sizeof buf);
            r = lmz_utf8_to_utf16(s8, 10, 0, buf, cap);
            untouched = 1;
            for (size_t i = cap; i < sizeof buf; i++) untouched &= buf[i] == 0xA5;
            CHECK(cap >= 10 ? r == 10 && !memcmp(buf, known, 10) : r == BAD, "to UTF-16, cap %zu: %zu", cap, r);
            CHECK(untouched, "to UTF-16, cap %zu: wrote past cap", cap);
        }
        /* a surrogate pair needs all 4 bytes: 3 is not "one unit fits" */
        CHECK(lmz_utf8_to_utf16(s8 + 6, 4, 1, buf, 3) == BAD && lmz_utf8_to_utf16(s8 + 6, 4, 1, buf, 4) == 4,
              "pair: cap 3 refused, 4 fits");
        CHECK(lmz_utf16_to_utf8(known + 6, 4, 0, buf, 3) == BAD && lmz_utf16_to_utf8(known + 6, 4, 0, buf, 4) == 4,
              "emoji: cap 3 refused, 4 fits");
    }

    /* size agreement on mixed random valid UTF-8 */
    {
        size_t bad = 0;
        for (int t = 0; t < 2000; t++) {
            uint8_t s[64], u[128];
            size_t n = 0, want = 0;
            while (n < 60) {
                uint32_t c = rnd() % 0x110000;
                if (c >= 0xD800 && c <= 0xDFFF) continue;
                if (rnd() & 1) c &= 0x7FF;
                n += enc8(c, s + n);
                want += c >= 0x10000 ? 4 : 2;
            }
            size_t sz = lmz_utf8_utf16_size(s, n);
            if (sz != want || lmz_utf8_to_utf16(s, n, t & 1, u, sizeof u) != sz) bad++;
        }
        CHECK(bad == 0, "size agreement: %zu failures", bad);
    }

    every_code_point();
    random_utf16();

    /* detection */
    {
        uint8_t b[4096];
        static const char text[] = "The quick brown fox jumps over the lazy dog.";
        size_t k = strlen(text);
        uint16_t u[64];
        for (size_t i = 0; i < k; i++) u[i] = (uint8_t)text[i];
        for (int be = 0; be < 2; be++) {
            size_t n = units(u, k, be, b);
            CHECK(lmz_utf16_detect(b, n) == 1 + be, "no-BOM ASCII be=%d", be);
            CHECK(lmz_utf16_detect(b, n - 1) == 0, "odd length be=%d", be);
            CHECK(lmz_utf16_detect(b, 4) == 1 + be, "4 bytes be=%d", be);
            CHECK(lmz_utf16_detect(b, 2) == 0, "2 bytes be=%d", be);
        }
        CHECK(lmz_utf16_detect((const uint8_t *)"\xff\xfe\x41\x00", 4) == 1, "BOM LE");
        CHECK(lmz_utf16_detect((const uint8_t *)"\xfe\xff\x00\x41", 4) == 2, "BOM BE");
        CHECK(lmz_utf16_detect((const uint8_t *)"\xff\xfe\x00\x41", 4) == 1, "BOM LE decides over content");
        CHECK(lmz_utf16_detect((const uint8_t *)"\xff\xfe\x41\x00\x42", 5) == 0, "BOM, odd length");
        CHECK(lmz_utf16_detect((const uint8_t *)"\xff\xfe", 2) == 0, "BOM alone, too short");
        for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)rnd();
        CHECK(lmz_utf16_detect(b, sizeof b) == 0, "random binary");
        memset(b, 0, sizeof b);
        CHECK(lmz_utf16_detect(b, sizeof b) == 0, "all zeros");
        memset(b, 0xAB, sizeof b);
        CHECK(lmz_utf16_detect(b, sizeof b) == 0, "no zeros");
        CHECK(lmz_utf16_detect((const uint8_t *)"abcdefgh", 8) == 0, "ASCII (UTF-8) text");
        /* CJK: high bytes not zero, so not "plausible" without a BOM */
        static const uint16_t cjk[] = {0x4E2D, 0x6587, 0x65E5, 0x672C};
        size_t n = units(cjk, 4, 0, b);
        CHECK(lmz_utf16_detect(b, n) == 0, "BOM-less CJK is not detected");
        /* only the first 32768 units count */
        static uint8_t big[4 * 32768];
        for (size_t i = 0; i < 32768; i++) big[2 * i] = 'a', big[2 * i + 1] = 0;
        for (size_t i = 65536; i < sizeof big; i++) big[i] = (uint8_t)rnd();
        CHECK(lmz_utf16_detect(big, sizeof big) == 1, "first 32768 units decide");
        /* 3/4 exactly: 3 of 4 units with zero high byte */
        static const uint16_t mix[] = {0x41, 0x42, 0x43, 0x4E2D};
        n = units(mix, 4, 1, b);
        CHECK(lmz_utf16_detect(b, n) == 2, "3/4 high bytes zero is enough");
        static const uint16_t mix2[] = {0x41, 0x42, 0x4E2D, 0x4E2D};
        n = units(mix2, 4, 1, b);
        CHECK(lmz_utf16_detect(b, n) == 0, "1/2 high bytes zero is not");
    }

    text_file(argc > 1 ? argv[1] : LMZ_TESTDATA "/corpus/canterbury/alice29.txt");
    return check_done("test_utf16");
}
