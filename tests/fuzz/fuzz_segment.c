/*
 * tests/fuzz/fuzz_segment.c — the compressor's cut of a chunk into text,
 * binary and base64 runs (segment_runs(), lib/compress/segment.h: what a
 * `seg` chunk's run table is made from) on arbitrary bytes.
 *
 * Input: any bytes (the chunk).
 *
 * Checks: at most seg_runs_max(n) runs (the room the compressor gives);
 * none for an empty input; every run >= 1 byte, together exactly n; no two
 * text runs or two binary runs side by side; text runs made of whole text
 * units and gaps of fewer than SEG_GAP binary bytes, ending with a text
 * unit; binary runs never holding SEG_MIN_TEXT text bytes in a row (they
 * would be text); base64 runs (kind SEG_B64_BINARY: the caller picks the
 * part) of at least SEG_MIN_B64 bytes, at a line start or where a text
 * stretch starts (after a binary byte), of a line width in
 * [16, SEG_B64_MAX_W] and a multiple of 4, as long as doc/format.md says,
 * and exact: decoded (seg_b64_decode) and encoded again (b64_encode_lines,
 * what the decoder writes) they give back their bytes — else a chunk coded
 * with them would not decode to itself; *text and *b64 = the bytes of the
 * text and base64 runs.
 */
#include <stdlib.h>
#include <string.h>

#include "compress/segment.h"
#include "fuzz/fuzz_common.h"

static void check_text_run(const uint8_t *b, size_t n, size_t at, size_t len, uint32_t r) {
    size_t i = at, end = at + len;
    int last_text = 0;
    while (i < end) {
        uint32_t u = seg_text_unit(b + i, n - i);
        if (u) {
            FUZZ_ASSERT(i + u <= end, "text run %u: a unit crosses its end", r);
            i += u;
            last_text = 1;
            continue;
        }
        size_t g = i;
        while (g < end && !seg_text_unit(b + g, n - g)) g++;
        FUZZ_ASSERT(g - i < SEG_GAP, "text run %u: a gap of %zu binary bytes", r, g - i);
        i = g;
        last_text = 0;
    }
    FUZZ_ASSERT(last_text, "text run %u ends with a binary byte", r);
}

static void check_binary_run(const uint8_t *b, size_t n, size_t at, size_t len, uint32_t r) {
    /* text units back to back for SEG_MIN_TEXT bytes would have made a text run */
    size_t i = at, streak = 0, end = at + len;
    while (i < end) {
        uint32_t u = seg_text_unit(b + i, n - i);
        if (!u) {
            streak = 0;
            i++;
            continue;
        }
        if (i + u > end) break; /* the unit runs into the next run */
        streak += u;
        i += u;
        FUZZ_ASSERT(streak < SEG_MIN_TEXT, "binary run %u holds %zu text bytes in a row", r, streak);
    }
}

static void check_b64_run(const uint8_t *b, size_t n, size_t at, const seg_run *run, uint32_t r) {
    FUZZ_ASSERT(run->len >= SEG_MIN_B64, "base64 run %u of %llu bytes", r, (unsigned long long)run->len);
    FUZZ_ASSERT(at == 0 || b[at - 1] == '\n' || !seg_text_unit(b + at - 1, n - at + 1),
                "base64 run %u neither at a line start nor after a binary byte", r);
    FUZZ_ASSERT(run->w >= 16 && run->w <= SEG_B64_MAX_W && run->w % 4 == 0 && run->crlf <= 1 && run->v >= 1,
                "base64 run %u: width %u, eol %u, %u bytes", r, run->w, run->crlf, run->v);
    FUZZ_ASSERT(b64_run_len(run->v, run->w, run->crlf) == run->len, "base64 run %u: length %llu for %u bytes", r,
                (unsigned long long)run->len, run->v);
    uint8_t *d = malloc(run->v), *e = malloc(run->len);
    FUZZ_ASSERT(d && e, "oom");
    seg_b64_decode(b + at, run, d);
    const size_t k = b64_encode_lines(d, run->v, run->w, run->crlf, e);
    FUZZ_ASSERT(k == run->len && memcmp(e, b + at, k) == 0, "base64 run %u at %zu is not given back exactly", r, at);
    free(d);
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= LMZ_MAX_CHUNK_SIZE) return 0;
    uint8_t *b = malloc(size ? size : 1); /* exact size: overreads are caught */
    FUZZ_ASSERT(b, "oom");
    if (size) memcpy(b, data, size);
    const size_t cap = seg_runs_max(size);
    seg_run *runs = malloc(cap * sizeof *runs);
    FUZZ_ASSERT(runs, "oom");
    size_t text = (size_t)-1, b64 = (size_t)-1;
    const uint32_t nr = segment_runs(b, size, runs, &text, &b64);
    FUZZ_ASSERT(nr <= cap, "%u runs, room for %zu", nr, cap);
    FUZZ_ASSERT((nr == 0) == (size == 0), "%u runs for %zu bytes", nr, size);
    size_t at = 0, t = 0, t64 = 0;
    for (uint32_t r = 0; r < nr; r++) {
        const seg_run *run = &runs[r];
        FUZZ_ASSERT(run->len >= 1 && run->len <= size - at, "run %u: %llu bytes at %zu of %zu", r,
                    (unsigned long long)run->len, at, size);
        FUZZ_ASSERT(run->kind == SEG_TEXT || run->kind == SEG_BINARY || run->kind == SEG_B64_BINARY, "run %u: kind %u",
                    r, run->kind);
        if (r > 0 && run->kind <= SEG_BINARY)
            FUZZ_ASSERT(runs[r - 1].kind != run->kind, "runs %u and %u both of kind %u", r - 1, r, run->kind);
        if (run->kind == SEG_B64_BINARY) {
            check_b64_run(b, size, at, run, r);
            t64 += run->len;
        } else {
            FUZZ_ASSERT(run->v == run->len, "run %u: %u bytes, length %llu", r, run->v, (unsigned long long)run->len);
            if (run->kind == SEG_TEXT) {
                check_text_run(b, size, at, run->len, r);
                t += run->len;
            } else {
                check_binary_run(b, size, at, run->len, r);
            }
        }
        at += run->len;
    }
    FUZZ_ASSERT(at == size, "runs cover %zu of %zu bytes", at, size);
    FUZZ_ASSERT(text == t && b64 == t64, "text %zu / base64 %zu, runs %zu / %zu", text, b64, t, t64);
    free(runs);
    free(b);
    return 0;
}
