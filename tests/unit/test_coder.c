/*
 * tests/unit/test_coder.c — frequency tables and the range coder.
 *
 *  - freqs_from_logits: total exact, all >= 1, deterministic, argmax gets the
 *    remainder, -inf / huge / NaN / all-equal logits, and agreement with an
 *    independent re-implementation of the spec (doc/format.md).
 *  - range coder round trips on skewed, uniform and degenerate tables,
 *    carry-propagation stress, overhead vs the ideal code length, and the
 *    decoder on random garbage (never crashes, symbols in range).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "coder/coder.h"
#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static double rng_unit(void) { return (double)(rng() >> 11) * (1.0 / 9007199254740992.0); }
static float rng_normal(void) { /* Box-Muller; test-side only */
    double u = rng_unit() + 1e-300, v = rng_unit();
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static int table_ok(const lmz_freqs *f) {
    uint64_t s = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        if (f->freq[i] < 1) return 0;
        s += f->freq[i];
    }
    return s == LMZ_FREQ_TOTAL;
}

static uint32_t argmax_of(const float *l, uint32_t n) {
    uint32_t a = 0;
    for (uint32_t i = 1; i < n; i++)
        if (l[i] > l[a]) a = i;
    return a;
}

/* Independent implementation of the spec, written from doc/format.md with
 * plain loops (different structure from lib/coder/freqs.c). */
static int ref_overshoots; /* times the reference took step 6 */
static void ref_freqs(const float *l, uint32_t n, uint32_t *freq) {
    float m = -INFINITY;
    for (uint32_t i = 0; i < n; i++)
        if (l[i] > m) m = l[i];
    uint32_t a = 0;
    for (uint32_t i = 0; i < n; i++)
        if (l[i] == m) { a = i; break; }
    float lane[16] = {0};
    float *p = malloc(n * sizeof *p);
    for (uint32_t i = 0; i < n; i++) {
        p[i] = lmz_expf(l[i] - m);
        lane[i % 16] += p[i];
    }
    float S = lmz_sum16_tree(lane);
    uint32_t B = LMZ_FREQ_TOTAL - n;
    float scale = S > 0 ? (float)B / S : 0;
    uint64_t T;
    for (;;) {
        T = 0;
        for (uint32_t i = 0; i < n; i++) {
            float q = p[i] * scale;
            if (!(q >= 0)) q = 0;
            if (q > (float)B) q = (float)B;
            freq[i] = 1 + (uint32_t)q;
            T += freq[i];
        }
        if (T <= LMZ_FREQ_TOTAL) break;
        ref_overshoots++;
        scale = scale * (127.0f / 128.0f);
    }
    freq[a] += (uint32_t)(LMZ_FREQ_TOTAL - T);
    free(p);
}

/* Encode syms under fixed tables (one table per symbol via tab[k % ntab]),
 * decode them back; returns the coded size (0 on failure). */
static size_t roundtrip(lmz_freqs *tabs, int ntab, const uint32_t *syms, size_t count, int *ok) {
    size_t cap = count * 4 + 64;
    uint8_t *buf = malloc(cap);
    lmz_renc e;
    renc_init(&e, buf, cap);
    for (size_t k = 0; k < count; k++) {
        lmz_freqs *f = &tabs[k % (size_t)ntab];
        renc_encode(&e, f->cum[syms[k]], f->freq[syms[k]], LMZ_FREQ_BITS);
    }
    size_t sz = renc_finish(&e);
    *ok = !lmz_is_error(sz);
    if (!*ok) { free(buf); return 0; }
    lmz_rdec d;
    rdec_init(&d, buf, sz);
    size_t bad = 0;
    for (size_t k = 0; k < count; k++) {
        lmz_freqs *f = &tabs[k % (size_t)ntab];
        uint32_t t = rdec_target(&d, LMZ_FREQ_BITS);
        uint32_t s = freqs_find(f, t);
        rdec_consume(&d, f->cum[s], f->freq[s]);
        if (s != syms[k]) bad++;
    }
    *ok = bad == 0 && rdec_finish(&d) == 0 && !d.error;
    free(buf);
    return sz;
}

/* XXH64-based hash of the 33 tables built from the default model's
 * reference logits (see test_overhead). */
#define REF_TABLES_HASH 0xa17a7f25a864b75dull

static uint32_t sample(const lmz_freqs *f) { return freqs_find(f, (uint32_t)(rng() >> 40)); }

static double ideal_bits(const lmz_freqs *f, uint32_t s) {
    return -log2((double)f->freq[s] / (double)LMZ_FREQ_TOTAL);
}

/* ------------------------------------------------------------------------ */
/* freqs_from_logits                                                        */
/* ------------------------------------------------------------------------ */

/* freqs.c uses a branch-free copy of lmz_expf so that its loops vectorise;
 * it must agree bit for bit. (Checked exhaustively over all 2^32 inputs
 * once; here a stride through all bit patterns plus the special values.) */
/* lmz_expf's steps written with plain branches (the definition); the
 * library's branch-free form must equal it bit for bit. */
static float expf_branchy(float x) {
    if (!(x >= LMZ_EXP_LO)) return 0.0f;
    if (x > LMZ_EXP_HI) x = LMZ_EXP_HI;
    float n = lmz_roundf_ne(x * 1.44269502925872802734375f);
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.42860676533018704503775e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t ni = (int32_t)n;
    uint32_t bits = (uint32_t)(ni + 127) << 23;
    float s;
    memcpy(&s, &bits, 4);
    return p * s;
}
static int same_bits(float a, float b) { return memcmp(&a, &b, 4) == 0; }
static void test_expf_copy(void) {
    uint64_t bad = 0;
    for (uint64_t u = 0; u < (1ull << 32); u += 251) {
        uint32_t b = (uint32_t)u;
        float x;
        memcpy(&x, &b, 4);
        bad += !same_bits(lmz_expf(x), expf_branchy(x));
    }
    const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, LMZ_EXP_LO, LMZ_EXP_HI, -87.0001f, 88.0001f, 1e-45f};
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
        bad += !same_bits(lmz_expf(specials[i]), expf_branchy(specials[i]));
    for (float x = -90.0f; x < 90.0f; x += 0.0009765625f) bad += !same_bits(lmz_expf(x), expf_branchy(x));
    CHECK(bad == 0, "branch-free exp == lmz_expf (%llu mismatches)", (unsigned long long)bad);
}

/* freqs_interval (the encoder's table-free path) gives f's interval of
 * symbol s for every s tried: 0, the middle, the last, the argmax and its
 * neighbours. f: freqs_from_logits(l); g: a scratch table. */
static int interval_ok(lmz_freqs *g, const float *l, const lmz_freqs *f) {
    const uint32_t n = f->n;
    uint32_t a = 0;
    for (uint32_t i = 1; i < n; i++) a = f->freq[i] > f->freq[a] ? i : a;
    const uint32_t ss[] = {0, n / 2, n - 1, a, a ? a - 1 : 0, a + 1 < n ? a + 1 : a};
    int ok = 1;
    for (int k = 0; k < 6; k++) {
        uint32_t c = 0, fr = 0, cref = 0;
        for (uint32_t i = 0; i < ss[k]; i++) cref += f->freq[i];
        freqs_interval(g, l, ss[k], &c, &fr);
        ok &= c == cref && fr == f->freq[ss[k]];
    }
    return ok;
}

static void test_freqs(void) {
    const uint32_t sizes[] = {1, 2, 3, 15, 16, 17, 100, 1000, 16384, 50000};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        uint32_t n = sizes[si];
        lmz_freqs f, g;
        CHECK(freqs_init(&f, n) == 0 && freqs_init(&g, n) == 0, "init %u", n);
        float *l = malloc(n * sizeof *l);
        uint32_t *ref = malloc(n * sizeof *ref);
        for (int trial = 0; trial < 6; trial++) {
            float sigma = trial == 0 ? 0.0f : (float)(trial * 3);
            for (uint32_t i = 0; i < n; i++) l[i] = sigma * rng_normal() + 5.0f;
            freqs_from_logits(&f, l);
            CHECK(table_ok(&f), "total/min n=%u trial %d", n, trial);
            CHECK(interval_ok(&g, l, &f), "freqs_interval == the table's interval n=%u trial %d", n, trial);
            freqs_from_logits(&g, l);
            CHECK(memcmp(f.freq, g.freq, n * 4) == 0, "deterministic n=%u", n);
            ref_freqs(l, n, ref);
            CHECK(memcmp(f.freq, ref, n * 4) == 0, "matches spec reference n=%u trial %d", n, trial);
            uint32_t a = argmax_of(l, n);
            uint32_t mx = 0;
            for (uint32_t i = 0; i < n; i++) mx = f.freq[i] > mx ? f.freq[i] : mx;
            CHECK(f.freq[a] == mx, "argmax has the largest freq n=%u", n);
            if (trial == 0) { /* all equal: floor(B/n)+1 each, remainder to symbol 0 */
                uint32_t B = LMZ_FREQ_TOTAL - n, base = 1 + B / n;
                int eq = 1;
                for (uint32_t i = 1; i < n; i++) eq &= f.freq[i] == base;
                CHECK(eq && f.freq[0] == base + B % n, "all-equal n=%u: %u %u", n, f.freq[0], f.freq[n > 1]);
            }
        }
        /* argmax gets the remainder: with a dominant logit the argmax is
         * 1 + floor(1*scale) + remainder, i.e. total - sum(others). */
        for (uint32_t i = 0; i < n; i++) l[i] = (float)(i % 7);
        l[n / 2] = 40.0f;
        freqs_from_logits(&f, l);
        CHECK(table_ok(&f) && f.freq[n / 2] >= LMZ_FREQ_TOTAL - 2 * n, "dominant n=%u %u", n, f.freq[n / 2]);
        /* ties: lowest id gets the remainder */
        for (uint32_t i = 0; i < n; i++) l[i] = 0.0f;
        if (n >= 3) {
            l[1] = l[n - 1] = 3.0f;
            freqs_from_logits(&f, l);
            CHECK(table_ok(&f) && f.freq[1] >= f.freq[n - 1], "tie lowest id n=%u", n);
            ref_freqs(l, n, ref);
            CHECK(memcmp(f.freq, ref, n * 4) == 0, "tie ref n=%u", n);
        }
        /* -inf, huge and NaN logits */
        for (uint32_t i = 0; i < n; i++) l[i] = (i % 3 == 0) ? -INFINITY : (i % 3 == 1 ? -3e38f : 3e38f);
        freqs_from_logits(&f, l);
        CHECK(table_ok(&f) && interval_ok(&g, l, &f), "huge logits n=%u", n);
        for (uint32_t i = 0; i < n; i++) l[i] = -INFINITY;
        freqs_from_logits(&f, l);
        CHECK(table_ok(&f) && f.freq[0] == LMZ_FREQ_TOTAL - (n - 1) && interval_ok(&g, l, &f), "all -inf n=%u", n);
        for (uint32_t i = 0; i < n; i++) l[i] = (i & 1) ? NAN : 1.0f;
        freqs_from_logits(&f, l);
        CHECK(table_ok(&f) && interval_ok(&g, l, &f), "NaN logits n=%u", n);
        l[n - 1] = INFINITY;
        freqs_from_logits(&f, l);
        CHECK(table_ok(&f) && f.freq[n - 1] == LMZ_FREQ_TOTAL - (n - 1), "+inf logit n=%u", n);
        /* cum and find */
        for (uint32_t i = 0; i < n; i++) l[i] = 2.0f * rng_normal();
        freqs_from_logits(&f, l);
        freqs_build_cum(&f);
        int findok = f.cum[n] == LMZ_FREQ_TOTAL;
        for (uint32_t i = 0; i < n; i++) {
            findok &= freqs_find(&f, f.cum[i]) == i;
            findok &= freqs_find(&f, f.cum[i + 1] - 1) == i;
        }
        CHECK(findok, "cum/find n=%u", n);
        CHECK(freqs_find(&f, LMZ_FREQ_TOTAL + 5) == n - 1, "find past total stays in range");
        free(l);
        free(ref);
        freqs_free(&f);
        freqs_free(&g);
    }
    /* Overshoot (step 6): n = 2^20 + 1, one logit 0 and the rest equal, so
     * that every q sits just below 15 and a slightly low S pushes them all
     * to 15. Some of these values of the constant logit trigger it. */
    {
        uint32_t n = (1u << 20) + 1;
        lmz_freqs f;
        CHECK(freqs_init(&f, n) == 0, "init 2^20+1");
        float *l = malloc(n * sizeof *l);
        uint32_t *ref = malloc(n * sizeof *ref);
        int agree = 1, ok = 1;
        ref_overshoots = 0;
        for (int k = 0; k < 40; k++) {
            l[0] = 0.0f;
            for (uint32_t i = 1; i < n; i++) l[i] = -0.001f * (float)(k + 1) - 1e-5f * (float)(i % 3);
            freqs_from_logits(&f, l);
            ref_freqs(l, n, ref);
            agree &= memcmp(f.freq, ref, n * 4) == 0;
            ok &= table_ok(&f);
            uint32_t lo = UINT32_MAX, hi = 0; /* shape kept: others within 1 of each other per class */
            for (uint32_t i = 1; i < n; i++) {
                lo = f.freq[i] < lo ? f.freq[i] : lo;
                hi = f.freq[i] > hi ? f.freq[i] : hi;
            }
            ok &= hi - lo <= 1 && f.freq[0] >= hi;
        }
        CHECK(ref_overshoots > 0, "overshoot path exercised (%d times)", ref_overshoots);
        CHECK(agree && ok, "overshoot: tables valid, undistorted, match the reference");
        free(l);
        free(ref);
        freqs_free(&f);
    }

    lmz_freqs f;
    CHECK(freqs_init(&f, 0) != 0, "n = 0 rejected");
    CHECK(freqs_init(&f, LMZ_FREQ_TOTAL + 1) != 0, "n > 2^24 rejected");

    /* speed, for information */
    uint32_t n = 16384;
    freqs_init(&f, n);
    float *l = malloc(n * sizeof *l);
    for (uint32_t i = 0; i < n; i++) l[i] = 3.0f * rng_normal();
    clock_t c0 = clock();
    int reps = 2000;
    for (int r = 0; r < reps; r++) {
        l[r % n] += 0.001f;
        freqs_from_logits(&f, l);
    }
    double us = (double)(clock() - c0) / CLOCKS_PER_SEC * 1e6 / reps;
    printf("freqs_from_logits n=%u: %.1f us/call\n", n, us);
    free(l);
    freqs_free(&f);
}

/* ------------------------------------------------------------------------ */
/* Range coder round trips                                                  */
/* ------------------------------------------------------------------------ */

static void make_table(lmz_freqs *f, uint32_t n, float sigma) {
    float *l = malloc(n * sizeof *l);
    for (uint32_t i = 0; i < n; i++) l[i] = sigma * rng_normal();
    freqs_from_logits(f, l);
    freqs_build_cum(f);
    free(l);
}

static void test_roundtrip(void) {
    enum { COUNT = 100000, NT = 8 };
    uint32_t *syms = malloc(COUNT * sizeof *syms);
    const struct {
        uint32_t n;
        float sigma;
        const char *name;
    } cases[] = {
        {2, 1.0f, "binary"},     {256, 0.0f, "uniform 256"},   {16384, 0.0f, "uniform 16384"},
        {16384, 2.0f, "normal"}, {16384, 6.0f, "skewed"},       {16384, 20.0f, "very skewed"},
        {1, 0.0f, "n=1"},        {50000, 4.0f, "large vocab"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        lmz_freqs tabs[NT];
        for (int t = 0; t < NT; t++) {
            freqs_init(&tabs[t], cases[c].n);
            make_table(&tabs[t], cases[c].n, cases[c].sigma);
        }
        for (size_t k = 0; k < COUNT; k++) syms[k] = sample(&tabs[k % NT]);
        int ok;
        size_t sz = roundtrip(tabs, NT, syms, COUNT, &ok);
        CHECK(ok, "round trip %s (%zu bytes)", cases[c].name, sz);
        /* also: rare symbols only (worst case for the range) */
        for (size_t k = 0; k < COUNT; k++) {
            lmz_freqs *f = &tabs[k % NT];
            uint32_t s = (uint32_t)(rng() % f->n), best = s;
            for (int j = 0; j < 4; j++) { /* pick a low-frequency one */
                uint32_t s2 = (uint32_t)(rng() % f->n);
                if (f->freq[s2] < f->freq[best]) best = s2;
            }
            syms[k] = best;
        }
        roundtrip(tabs, NT, syms, COUNT, &ok);
        CHECK(ok, "round trip rare symbols %s", cases[c].name);
        for (int t = 0; t < NT; t++) freqs_free(&tabs[t]);
    }

    /* One symbol at 2^24 - n + 1, the rest at 1, hitting all symbols. */
    {
        uint32_t n = 16384;
        lmz_freqs f;
        freqs_init(&f, n);
        for (uint32_t pos = 0; pos < 3; pos++) {
            uint32_t big = pos == 0 ? 0 : (pos == 1 ? n / 2 : n - 1);
            for (uint32_t i = 0; i < n; i++) f.freq[i] = 1;
            f.freq[big] = LMZ_FREQ_TOTAL - n + 1;
            freqs_build_cum(&f);
            for (size_t k = 0; k < COUNT; k++) syms[k] = (k % 97 == 0) ? (uint32_t)(rng() % n) : big;
            int ok;
            roundtrip(&f, 1, syms, COUNT, &ok);
            CHECK(ok, "degenerate table, big symbol at %u", big);
            for (size_t k = 0; k < COUNT; k++) syms[k] = (uint32_t)(rng() % n); /* all the tiny ones */
            roundtrip(&f, 1, syms, COUNT, &ok);
            CHECK(ok, "degenerate table, tiny symbols, big at %u", big);
        }
        freqs_free(&f);
    }
    free(syms);
}

/* Carries: the top symbol with probability ~1 pushes low toward the top of
 * the window again and again, producing long runs of 0xFF bytes that a later
 * carry turns into 0x00. */
static void test_carry(void) {
    enum { COUNT = 200000 };
    uint32_t *syms = malloc(COUNT * sizeof *syms);
    lmz_freqs f;
    const uint32_t tops[] = {1, 16, 4096, 1u << 23};
    for (size_t ti = 0; ti < sizeof tops / sizeof *tops; ti++) {
        uint32_t small = tops[ti]; /* freq of symbol 0; symbol 1 (top) gets the rest */
        freqs_init(&f, 2);
        f.freq[0] = small;
        f.freq[1] = LMZ_FREQ_TOTAL - small;
        freqs_build_cum(&f);
        for (int pattern = 0; pattern < 3; pattern++) {
            for (size_t k = 0; k < COUNT; k++) {
                if (pattern == 0) syms[k] = 1;                                /* only the top */
                else if (pattern == 1) syms[k] = (k % 5000 == 4999) ? 0 : 1; /* rare carries */
                else syms[k] = (rng() % 1000 == 0) ? 0 : 1;
            }
            size_t cap = COUNT + 64;
            uint8_t *buf = malloc(cap);
            lmz_renc e;
            renc_init(&e, buf, cap);
            size_t max_pending = 0;
            for (size_t k = 0; k < COUNT; k++) {
                renc_encode(&e, f.cum[syms[k]], f.freq[syms[k]], LMZ_FREQ_BITS);
                if (e.pending > max_pending) max_pending = (size_t)e.pending;
            }
            size_t sz = renc_finish(&e);
            int ok = !lmz_is_error(sz);
            lmz_rdec d;
            rdec_init(&d, buf, ok ? sz : 0);
            size_t bad = 0;
            for (size_t k = 0; ok && k < COUNT; k++) {
                uint32_t s = freqs_find(&f, rdec_target(&d, LMZ_FREQ_BITS));
                rdec_consume(&d, f.cum[s], f.freq[s]);
                bad += s != syms[k];
            }
            CHECK(ok && bad == 0 && rdec_finish(&d) == 0, "carry stress small=%u pattern %d (pending max %zu)",
                  small, pattern, max_pending);
            if (pattern == 0 && small == (1u << 23))
                CHECK(max_pending > 100, "0xFF runs exercised (max pending %zu)", max_pending);
            free(buf);
        }
        freqs_free(&f);
    }
    /* Adversarial: whenever the interval straddles the next boundary of the
     * top window byte, code the symbol whose interval still contains it.
     * The bytes shifted out then stay 0xFF (pending) until a random symbol
     * resolves the run, with a carry about half of the time. */
    const float sig[] = {0.0f, 2.0f, 6.0f};
    for (int si = 0; si < 3; si++) {
        freqs_init(&f, 16384);
        make_table(&f, 16384, sig[si]);
        size_t cap = COUNT * 4 + 64;
        uint8_t *buf = malloc(cap);
        lmz_renc e;
        renc_init(&e, buf, cap);
        size_t max_pending = 0, runs = 0;
        for (size_t k = 0; k < COUNT; k++) {
            uint64_t r = e.range >> LMZ_FREQ_BITS;
            /* the carry point 2^56 if straddled, else the next boundary */
            uint64_t P = e.low < (1ull << 56) && e.low + e.range > (1ull << 56) ? 1ull << 56
                                                                                : (e.low | ((1ull << 48) - 1)) + 1;
            uint32_t s = sample(&f);
            if (rng() % 3000 != 0 && P < e.low + e.range && (P - e.low) / r < LMZ_FREQ_TOTAL) {
                uint32_t s2 = freqs_find(&f, (uint32_t)((P - e.low) / r));
                if (r * f.cum[s2] != P - e.low) s = s2; /* P strictly inside */
            }
            syms[k] = s;
            uint64_t before = e.pending;
            renc_encode(&e, f.cum[s], f.freq[s], LMZ_FREQ_BITS);
            if (e.pending > max_pending) max_pending = (size_t)e.pending;
            if (before > 8 && e.pending == 0) runs++;
        }
        size_t sz = renc_finish(&e);
        int ok = !lmz_is_error(sz);
        lmz_rdec d;
        rdec_init(&d, buf, ok ? sz : 0);
        size_t bad = 0;
        for (size_t k = 0; ok && k < COUNT; k++) {
            uint32_t s = freqs_find(&f, rdec_target(&d, LMZ_FREQ_BITS));
            rdec_consume(&d, f.cum[s], f.freq[s]);
            bad += s != syms[k];
        }
        CHECK(ok && bad == 0 && rdec_finish(&d) == 0, "adversarial carries sigma=%d (max pending %zu, runs %zu)",
              (int)sig[si], max_pending, runs);
        CHECK(max_pending > 1000 && runs > 10, "long 0xFF runs resolved (max %zu, runs %zu)", max_pending, runs);
        /* both outcomes in the output: long 0xFF runs (no carry) and long
         * 0x00 runs (a carry turned 0xFF.. into 0x00..) */
        size_t run[2] = {0, 0}, cur = 0;
        for (size_t i = 1; ok && i < sz; i++) {
            cur = buf[i] == buf[i - 1] ? cur + 1 : 0;
            if (buf[i] == 0x00 && cur > run[0]) run[0] = cur;
            if (buf[i] == 0xFF && cur > run[1]) run[1] = cur;
        }
        CHECK(run[0] > 1000 && run[1] > 1000, "carried and uncarried runs (00 x%zu, FF x%zu)", run[0], run[1]);
        printf("adversarial carries sigma=%d: max pending %zu, runs resolved %zu, longest 00 run %zu, FF run %zu\n",
               (int)sig[si], max_pending, runs, run[0], run[1]);
        free(buf);
        freqs_free(&f);
    }

    /* Random tables where the coded symbol is always among the top ones. */
    freqs_init(&f, 300);
    make_table(&f, 300, 3.0f);
    for (size_t k = 0; k < COUNT; k++) syms[k] = 299 - (uint32_t)(rng() % 3);
    int ok;
    roundtrip(&f, 1, syms, COUNT, &ok);
    CHECK(ok, "top-of-range symbols");
    freqs_free(&f);
    free(syms);
}

/* Coded size vs the ideal sum of -log2(freq/total). */
static void test_overhead(void) {
    enum { COUNT = 100000, NT = 16 };
    const float sigmas[] = {3.0f, 5.0f, 8.0f};
    for (size_t si = 0; si < 3; si++) {
        lmz_freqs tabs[NT];
        for (int t = 0; t < NT; t++) {
            freqs_init(&tabs[t], 16384);
            make_table(&tabs[t], 16384, sigmas[si]);
        }
        uint32_t *syms = malloc(COUNT * sizeof *syms);
        double ideal = 0;
        for (size_t k = 0; k < COUNT; k++) {
            syms[k] = sample(&tabs[k % NT]);
            ideal += ideal_bits(&tabs[k % NT], syms[k]);
        }
        int ok;
        size_t sz = roundtrip(tabs, NT, syms, COUNT, &ok);
        double real = 8.0 * (double)sz, over = (real - ideal) / ideal;
        printf("overhead sigma=%.0f: %.1f bits/sym ideal %.0f bits, coded %.0f bits, overhead %.5f%%\n",
               (double)sigmas[si], ideal / COUNT, ideal, real, 100 * over);
        CHECK(ok, "overhead round trip");
        CHECK(over < 0.001, "overhead %.5f%% < 0.1%%", 100 * over);
        free(syms);
        for (int t = 0; t < NT; t++) freqs_free(&tabs[t]);
    }
    /* Real model distributions: the reference logits of the default model
     * (34 positions x 16384, testdata/model/), coding the reference token ids again and
     * again (about 1e5 symbols). */
    size_t nl = 0, ni = 0;
    unsigned char *lb = check_read_file(LMZ_TESTDATA "/model/ref_logits.f32", &nl);
    unsigned char *ib = check_read_file(LMZ_TESTDATA "/model/ref_ids.i32", &ni);
    if (lb && ib && nl == 34 * 16384 * 4 && ni == 34 * 4) {
        enum { POS = 33 };
        lmz_freqs tabs[POS];
        double soft_bits = 0, table_bits = 0;
        int32_t ids[34];
        memcpy(ids, ib, sizeof ids);
        for (int k = 0; k < POS; k++) {
            freqs_init(&tabs[k], 16384);
            float *row = malloc(16384 * sizeof *row);
            memcpy(row, lb + (size_t)k * 16384 * 4, 16384 * 4);
            freqs_from_logits(&tabs[k], row);
            freqs_build_cum(&tabs[k]);
            /* for information: the table's own cost vs the exact softmax */
            double mx = row[0], z = 0;
            for (int i = 1; i < 16384; i++) mx = row[i] > mx ? row[i] : mx;
            for (int i = 0; i < 16384; i++) z += exp((double)row[i] - mx);
            uint32_t id = (uint32_t)ids[k + 1];
            soft_bits += -log2(exp((double)row[id] - mx) / z);
            table_bits += ideal_bits(&tabs[k], id);
            free(row);
        }
        /* Format stability: the tables are a pure function of the logits,
         * identical for every compiler, SIMD width and platform. This hash
         * changes only if the frequency algorithm (a format change) does. */
        uint64_t th = 0;
        for (int k = 0; k < POS; k++) th ^= lmz_xxh64(tabs[k].freq, 16384 * 4) * (uint64_t)(2 * k + 1);
        printf("reference tables hash %016llx\n", (unsigned long long)th);
        CHECK(th == REF_TABLES_HASH, "reference tables hash %016llx (expected %016llx)", (unsigned long long)th,
              (unsigned long long)REF_TABLES_HASH);
        const size_t count = POS * 3000;
        uint32_t *syms = malloc(count * sizeof *syms);
        double ideal = 0;
        for (size_t k = 0; k < count; k++) {
            syms[k] = (uint32_t)ids[k % POS + 1];
            ideal += ideal_bits(&tabs[k % POS], syms[k]);
        }
        int ok;
        size_t sz = roundtrip(tabs, POS, syms, count, &ok);
        double real = 8.0 * (double)sz, over = (real - ideal) / ideal;
        printf("overhead on the model's reference logits: %.2f bits/token ideal, overhead %.5f%%\n",
               ideal / (double)count, 100 * over);
        CHECK(ok && over < 0.001, "reference logits: round trip, overhead %.5f%%", 100 * over);
        printf("integer table vs exact softmax on the reference tokens: %.4f vs %.4f bits (%.4f%%)\n", table_bits,
               soft_bits, 100 * (table_bits - soft_bits) / soft_bits);
        CHECK(table_bits < soft_bits * 1.001, "table quantisation costs < 0.1%%");
        free(syms);
        for (int k = 0; k < POS; k++) freqs_free(&tabs[k]);
    } else {
        CHECK(0, "reference logits or ids missing or of the wrong size under %s/model", LMZ_TESTDATA);
    }
    free(lb);
    free(ib);

    /* empty stream: one byte, decodes consistently */
    uint8_t b[8];
    lmz_renc e;
    renc_init(&e, b, sizeof b);
    size_t sz = renc_finish(&e);
    CHECK(sz == 1, "empty stream is 1 byte (%zu)", sz);
    lmz_rdec d;
    rdec_init(&d, b, sz);
    CHECK(rdec_finish(&d) == 0, "empty stream consistent");
    rdec_init(&d, b, 0);
    CHECK(rdec_finish(&d) != 0, "0-byte stream is inconsistent");
    /* dst too small */
    uint8_t small[4];
    renc_init(&e, small, sizeof small);
    lmz_freqs f;
    freqs_init(&f, 256);
    make_table(&f, 256, 0.0f);
    for (int k = 0; k < 100; k++) renc_encode(&e, f.cum[k], f.freq[k], LMZ_FREQ_BITS);
    CHECK(lmz_get_error_code(renc_finish(&e)) == LMZ_error_dst_too_small, "dst too small");
    freqs_free(&f);
}

/* Truncation / trailing bytes / garbage. */
static void test_corrupt(void) {
    enum { COUNT = 20000 };
    lmz_freqs f;
    freqs_init(&f, 16384);
    make_table(&f, 16384, 4.0f);
    uint32_t *syms = malloc(COUNT * sizeof *syms);
    for (size_t k = 0; k < COUNT; k++) syms[k] = sample(&f);
    size_t cap = COUNT * 4 + 64;
    uint8_t *buf = malloc(cap + 16);
    lmz_renc e;
    renc_init(&e, buf, cap);
    for (size_t k = 0; k < COUNT; k++) renc_encode(&e, f.cum[syms[k]], f.freq[syms[k]], LMZ_FREQ_BITS);
    size_t sz = renc_finish(&e);
    CHECK(!lmz_is_error(sz), "encode");

    /* decode with the stream truncated by 1..8 bytes, or with extra bytes */
    int detected_all = 1;
    for (int cut = -3; cut <= 8; cut++) {
        if (cut == 0) continue;
        size_t n = cut > 0 ? sz - (size_t)cut : sz + (size_t)(-cut);
        if (cut < 0) memset(buf + sz, 0xA5, (size_t)(-cut));
        lmz_rdec d;
        rdec_init(&d, buf, n);
        size_t bad = 0;
        for (size_t k = 0; k < COUNT; k++) {
            uint32_t t = rdec_target(&d, LMZ_FREQ_BITS);
            uint32_t s = freqs_find(&f, t);
            rdec_consume(&d, f.cum[s], f.freq[s]);
            bad += s != syms[k];
        }
        /* The decoder itself must report the inconsistency (whether or not
         * the symbols came out right). */
        (void)bad;
        if (rdec_finish(&d) == 0) {
            detected_all = 0;
            printf("undetected cut %d (pos %zu size %zu)\n", cut, d.pos, d.size);
        }
    }
    CHECK(detected_all, "truncation / trailing bytes detected");

    /* random garbage: never crashes, symbols in range */
    int in_range = 1, flagged = 0;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = (size_t)(rng() % 200);
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rng();
        if (trial % 3 == 0)
            for (size_t i = 0; i < n; i++) buf[i] = 0xFF;
        lmz_rdec d;
        rdec_init(&d, buf, n);
        for (int k = 0; k < 2000; k++) {
            uint32_t t = rdec_target(&d, LMZ_FREQ_BITS);
            in_range &= t < LMZ_FREQ_TOTAL;
            uint32_t s = freqs_find(&f, t);
            in_range &= s < f.n;
            rdec_consume(&d, f.cum[s], f.freq[s]);
        }
        flagged += rdec_finish(&d) != 0;
    }
    CHECK(in_range, "garbage: targets and symbols in range");
    CHECK(flagged == 300, "garbage: inconsistency flagged (%d/300)", flagged);

    /* bogus caller input must stay finite */
    lmz_rdec d;
    rdec_init(&d, buf, 10);
    (void)rdec_target(&d, 60);
    rdec_consume(&d, 5, 0);
    CHECK(d.error, "bogus bits/freq flagged");
    free(buf);
    free(syms);
    freqs_free(&f);
}

int main(void) {
    test_expf_copy();
    test_freqs();
    test_roundtrip();
    test_carry();
    test_overhead();
    test_corrupt();
    return check_done("test_coder");
}
