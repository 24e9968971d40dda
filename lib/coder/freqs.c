/*
 * lib/coder/freqs.c — logits -> integer frequency table (total exactly 2^24).
 *
 * This file is FORMAT SEMANTICS: the decoder must rebuild the very same table
 * from the very same logits, bit for bit, on every machine. Every step below
 * is either integer arithmetic or an IEEE binary32 basic operation (+ - * /)
 * in an order fixed by the code (compiled with -ffp-contract=off), and exp is
 * lmz_expf (lib/kernels/lmz_math.h), never libm. doc/format.md restates the
 * algorithm; the two must stay in sync.
 *
 * The algorithm, for n symbols (1 <= n <= 2^24), logits l[0..n):
 *
 *   1. m = the largest logit (comparisons "l[i] > m" starting from m = -inf,
 *      so NaN never wins); a = the lowest index i with l[i] == m (a = 0 when
 *      no logit compares greater than -inf, e.g. all -inf or NaN).
 *   2. p[i] = lmz_expf(l[i] - m)   (binary32 subtraction, then lmz_expf;
 *      lmz_expf maps -inf, NaN and anything < -87 to 0, so p[i] in [0, 1] and
 *      p[a] == 1 whenever m is finite).
 *   3. S = sum of p in the 16-lane order: lane[i % 16] += p[i] for i
 *      ascending (lanes start at +0.0f), then S = lmz_sum16_tree(lane).
 *   4. B = 2^24 - n (the budget left once every symbol has its 1);
 *      scale = (float)B / S if S > 0, else scale = 0.
 *   5. q[i] = p[i] * scale (binary32); q[i] is clamped to [0, B] (a NaN q is
 *      taken as 0); freq[i] = 1 + (uint32_t)q[i] (truncation toward zero,
 *      i.e. floor, which is exact since q < 2^24). T = sum of freq (exact).
 *   6. While T > 2^24 (the float sum S came out a little low, so the floors
 *      overshoot the budget; rare): scale = scale * 0.9921875f (= 127/128,
 *      binary32) and redo step 5. T only falls as scale falls and T = n <=
 *      2^24 once scale < 1, so this ends (in practice after one round).
 *   7. freq[a] += 2^24 - T: the remainder goes to the most probable symbol.
 *
 * (Steps 5-6 never take from individual symbols, so an overshoot cannot
 * distort the shape of the distribution; it only moves a little mass to a.)
 *
 * Result: every freq >= 1, sum exactly 2^24, a pure function of the logits.
 */
#include <math.h> /* INFINITY only: no libm function is called */
#include <stdlib.h>
#include <string.h>

#include "coder/coder.h"
#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */
/* ------------------------------------------------------------------------ */

/* One block holds freq[n], cum[n+1] and a hidden float scratch p[n] used by
 * freqs_from_logits (so that building a table never allocates). */
int freqs_init(lmz_freqs *f, uint32_t n) {
    memset(f, 0, sizeof *f);
    if (n == 0 || n > LMZ_FREQ_TOTAL) return LMZ_IERR(LMZ_error_parameter);
    size_t words = (size_t)n + ((size_t)n + 1) + (size_t)n;
    uint32_t *block = malloc(words * sizeof(uint32_t));
    if (!block) return LMZ_IERR(LMZ_error_memory);
    f->n = n;
    f->freq = block;
    f->cum = block + n;
    f->cum_valid = 0;
    return 0;
}

void freqs_free(lmz_freqs *f) {
    if (!f) return;
    free(f->freq); /* the block base */
    memset(f, 0, sizeof *f);
}

static float *freqs_scratch(lmz_freqs *f) { return (float *)(void *)(f->cum + f->n + 1); }

/* ------------------------------------------------------------------------ */
/* Logits -> frequencies                                                    */
/* ------------------------------------------------------------------------ */

/* Steps 2-3 on the first n16 (a multiple of 16) symbols: p = exp(l - m),
 * lane[j] += p[i + j]. restrict (the scratch never aliases the caller's
 * logits) lets the compiler vectorise without run-time checks. */
static void exp_blocks(const float *restrict l, float *restrict p, uint32_t n16, float m, float *restrict lane) {
    float acc[16]; /* a local copy stays in registers */
    for (int j = 0; j < 16; j++) acc[j] = lane[j];
    for (size_t i = 0; i < n16; i += 16)
        /* unrolled: the 16 lanes become 16/VL independent vector
         * accumulators held in registers (about 1.4x faster) */
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) {
            float e = lmz_expf(l[i + j] - m);
            p[i + j] = e;
            acc[j] = acc[j] + e;
        }
    for (int j = 0; j < 16; j++) lane[j] = acc[j];
}

/* Step 5 on the first n16 symbols; returns their sum of freqs. Sums of 16
 * freqs (each <= 2^24) are exact in uint32. */
static uint64_t freq_blocks(const float *restrict p, uint32_t *restrict freq, uint32_t n16, float scale, float Bf) {
    uint64_t T = 0;
    for (size_t i = 0; i < n16; i += 16) {
        uint32_t t16 = 0;
        for (int j = 0; j < 16; j++) {
            float q = p[i + j] * scale;
            q = lmz_self(q >= 0.0f, q, 0.0f); /* also maps NaN to 0 */
            q = lmz_self(q <= Bf, q, Bf);
            uint32_t v = 1u + (uint32_t)(int32_t)q; /* q in [0, 2^24): exact floor */
            freq[i + j] = v;
            t16 += v;
        }
        T += t16;
    }
    return T;
}

/* Step 5 on all n symbols; returns T. */
static uint64_t fill_freqs(const float *p, uint32_t *freq, uint32_t n, float scale, float Bf) {
    const uint32_t n16 = n & ~15u;
    uint64_t T = freq_blocks(p, freq, n16, scale, Bf);
    for (uint32_t i = n16; i < n; i++) {
        float q = p[i] * scale;
        q = lmz_self(q >= 0.0f, q, 0.0f);
        q = lmz_self(q <= Bf, q, Bf);
        uint32_t v = 1u + (uint32_t)(int32_t)q;
        freq[i] = v;
        T += v;
    }
    return T;
}

void freqs_from_logits(lmz_freqs *f, const float *logits) {
    const uint32_t n = f->n;
    const uint32_t n16 = n & ~15u; /* the part done in blocks of 16 */
    uint32_t *freq = f->freq;
    float *p = freqs_scratch(f);
    uint32_t i;
    f->cum_valid = 0;

    /* 1. max, in 16 independent lanes (max is exact in any order), then the
     *    lowest index holding it. "x > m" is false for NaN, so NaN is skipped. */
    float mx[16];
    for (int j = 0; j < 16; j++) mx[j] = -INFINITY;
    for (i = 0; i < n16; i += 16)
        for (int j = 0; j < 16; j++) mx[j] = logits[i + j] > mx[j] ? logits[i + j] : mx[j];
    for (; i < n; i++) mx[i % 16] = logits[i] > mx[i % 16] ? logits[i] : mx[i % 16];
    float m = -INFINITY;
    for (int j = 0; j < 16; j++) m = mx[j] > m ? mx[j] : m;
    uint32_t a = 0;
    if (m > -INFINITY) /* else: all -inf/NaN, argmax is 0 */
        while (!(logits[a] == m)) a++;

    /* 2. + 3. p = exp(l - m), summed lane by lane (lane i % 16). */
    float lane[16];
    for (int j = 0; j < 16; j++) lane[j] = 0.0f;
    exp_blocks(logits, p, n16, m, lane);
    for (i = n16; i < n; i++) {
        float e = lmz_expf(logits[i] - m);
        p[i] = e;
        lane[i % 16] = lane[i % 16] + e;
    }
    float S = lmz_sum16_tree(lane);

    /* 4. scale so that the p's share the budget B. */
    const uint32_t B = LMZ_FREQ_TOTAL - n;
    const float Bf = (float)B; /* exact: B < 2^24 */
    float scale = S > 0.0f ? Bf / S : 0.0f;

    /* 5. floor of the scaled probabilities, plus the guaranteed 1. */
    uint64_t T = fill_freqs(p, freq, n, scale, Bf);

    /* 6. overshoot (S rounded low): shrink the scale and redo step 5. */
    while (T > LMZ_FREQ_TOTAL) {
        scale = scale * 0.9921875f;
        T = fill_freqs(p, freq, n, scale, Bf);
    }

    /* 7. the remainder to the argmax: total exactly 2^24. */
    freq[a] += (uint32_t)(LMZ_FREQ_TOTAL - T);
}

/* ------------------------------------------------------------------------ */
/* Cumulative table and lookup                                              */
/* ------------------------------------------------------------------------ */

void freqs_build_cum(lmz_freqs *f) {
    uint32_t c = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        f->cum[i] = c;
        c += f->freq[i];
    }
    f->cum[f->n] = c;
    f->cum_valid = 1;
}

/* Binary search for the symbol whose interval [cum[s], cum[s+1]) holds
 * target. Invariant: cum[lo] <= target < cum[hi]. A target >= total (which
 * rdec_target never returns) yields the last symbol, never an out-of-bounds
 * index. */
uint32_t freqs_find(const lmz_freqs *f, uint32_t target) {
    uint32_t lo = 0, hi = f->n;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->cum[mid] <= target)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
