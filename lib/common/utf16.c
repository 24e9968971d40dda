/*
 * lib/common/utf16.c — UTF-16 (either byte order) to strict UTF-8 and back,
 * exactly: the chunk transform that codes UTF-16 text as UTF-8 and restores
 * the original bytes. Strict both ways, so every accepted input has one image
 * and converting it back gives the input: an unpaired surrogate, an odd
 * length or ill-formed UTF-8 is refused rather than repaired. Integer only,
 * no locale.
 */
#include "common/common.h"

/* ------------------------------------------------------------------------ */
/* Code units                                                               */
/* ------------------------------------------------------------------------ */

/* The 16-bit code unit at p in the given byte order. */
static uint32_t get16(const uint8_t *p, int be) {
    return be ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[1] << 8 | p[0]);
}

/* Stores code unit u at p in the given byte order. */
static void put16(uint8_t *p, uint32_t u, int be) {
    p[be ? 0 : 1] = (uint8_t)(u >> 8);
    p[be ? 1 : 0] = (uint8_t)u;
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                              */
/* ------------------------------------------------------------------------ */

/* Pairs surrogates, refuses lone ones, writes each code point's shortest UTF-8. */
size_t lmz_utf16_to_utf8(const uint8_t *src, size_t n, int be, uint8_t *dst, size_t cap) {
    if (n & 1) return LMZ_UTF16_BAD;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 2) {
        uint32_t c = get16(src + i, be);
        if (c >= 0xDC00 && c <= 0xDFFF) return LMZ_UTF16_BAD; /* low surrogate first */
        if (c >= 0xD800 && c <= 0xDBFF) {
            uint32_t lo = i + 4 <= n ? get16(src + i + 2, be) : 0;
            if (lo < 0xDC00 || lo > 0xDFFF) return LMZ_UTF16_BAD; /* high one alone */
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        }
        size_t len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (len > cap - o) return LMZ_UTF16_BAD;
        if (len == 1) {
            dst[o] = (uint8_t)c;
        } else {
            static const uint8_t lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
            for (size_t k = len - 1; k > 0; k--, c >>= 6) dst[o + k] = (uint8_t)(0x80 | (c & 0x3F));
            dst[o] = (uint8_t)(lead[len] | c);
        }
        o += len;
    }
    return o;
}

/* Decodes each strict UTF-8 sequence, splitting code points above U+FFFF into a pair. */
size_t lmz_utf8_to_utf16(const uint8_t *src, size_t n, int be, uint8_t *dst, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t len = lmz_utf8_len(src + i, n - i, 1);
        if (!len) return LMZ_UTF16_BAD;
        static const uint8_t mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
        uint32_t c = src[i] & mask[len];
        for (uint32_t k = 1; k < len; k++) c = c << 6 | (src[i + k] & 0x3F);
        i += len;
        size_t units = c >= 0x10000 ? 2 : 1;
        if (2 * units > cap - o) return LMZ_UTF16_BAD;
        if (units == 2) {
            put16(dst + o, 0xD800 + ((c - 0x10000) >> 10), be);
            put16(dst + o + 2, 0xDC00 + (c & 0x3FF), be);
        } else {
            put16(dst + o, c, be);
        }
        o += 2 * units;
    }
    return o;
}

/* lmz_utf8_to_utf16's output length without writing it. */
size_t lmz_utf8_utf16_size(const uint8_t *src, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t len = lmz_utf8_len(src + i, n - i, 1);
        if (!len) return LMZ_UTF16_BAD;
        i += len;
        o += len == 4 ? 4 : 2;
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/* Detection                                                                */
/* ------------------------------------------------------------------------ */

/* BOM, else which byte of each unit is mostly zero (the high byte of Latin text). */
int lmz_utf16_detect(const uint8_t *p, size_t n) {
    if (n < 4 || (n & 1)) return 0;
    if (p[0] == 0xFF && p[1] == 0xFE) return 1;
    if (p[0] == 0xFE && p[1] == 0xFF) return 2;
    size_t m = n / 2 < 32768 ? n / 2 : 32768, z0 = 0, z1 = 0; /* zero even / odd bytes */
    for (size_t i = 0; i < m; i++) {
        z0 += p[2 * i] == 0;
        z1 += p[2 * i + 1] == 0;
    }
    int hi1 = 4 * z1 >= 3 * m, hi0 = 4 * z0 >= 3 * m;
    return hi1 && !hi0 ? 1 : hi0 && !hi1 ? 2 : 0;
}
