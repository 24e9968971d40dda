/*
 * lib/kernels/lmz_math.h — our own exp/log/sin/cos, built from IEEE basic
 * operations only (+ - * / and bit manipulation), so that every platform,
 * compiler and SIMD path computes the same bits. libm is never used on the
 * path to the coder's frequency table.
 *
 * lmz_expf is the float function used in softmax and SiLU. SIMD versions must
 * perform exactly these operations in this order (it is written so that they
 * can: no branches other than the clamps, which SIMD does with min/max).
 *
 * The double functions are used only to build tables at load (RoPE angles);
 * they are accurate to a few ulp of double, so the rounded float tables are
 * the same on every machine because the computation itself is.
 */
#ifndef LMZ_MATH_H
#define LMZ_MATH_H

#include <stdint.h>
#include <string.h>

/* Round to nearest, ties to even, for |t| < 2^22 (default rounding mode). */
static inline float lmz_roundf_ne(float t) { return (t + 12582912.0f) - 12582912.0f; }

#define LMZ_EXP_LO (-87.0f)
#define LMZ_EXP_HI 88.0f

/* c ? a : b through an integer mask: the value is exactly a or b, and loops
 * using it vectorise (gcc will not if-convert ?: on floats under the default
 * -ftrapping-math). */
static inline float lmz_self(int c, float a, float b) {
    uint32_t ua, ub, m = 0u - (uint32_t)(c != 0);
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    uint32_t r = (ua & m) | (ub & ~m);
    float out;
    memcpy(&out, &r, 4);
    return out;
}

/* exp(x) for float x. x < -87 gives 0 (also -inf and NaN); x > 88 is taken
 * as 88. Range reduction by ln 2 in two parts, a degree-7 polynomial, then
 * scaling by 2^n through the exponent bits. Max relative error about 1e-7.
 * Branch-free (selects instead of early returns) so that the loops that call
 * it vectorise; tests/unit/test_coder.c checks it bit for bit against the
 * same steps written with plain branches. */
static inline float lmz_expf(float x) {
    float xc = lmz_self(x > LMZ_EXP_HI, LMZ_EXP_HI, x);
    xc = lmz_self(xc >= LMZ_EXP_LO, xc, LMZ_EXP_LO); /* also replaces NaN */
    float n = lmz_roundf_ne(xc * 1.44269502925872802734375f); /* x / ln 2 */
    float r = xc - n * 0.693145751953125f;                    /* ln2 high part (exact product) */
    r = r - n * 1.42860676533018704503775e-06f;               /* ln2 low part */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t ni = (int32_t)n; /* in [-126, 127] */
    uint32_t bits = (uint32_t)(ni + 127) << 23;
    float s;
    memcpy(&s, &bits, 4);
    return lmz_self(x >= LMZ_EXP_LO, p * s, 0.0f); /* x < LO, -inf, NaN -> 0 */
}

/* SiLU(x) = x * sigmoid(x) = x / (1 + exp(-x)). */
static inline float lmz_siluf(float x) { return x / (1.0f + lmz_expf(-x)); }

/* ---- double precision, for tables built at load -------------------------- */

static inline double lmz_exp_d(double x) {
    /* exp(x) = 2^k * exp(r), |r| <= ln2/2, Taylor to degree 20 */
    const double ln2 = 0.693147180559945309417232121458;
    double kd = x / ln2;
    kd = kd >= 0 ? (double)(int64_t)(kd + 0.5) : -(double)(int64_t)(-kd + 0.5);
    double r = x - kd * ln2;
    double term = 1.0, sum = 1.0;
    for (int i = 1; i <= 20; i++) {
        term = term * r / (double)i;
        sum = sum + term;
    }
    int64_t k = (int64_t)kd;
    while (k > 0) { sum = sum * 2.0; k--; }
    while (k < 0) { sum = sum * 0.5; k++; }
    return sum;
}

static inline double lmz_log_d(double x) { /* x > 0, finite */
    const double ln2 = 0.693147180559945309417232121458;
    int e = 0;
    while (x >= 2.0) { x = x * 0.5; e++; }
    while (x < 1.0) { x = x * 2.0; e--; }
    /* x in [1, 2): ln x = 2 atanh((x-1)/(x+1)) */
    double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
    for (int i = 1; i < 80; i += 2) {
        sum = sum + term / (double)i;
        term = term * z2;
    }
    return (double)e * ln2 + 2.0 * sum;
}

/* sin and cos of any moderate angle (|a| < 1e6): reduce by 2*pi, Taylor. */
static inline void lmz_sincos_d(double a, double *s, double *c) {
    const double twopi_hi = 6.28318530717958623199592693709; /* nearest double to 2*pi */
    const double twopi_lo = 2.44929359829470635445e-16;     /* 2*pi - twopi_hi */
    double k = a / twopi_hi;
    k = k >= 0 ? (double)(int64_t)(k + 0.5) : -(double)(int64_t)(-k + 0.5);
    double r = (a - k * twopi_hi) - k * twopi_lo; /* |r| <= pi (+tiny) */
    double r2 = r * r, ts = r, tc = 1.0, ss = 0.0, cc = 0.0;
    for (int i = 1; i <= 60; i += 2) {
        ss = ss + ts;
        cc = cc + tc;
        ts = -ts * r2 / (double)((i + 1) * (i + 2));
        tc = -tc * r2 / (double)(i * (i + 1));
    }
    *s = ss;
    *c = cc;
}

#endif /* LMZ_MATH_H */
