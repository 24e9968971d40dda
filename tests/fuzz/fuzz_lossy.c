/*
 * tests/fuzz/fuzz_lossy.c — the lossy mode's text analysis on ANY bytes, and
 * the lossy transform on any text, with the fuzz tiny model.
 *
 * Input: byte 0 picks the level (1 + byte % 5); the rest (at most 4 KiB) is
 * the text. Checks:
 *   - lz_protect / lz_segment: spans sorted, disjoint, inside the input;
 *     units sorted, inside the input; every span inside one unit (else a
 *     kept unit could never show it: the news level-1 failure);
 *   - lz_canon_append with its origin map, unit by unit: one entry per
 *     output byte, never decreasing, inside the unit; a copied ASCII byte
 *     maps to itself;
 *   - on text (lz_is_text): lmz_lossy_transform at the level succeeds and
 *     keeps every protected span of the kept units, adds none; chrF in
 *     [0, 1].
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "lossy/lossy.h"
#include "lossy/text.h"

#define MAX_TEXT 4096

static void check_units(const char *s, size_t n) {
    lz_spans sp;
    lz_units u;
    if (lz_protect(s, n, &sp)) return; /* out of memory: nothing to check */
    if (lz_segment(s, n, &sp, &u)) {
        lz_spans_free(&sp);
        return;
    }
    for (size_t k = 0; k < sp.n; k++) {
        const lz_span *S = &sp.v[k];
        FUZZ_ASSERT(S->start < S->end && S->end <= n, "span %zu: %u..%u of %zu", k, S->start, S->end, n);
        FUZZ_ASSERT(k == 0 || sp.v[k - 1].end <= S->start, "spans %zu and %zu overlap or are unsorted", k - 1, k);
    }
    /* spans and units are sorted: the unit that could hold span k is the
     * last one starting at or before it */
    size_t i = 0;
    for (size_t k = 0; k < sp.n; k++) {
        while (i + 1 < u.n && u.v[i + 1].start <= sp.v[k].start) i++;
        int inside = i < u.n && sp.v[k].start >= u.v[i].start && sp.v[k].end <= u.v[i].end;
        FUZZ_ASSERT(inside, "span %u..%u [%.*s] lies in no unit", sp.v[k].start, sp.v[k].end,
                    (int)(sp.v[k].end - sp.v[k].start), s + sp.v[k].start);
    }
    lz_buf out = {0};
    lz_map map = {0};
    for (size_t q = 0; q < u.n; q++) {
        const lz_unit *U = &u.v[q];
        FUZZ_ASSERT(U->start <= U->end && U->end <= n, "unit %zu: %u..%u of %zu", q, U->start, U->end, n);
        FUZZ_ASSERT(q == 0 || u.v[q - 1].start <= U->start, "units %zu and %zu unsorted", q - 1, q);
        if (U->kind != LZ_U_SENT) continue;
        out.n = 0, map.n = 0;
        lz_canon_append(&out, s, U->start, U->end, &sp, NULL, 0, &map);
        if (out.oom || map.oom) break;
        FUZZ_ASSERT(map.n == out.n, "map: %zu entries for %zu bytes", map.n, out.n);
        for (size_t b = 0; b < out.n; b++) {
            FUZZ_ASSERT(map.v[b] >= U->start && map.v[b] < U->end, "byte %zu maps to %u, outside %u..%u", b, map.v[b],
                        U->start, U->end);
            FUZZ_ASSERT(b == 0 || map.v[b] >= map.v[b - 1], "map decreases at byte %zu", b);
            unsigned char o = (unsigned char)s[map.v[b]];
            /* else a joining space, or an ASCII stand-in for a typographic character */
            FUZZ_ASSERT(out.p[b] == ' ' || o >= 0x80 || out.p[b] == (char)o, "byte %zu ('%c') maps to '%c'", b,
                        out.p[b], o);
        }
    }
    lz_map_free(&map);
    lz_buf_free(&out);
    lz_units_free(&u);
    lz_spans_free(&sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const int level = 1 + data[0] % 5;
    size_t n = size - 1 < MAX_TEXT ? size - 1 : MAX_TEXT;
    char *s = malloc(n ? n : 1); /* exact size: overreads are caught */
    if (!s) return 0;
    if (n) memcpy(s, data + 1, n);
    check_units(s, n);
    if (lz_is_text(s, n)) {
        lmz_lossy_opts o;
        lmz_lossy_opts_default(&o);
        o.level = level;
        o.verify = 0;
        o.target_ratio = 3; /* tiny model: drop some units, not all */
        lmz_params p;
        lmz_params_default(&p);
        p.threads = 1;
        char *out = NULL, msg[256] = "";
        lmz_lossy_stats st;
        size_t r = lmz_lossy_transform(fuzz_tiny_model(), &p, &o, s, n, &out, &st, msg, sizeof msg);
        FUZZ_ASSERT(!lmz_is_error(r), "level %d transform failed: %s", level, msg);
        FUZZ_ASSERT(st.prot_kept == st.prot_total && st.prot_added == 0, "level %d: %llu of %llu spans kept, %llu added",
                    level, (unsigned long long)st.prot_kept, (unsigned long long)st.prot_total,
                    (unsigned long long)st.prot_added);
        FUZZ_ASSERT(st.chrf_kept >= 0 && st.chrf_kept <= 1 && st.chrf_doc >= 0 && st.chrf_doc <= 1, "chrF %f %f",
                    st.chrf_kept, st.chrf_doc);
        free(out);
    }
    free(s);
    return 0;
}
