/*
 * lib/common/utf8.c — the one UTF-8 check of the library (tokenizer,
 * compressor, lossy mode).
 */
#include "common/common.h"

uint32_t lmz_utf8_len(const uint8_t *p, size_t n, int strict) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    uint32_t len = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (!len || n < len) return 0;
    for (uint32_t k = 1; k < len; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    if (strict) {
        if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogate */
        if (c == 0xF0 && p[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
    }
    return len;
}

int lmz_utf8_valid(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t l = lmz_utf8_len(p + i, n - i, 1);
        if (!l) return 0;
        i += l;
    }
    return 1;
}
