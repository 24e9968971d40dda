/*
 * lib/compress/segment.h — where a chunk's text and binary runs are (the
 * `seg` method, doc/format.md §3.1). Shared with tests/unit/test_segment.c.
 * Not format semantics: a decoder reads the runs from the payload.
 *
 * A byte scan with hysteresis, so that neither the model nor the classical
 * coder is handed crumbs:
 *  - text bytes: printable ASCII, \t \n \v \f \r, escape (as looks_binary
 *    in compress.c), and whole strict UTF-8 sequences; every other byte is
 *    binary (NUL, other control bytes, invalid UTF-8);
 *  - a text run may hold gaps of fewer than SEG_GAP binary bytes as long as
 *    they are at most 1/16 of it (tar padding before the next name, a stray
 *    control byte), so a string table (short strings between NULs) stays
 *    binary;
 *  - a text run shorter than SEG_MIN_TEXT bytes is binary (tar header
 *    fields, strings inside executables and spreadsheets).
 * Runs alternate: a text run is always followed by a binary one and back.
 */
#ifndef LMZ_SEGMENT_H
#define LMZ_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define SEG_MIN_TEXT 128u /* shorter text runs are binary */
#define SEG_GAP 8u        /* binary gaps shorter than this may stay inside text */

/* Runs buf[0..n) can make at most (text runs are >= SEG_MIN_TEXT bytes and
 * alternate with binary ones). */
static inline size_t seg_runs_max(size_t n) { return 2 * (n / SEG_MIN_TEXT) + 2; }

/* Length of the text unit at p (1 for ASCII text bytes, the sequence length
 * for strict UTF-8), 0 for a binary byte. */
static inline uint32_t seg_text_unit(const uint8_t *p, size_t n) {
    const uint8_t c = p[0];
    if (c >= 0x20 && c < 0x7F) return 1;
    if ((c >= 0x09 && c <= 0x0D) || c == 0x1B) return 1; /* \t \n \v \f \r, escape */
    if (c < 0x80) return 0;
    return lmz_utf8_len(p, n, 1);
}

/* Appends a run of kind (SEG_TEXT 0 / SEG_BINARY 1), merging with the last
 * run when it has the same kind. */
static inline void seg_push(uint32_t *runs, uint32_t *nr, uint8_t *first, int *last, int kind, size_t len) {
    if (len == 0) return;
    if (*nr > 0 && *last == kind) {
        runs[*nr - 1] += (uint32_t)len;
        return;
    }
    if (*nr == 0) *first = (uint8_t)kind;
    runs[(*nr)++] = (uint32_t)len;
    *last = kind;
}

/* Cuts buf[0..n) (n < 2^32) into alternating runs: their lengths in
 * runs[0..return) (room for seg_runs_max(n)), *first the kind of run 0,
 * *text the bytes in text runs. */
static inline uint32_t segment_runs(const uint8_t *buf, size_t n, uint32_t *runs, uint8_t *first, size_t *text) {
    uint32_t nr = 0;
    int last = -1;
    *first = 1;
    *text = 0;
    size_t i = 0;
    while (i < n) {
        if (!seg_text_unit(buf + i, n - i)) { /* a binary run: up to the next text unit */
            size_t j = i + 1;
            while (j < n && !seg_text_unit(buf + j, n - j)) j++;
            seg_push(runs, &nr, first, &last, 1, j - i);
            i = j;
            continue;
        }
        /* a text stretch from i, taking in short gaps while they stay rare */
        size_t j = i, end = i, holes = 0;
        while (j < n) {
            uint32_t u = seg_text_unit(buf + j, n - j);
            if (u) {
                j += u;
                end = j;
                continue;
            }
            size_t g = j + 1;
            while (g < n && g - j < SEG_GAP && !seg_text_unit(buf + g, n - g)) g++;
            if (g - j >= SEG_GAP || g == n || (holes + (g - j)) * 16 > g - i) break;
            holes += g - j;
            j = g;
        }
        const int kind = end - i >= SEG_MIN_TEXT ? 0 : 1;
        if (kind == 0) *text += end - i;
        seg_push(runs, &nr, first, &last, kind, end - i);
        i = end;
    }
    return nr;
}

#endif /* LMZ_SEGMENT_H */
