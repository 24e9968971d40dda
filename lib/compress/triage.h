/*
 * lib/compress/triage.h — before the model runs on a chunk: is it worth its
 * minutes? (Shared with tests/unit/test_triage.c, which checks the corpus
 * text files against it.) Not format semantics: a decoder never needs it.
 *
 * The model costs about a second per 10 KB each way, the classical coders
 * milliseconds. zstd -19's size c (the compressor computes it first; it is a
 * candidate anyway) and the chunk's order-0 entropy H0 decide:
 *  - nothing left to gain: c <= n / 80 (0.1 bit per byte: a run of one byte,
 *    a log of identical lines): the model could save a few bytes at most;
 *  - zstd found almost no structure beyond the byte frequencies
 *    (8c >= 0.9 * H0 * n: base64 or hex of random or compressed data,
 *    hashes): the compressor tries the model on a sample first (a short
 *    English text looks like this too, zstd's overhead on few bytes);
 *  - else the model runs.
 * Integer arithmetic only: the decision, hence the output, is the same on
 * every machine.
 */
#ifndef LMZ_TRIAGE_H
#define LMZ_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

enum { TRIAGE_MODEL, TRIAGE_CLASSICAL, TRIAGE_SAMPLE_FIRST };

/* log2(x) in units of 2^-16 for x >= 1, bit by bit (squaring the mantissa). */
static inline uint64_t triage_log2_q16(uint64_t x) {
    uint32_t e = 63u - (uint32_t)__builtin_clzll(x);
    uint64_t r = (uint64_t)e << 16;
    uint64_t m = e <= 30 ? x << (30 - e) : x >> (e - 30); /* mantissa in [1, 2), 30 fraction bits */
    for (int bit = 15; bit >= 0; bit--) {
        m = (m * m) >> 30; /* < 2^62 before the shift */
        if (m >= (uint64_t)2 << 30) {
            m >>= 1;
            r |= (uint64_t)1 << bit;
        }
    }
    return r;
}

/* n * H0 of p[0..n) (order-0 entropy times length), in units of 2^-16 bits. */
static inline uint64_t triage_entropy0_q16(const uint8_t *p, size_t n) {
    uint64_t cnt[256] = {0}, sum = 0;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) cnt[p[i]]++;
    for (int b = 0; b < 256; b++)
        if (cnt[b]) sum += cnt[b] * triage_log2_q16(cnt[b]);
    return (uint64_t)n * triage_log2_q16(n) - sum;
}

/* The decision for text chunk p[0..n) whose zstd -19 size is zs (0: not
 * known, or no smaller than the input: the model runs). */
static inline int triage_classical(const uint8_t *p, size_t n, size_t zs) {
    if (zs == 0) return TRIAGE_MODEL;
    if ((uint64_t)zs * 80 <= n) return TRIAGE_CLASSICAL;
    if ((uint64_t)zs * 8 * 65536 * 10 >= 9 * triage_entropy0_q16(p, n)) return TRIAGE_SAMPLE_FIRST;
    return TRIAGE_MODEL;
}

#endif
