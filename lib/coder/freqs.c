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

/* Steps 1-4: p = exp(l - max) in f's scratch; returns the argmax a, sets
 * *scale and *Bf. */
static uint32_t freqs_shape(const lmz_kernels *kn, lmz_freqs *f, const float *logits, float *scale, float *Bf) {
    const uint32_t n = f->n;
    float *p = freqs_scratch(f);

    /* 1. max ("x > m" is false for NaN, so NaN is skipped; exact in any
     *    order), then the lowest index holding it. */
    float m;
    const uint32_t a = kn->argmax_f32(logits, n, &m); /* 0 when all are -inf/NaN */

    /* 2. + 3. p = exp(l - m), summed lane by lane (lane i % 16). */
    float S = kn->expsum(logits, m, p, n);

    /* 4. scale so that the p's share the budget B. */
    const uint32_t B = LMZ_FREQ_TOTAL - n;
    *Bf = (float)B; /* exact: B < 2^24 */
    *scale = S > 0.0f ? *Bf / S : 0.0f;
    return a;
}

void freqs_interval(lmz_freqs *f, const float *logits, uint32_t s, uint32_t *cum, uint32_t *freq) {
    const lmz_kernels *kn = lmz_kernels_get();
    float scale, Bf;
    const uint32_t a = freqs_shape(kn, f, logits, &scale, &Bf);
    const float *p = freqs_scratch(f);
    f->cum_valid = 0;
    uint64_t c, T = kn->fill_cum(p, f->n, scale, Bf, s, &c);
    while (T > LMZ_FREQ_TOTAL) { /* step 6 */
        scale = scale * 0.9921875f;
        T = kn->fill_cum(p, f->n, scale, Bf, s, &c);
    }
    uint32_t fs; /* step 5 for symbol s alone: fill_freq's value */
    kn->fill_freq(p + s, &fs, 1, scale, Bf);
    const uint32_t rem = (uint32_t)(LMZ_FREQ_TOTAL - T); /* step 7 */
    *cum = (uint32_t)c + (a < s ? rem : 0);
    *freq = fs + (a == s ? rem : 0);
}

void freqs_from_logits(lmz_freqs *f, const float *logits) {
    const lmz_kernels *kn = lmz_kernels_get(); /* every path gives the same bits (kernels.h) */
    const uint32_t n = f->n;
    uint32_t *freq = f->freq;
    const float *p = freqs_scratch(f);
    float scale, Bf;
    f->cum_valid = 0;
    const uint32_t a = freqs_shape(kn, f, logits, &scale, &Bf);

    /* 5. floor of the scaled probabilities, plus the guaranteed 1. */
    uint64_t T = kn->fill_freq(p, freq, n, scale, Bf);

    /* 6. overshoot (S rounded low): shrink the scale and redo step 5. */
    while (T > LMZ_FREQ_TOTAL) {
        scale = scale * 0.9921875f;
        T = kn->fill_freq(p, freq, n, scale, Bf);
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
