/*
 * lib/kernels/kernels_avx2.c — AVX2 kernels, bit-identical to the generic
 * reference (kernels_generic.c).
 *
 * int8 products: maddubs needs one unsigned operand, so we feed it |x| and
 * w * sign(x): both in [-127, 127], a pair sum <= 2*127*127 = 32258 fits
 * int16 without saturation, and madd with ones widens to int32 — exact. The
 * per-block int32 sums are then reduced to one integer per row (exact) and
 * combined in float exactly as the reference does:
 *   acc = acc + (wd * xd) * (float)isum,   blocks in ascending order,
 * with 8 rows in the 8 lanes of a register.
 */
#include <immintrin.h>
#include <math.h> /* INFINITY only */
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

/* ------------------------------------------------------------------------ */
/* 8 rows x one vector                                                      */
/* ------------------------------------------------------------------------ */

/* |x| once per block, then per row maddubs(|x|, w * sign(x)): |x| <= 127 and
 * |w| <= 127, so a pair sum <= 2*127*127 = 32258 fits int16 exactly. */
static inline __m256i dot32(__m256i ax, __m256i x, __m256i w) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i p = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, x));
    return _mm256_madd_epi16(p, ones); /* 8 x int32 partial sums */
}

/* Sums each of 8 registers of 8 int32 into one int32: lane r <- sum(p[r]). */
static inline __m256i hsum8x8(__m256i p0, __m256i p1, __m256i p2, __m256i p3, __m256i p4, __m256i p5, __m256i p6,
                              __m256i p7) {
    __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
    __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(p4, p5), _mm256_hadd_epi32(p6, p7));
    /* a = [r0 r1 r2 r3 | r0 r1 r2 r3] partial halves, same for b (r4..r7) */
    __m256i lo = _mm256_permute2x128_si256(a, b, 0x20);
    __m256i hi = _mm256_permute2x128_si256(a, b, 0x31);
    return _mm256_add_epi32(lo, hi);
}

/* Integer sums of one block for rows w0 + k*lda, k = 0..7. */
static inline __m256i block8(const int8_t *w0, size_t lda, const int8_t *xb) {
    __m256i x = _mm256_loadu_si256((const __m256i *)xb);
    __m256i ax = _mm256_sign_epi8(x, x);
#define L(k) _mm256_loadu_si256((const __m256i *)(w0 + (k) * lda))
    __m256i p0 = dot32(ax, x, L(0)), p1 = dot32(ax, x, L(1)), p2 = dot32(ax, x, L(2)), p3 = dot32(ax, x, L(3));
    __m256i p4 = dot32(ax, x, L(4)), p5 = dot32(ax, x, L(5)), p6 = dot32(ax, x, L(6)), p7 = dot32(ax, x, L(7));
#undef L
    return hsum8x8(p0, p1, p2, p3, p4, p5, p6, p7);
}

/* Rows r..r+7 of W: acc = acc + (wd * xd) * isum, blocks ascending.
 *
 * prefetch != 0: also ask for rows r+8..r+15 (when W has them) while these
 * are computed. The 8 rows of one call are one contiguous run of 8*K bytes
 * (4 KiB for K = 512), read block by block at a stride of K, and the
 * hardware prefetcher does not cross into the next 4 KiB page: without the
 * hint every call starts on cold memory. Decoding multiplies each weight by
 * a few vectors only and streams the 38 MB of weights from DRAM for every
 * token; there the hint is worth ~1.5x. Prefetching changes no result. */
static void rows8(const q8_matrix *W, uint32_t r, const int8_t *xq, const float *xd, float *out, int prefetch) {
    const uint32_t K = W->cols, nblk = K / Q8_BLOCK;
    const int8_t *w0 = W->q + (size_t)r * K;
    const float *d0 = W->d + (size_t)r * nblk;
    const float *d8 = W->d8 && r % 8 == 0 ? W->d8 + (size_t)(r / 8) * nblk * 8 : NULL;
    /* next 8 rows: 8*K bytes = nblk * 256, so 4 cache lines per block */
    const char *pf = prefetch && r + 16 <= W->rows ? (const char *)(w0 + (size_t)8 * K) : NULL;
    const char *pf8 = pf && d8 ? (const char *)(d8 + (size_t)nblk * 8) : NULL;
    __m256 acc = _mm256_setzero_ps();
    for (uint32_t b = 0; b < nblk; b++) {
        if (pf) {
            const char *p = pf + (size_t)b * 256;
            _mm_prefetch(p, _MM_HINT_T0);
            _mm_prefetch(p + 64, _MM_HINT_T0);
            _mm_prefetch(p + 128, _MM_HINT_T0);
            _mm_prefetch(p + 192, _MM_HINT_T0);
            if (pf8 && b % 2 == 0) _mm_prefetch(pf8 + (size_t)b * 32, _MM_HINT_T0); /* 8 scales = 32 B per block */
        }
        __m256 isum = _mm256_cvtepi32_ps(block8(w0 + (size_t)b * Q8_BLOCK, K, xq + (size_t)b * Q8_BLOCK));
        __m256 wd = d8 ? _mm256_loadu_ps(d8 + (size_t)b * 8)
                       : _mm256_setr_ps(d0[b], d0[nblk + b], d0[2 * nblk + b], d0[3 * nblk + b], d0[4 * nblk + b],
                                        d0[5 * nblk + b], d0[6 * nblk + b], d0[7 * nblk + b]);
        __m256 s = _mm256_mul_ps(wd, _mm256_set1_ps(xd[b]));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(s, isum));
    }
    _mm256_storeu_ps(out, acc);
}

static void matvec_q8_avx2(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                           float *out) {
    uint32_t r = r0;
    for (; r + 8 <= r1; r += 8) rows8(W, r, xq, xd, out + (r - r0), 1);
    if (r < r1) matvec_q8_generic(W, r, r1, xq, xd, out + (r - r0));
}

static void matmul_q8_avx2(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                           uint32_t nb, float *out, uint32_t ldo) {
    const uint32_t K = W->cols, nblk = K / Q8_BLOCK;
    /* rows outer, vectors inner: 8 rows of weights stay in L1 for all vectors */
    uint32_t r = r0;
    for (; r + 8 <= r1; r += 8)
        for (uint32_t j = 0; j < nb; j++)
            rows8(W, r, xq + (size_t)j * K, xd + (size_t)j * nblk, out + (size_t)j * ldo + (r - r0), j == 0);
    if (r < r1)
        for (uint32_t j = 0; j < nb; j++)
            matvec_q8_generic(W, r, r1, xq + (size_t)j * K, xd + (size_t)j * nblk, out + (size_t)j * ldo + (r - r0));
}

/* Shared per-block scales: acc = acc + xd[b] * isum. */
/* Attention's P.V (kernels.h): per group of 4 positions, its 4 bytes of
 * weights broadcast (unsigned side, >= 0) times 8 dimensions' 4 values
 * (signed side) with vpmaddubsw (pairs: |2 * 127 * 127| < 2^15, no
 * saturation) and vpmaddwd (sums of 4 in int32). */
static void pv_dot_avx2(const int8_t *vg, uint32_t hd, const int8_t *q, size_t ldq, uint32_t r, const float *d,
                        size_t ldd, uint32_t nblk, float *out) {
    const size_t gs = (size_t)hd * 4, bs = 8 * gs;
    const uint32_t ng = r ? 9 : 8;
    const uint32_t keep = 0xFFFFFFFFu << (8 * r); /* bytes r..3 of a group */
    const __m256i mfirst = _mm256_set1_epi32((int32_t)keep), mlast = _mm256_set1_epi32((int32_t)~keep);
    const __m256i ones = _mm256_set1_epi16(1);
    for (uint32_t c = 0; c < hd / Q8_BLOCK; c++) {
        const int8_t *v = vg + (size_t)c * Q8_BLOCK * 4, *qc = q + c * ldq;
        const float *dc = d + c * ldd;
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (uint32_t b = 0; b < nblk; b++) {
            const int8_t *vb = v + b * bs, *qb = qc + b * Q8_BLOCK;
            __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                            _mm256_setzero_si256()};
            for (uint32_t g = 0; g < ng; g++) {
                int32_t w4;
                memcpy(&w4, qb + 4 * g, 4);
                __m256i p = _mm256_set1_epi32(w4);
                if (g == 0) p = _mm256_and_si256(p, mfirst);
                if (g == 8) p = _mm256_and_si256(p, mlast);
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) {
                    const __m256i vv = _mm256_loadu_si256((const __m256i *)(vb + g * gs + 32 * k));
                    s[k] = _mm256_add_epi32(s[k], _mm256_madd_epi16(_mm256_maddubs_epi16(p, vv), ones));
                }
            }
            const __m256 db = _mm256_set1_ps(dc[b]);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(db, _mm256_cvtepi32_ps(s[k])));
        }
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(out + (size_t)c * Q8_BLOCK + 8 * k, acc[k]);
    }
}

/* ------------------------------------------------------------------------ */
/* Quantisation (same operations as quantize_q8_generic, 8 lanes at a time) */
/* ------------------------------------------------------------------------ */

static void quantize_q8_avx2(const float *x, uint32_t n, int8_t *q, float *d) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 magic = _mm256_set1_ps(12582912.0f), hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
    for (uint32_t b = 0; b < n / Q8_BLOCK; b++) {
        const float *xb = x + (size_t)b * Q8_BLOCK;
        __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8), v2 = _mm256_loadu_ps(xb + 16),
               v3 = _mm256_loadu_ps(xb + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, absmask), _mm256_and_ps(v1, absmask)),
                                 _mm256_max_ps(_mm256_and_ps(v2, absmask), _mm256_and_ps(v3, absmask)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
        float amax = _mm_cvtss_f32(m4); /* max is exact in any order */
        float db = amax / 127.0f;
        float id = db > 0.0f ? 1.0f / db : 0.0f;
        d[b] = db;
        __m256 vid = _mm256_set1_ps(id);
#define QV(v) _mm256_cvtps_epi32(_mm256_max_ps(_mm256_min_ps(_mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(v, vid), magic), magic), hi), lo))
        __m256i i0 = QV(v0), i1 = QV(v1), i2 = QV(v2), i3 = QV(v3);
#undef QV
        /* pack 32 int32 -> 32 int8 (values already in range), fix lane order */
        __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + (size_t)b * Q8_BLOCK), p);
    }
}

/* ------------------------------------------------------------------------ */
/* Sum of squares in the 16-lane order                                      */
/* ------------------------------------------------------------------------ */

static float sumsq_avx2(const float *x, uint32_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(v0, v0));
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(v1, v1));
    }
    float l[16];
    _mm256_storeu_ps(l, a0);
    _mm256_storeu_ps(l + 8, a1);
    for (; i < n; i++) l[i % 16] = l[i % 16] + x[i] * x[i];
    return lmz_sum16_tree(l);
}

/* ------------------------------------------------------------------------ */
/* exp, softmax, SiLU: lmz_expf's exact steps, 8 lanes at a time            */
/* ------------------------------------------------------------------------ */

/* lmz_expf (lmz_math.h), operation for operation: clamps as compare +
 * blend (false for NaN, as the scalar selects), round-to-nearest-even with
 * 1.5 * 2^23, separate multiplies and adds (never FMA), 2^n from the
 * exponent bits, 0 where x < LO, -inf or NaN. Tails run the scalar
 * function, which gives the same bits. */
static inline __m256 expf8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(LMZ_EXP_HI), lo = _mm256_set1_ps(LMZ_EXP_LO);
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 xc = _mm256_blendv_ps(x, hi, _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    xc = _mm256_blendv_ps(lo, xc, _mm256_cmp_ps(xc, lo, _CMP_GE_OQ));
    __m256 n = _mm256_mul_ps(xc, _mm256_set1_ps(1.44269502925872802734375f));
    n = _mm256_sub_ps(_mm256_add_ps(n, magic), magic);
    __m256 r = _mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(0.693145751953125f)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(1.42860676533018704503775e-06f)));
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0.5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_and_ps(y, _mm256_cmp_ps(x, lo, _CMP_GE_OQ));
}

static void expf_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, expf8(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = lmz_expf(x[i]);
}

/* expsum_generic: lanes 0-7 of the 16-lane sum in a0, 8-15 in a1. */
static float expsum_avx2(const float *x, float m, float *p, uint32_t n) {
    const __m256 vm = _mm256_set1_ps(m);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 e0 = expf8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        __m256 e1 = expf8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
        _mm256_storeu_ps(p + i, e0);
        _mm256_storeu_ps(p + i + 8, e1);
        a0 = _mm256_add_ps(a0, e0);
        a1 = _mm256_add_ps(a1, e1);
    }
    float l[16];
    _mm256_storeu_ps(l, a0);
    _mm256_storeu_ps(l + 8, a1);
    for (; i < n; i++) {
        p[i] = lmz_expf(x[i] - m);
        l[i % 16] = l[i % 16] + p[i];
    }
    return lmz_sum16_tree(l);
}

/* softmax_generic: the max is exact in any order (max(v, mx) keeps mx for
 * NaN and for ties, as the scalar select), then expsum in place. */
static float softmax_avx2(float s0, const float *win, uint32_t nw, float scale, float *e) {
    const __m256 vsc = _mm256_set1_ps(scale);
    __m256 vmx = _mm256_set1_ps(-3.0e38f);
    e[0] = s0 * scale;
    uint32_t t = 0;
    for (; t + 8 <= nw; t += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(win + t), vsc);
        _mm256_storeu_ps(e + 1 + t, v);
        vmx = _mm256_max_ps(v, vmx);
    }
    float mxl[8];
    _mm256_storeu_ps(mxl, vmx);
    float mx = e[0] > -3.0e38f ? e[0] : -3.0e38f;
    for (int i = 0; i < 8; i++) mx = mxl[i] > mx ? mxl[i] : mx;
    for (; t < nw; t++) {
        e[1 + t] = win[t] * scale;
        mx = e[1 + t] > mx ? e[1 + t] : mx;
    }
    return 1.0f / expsum_avx2(e, mx, e, nw + 1);
}

/* g / (1 + exp(-g)) * u; -g flips the sign bit, as the scalar negation. */
static void silu_mul_avx2(float *g, const float *u, size_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(g + i);
        __m256 e = expf8(_mm256_xor_ps(x, sign));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) g[i] = lmz_siluf(g[i]) * u[i];
}

/* p[t] * vs[t*nb + b], 32 positions at a time into a small buffer, then
 * quantised; nb == 2 splits 8 positions' scale pairs into even and odd
 * lanes. One multiply each. */
static void pv_quant_avx2(const float *p, float rs, const float *vs, uint32_t nb, uint32_t n, uint32_t n32,
                          int8_t *q, size_t ldq, float *d, size_t ldd) {
    const __m256 vrs = _mm256_set1_ps(rs);
    const __m256i perm = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for (uint32_t t0 = 0; t0 < n32; t0 += Q8_BLOCK) {
        float c[2][Q8_BLOCK]; /* nb == 2: both blocks filled by the vector loop; else one at a time */
        uint32_t i = 0;
        const uint32_t end = n > t0 ? (n - t0 < Q8_BLOCK ? n - t0 : Q8_BLOCK) : 0;
        if (nb == 2)
            for (; i + 8 <= end; i += 8) {
                const uint32_t t = t0 + i;
                __m256 a = _mm256_permutevar8x32_ps(_mm256_loadu_ps(vs + (size_t)t * 2), perm);
                __m256 b = _mm256_permutevar8x32_ps(_mm256_loadu_ps(vs + (size_t)t * 2 + 8), perm);
                __m256 pv = _mm256_mul_ps(_mm256_loadu_ps(p + t), vrs);
                _mm256_storeu_ps(c[0] + i, _mm256_mul_ps(pv, _mm256_permute2f128_ps(a, b, 0x20)));
                _mm256_storeu_ps(c[1] + i, _mm256_mul_ps(pv, _mm256_permute2f128_ps(a, b, 0x31)));
            }
        for (uint32_t b = 0; b < nb; b++) {
            float *cb = c[b % 2];
            uint32_t j = nb == 2 ? i : 0;
            for (; j < end; j++) cb[j] = (p[t0 + j] * rs) * vs[(size_t)(t0 + j) * nb + b];
            for (; j < Q8_BLOCK; j++) cb[j] = 0.0f;
            quantize_q8_avx2(cb, Q8_BLOCK, q + (size_t)b * ldq + t0, d + (size_t)b * ldd + t0 / Q8_BLOCK);
        }
    }
}

/* Rows one after the other (AVX2 has too few registers to share the
 * loads of the values among several rows' accumulators). */
static void pv_dot_rows_avx2(const int8_t *vg, uint32_t hd, size_t ldq, size_t ldd, const lmz_pv_row *rows,
                             uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        pv_dot_avx2(vg, hd, rows[i].q, ldq, rows[i].r, rows[i].d, ldd, rows[i].nblk, rows[i].out);
}

/* ------------------------------------------------------------------------ */
/* Vocabulary-sized loops of the coder and the mixer (kernels.h)            */
/* ------------------------------------------------------------------------ */

/* max(x, m) is "x > m ? x : m" lane by lane (m for NaN and ties). */
static float max_f32_avx2(const float *x, uint32_t n, float init) {
    __m256 m0 = _mm256_set1_ps(init), m1 = m0;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    }
    float l[8], r = init;
    _mm256_storeu_ps(l, _mm256_max_ps(m0, m1));
    for (int j = 0; j < 8; j++) r = l[j] > r ? l[j] : r;
    for (; i < n; i++) r = x[i] > r ? x[i] : r;
    return r;
}

static void affine_avx2(float *z, float s, const float *x, const float *b, uint32_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(z + i, _mm256_add_ps(_mm256_mul_ps(vs, _mm256_loadu_ps(x + i)), _mm256_loadu_ps(b + i)));
    for (; i < n; i++) z[i] = s * x[i] + b[i];
}

/* (float)f for 8 uint32: AVX2 converts only signed int32, so the high and
 * low 16 bits are converted apart; hi * 65536 is exact and the one add
 * rounds as the scalar conversion does. */
static inline __m256 u32_to_ps(const uint32_t *f) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)f);
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 16));
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)));
    return _mm256_add_ps(_mm256_mul_ps(hi, _mm256_set1_ps(65536.0f)), lo);
}

/* lanes 0-7 of the 16-lane sum in a0, 8-15 in a1 */
static float dot_freq_avx2(const uint32_t *freq, float inv, const float *x, uint32_t n) {
    const __m256 vi = _mm256_set1_ps(inv);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_mul_ps(u32_to_ps(freq + i), vi), _mm256_loadu_ps(x + i)));
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_mul_ps(u32_to_ps(freq + i + 8), vi), _mm256_loadu_ps(x + i + 8)));
    }
    float l[16];
    _mm256_storeu_ps(l, a0);
    _mm256_storeu_ps(l + 8, a1);
    for (; i < n; i++) l[i % 16] = l[i % 16] + ((float)freq[i] * inv) * x[i];
    return lmz_sum16_tree(l);
}

static void sub_freq_avx2(float *b, float c, const uint32_t *freq, uint32_t n) {
    const __m256 vc = _mm256_set1_ps(c);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(b + i, _mm256_sub_ps(_mm256_loadu_ps(b + i), _mm256_mul_ps(vc, u32_to_ps(freq + i))));
    for (; i < n; i++) b[i] = b[i] - c * (float)freq[i];
}

static uint64_t fill_freq_avx2(const float *p, uint32_t *freq, uint32_t n, float scale, float B) {
    const __m256 vs = _mm256_set1_ps(scale), vb = _mm256_set1_ps(B), zero = _mm256_setzero_ps();
    const __m256i one = _mm256_set1_epi32(1);
    __m256i t = _mm256_setzero_si256();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 q = _mm256_mul_ps(_mm256_loadu_ps(p + i), vs);
        q = _mm256_and_ps(q, _mm256_cmp_ps(q, zero, _CMP_GE_OQ)); /* NaN and q < 0 -> +0 */
        q = _mm256_blendv_ps(vb, q, _mm256_cmp_ps(q, vb, _CMP_LE_OQ));
        const __m256i v = _mm256_add_epi32(_mm256_cvttps_epi32(q), one);
        _mm256_storeu_si256((__m256i *)(void *)(freq + i), v);
        t = _mm256_add_epi64(t, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)));
        t = _mm256_add_epi64(t, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(v, 1)));
    }
    uint64_t l[4], T;
    _mm256_storeu_si256((__m256i *)(void *)l, t);
    T = l[0] + l[1] + l[2] + l[3];
    if (i < n) T += fill_freq_generic(p + i, freq + i, n - i, scale, B);
    return T;
}

/* 4 pairs a vector, as rope_avx512. */
static void rope_avx2(float *x, const float *c, const float *s, uint32_t half) {
    uint32_t i = 0;
    for (; i + 4 <= half; i += 4) {
        const __m256 v = _mm256_loadu_ps(x + 2 * i);
        const __m128 c4 = _mm_loadu_ps(c + i), s4 = _mm_loadu_ps(s + i);
        const __m256 cc = _mm256_set_m128(_mm_unpackhi_ps(c4, c4), _mm_unpacklo_ps(c4, c4));
        const __m256 ss = _mm256_set_m128(_mm_unpackhi_ps(s4, s4), _mm_unpacklo_ps(s4, s4));
        const __m256 P = _mm256_mul_ps(v, cc), Q = _mm256_mul_ps(_mm256_permute_ps(v, 0xB1), ss);
        _mm256_storeu_ps(x + 2 * i, _mm256_blend_ps(_mm256_sub_ps(P, Q), _mm256_add_ps(P, Q), 0xAA));
    }
    if (i < half) rope_generic(x + 2 * i, c + i, s + i, half - i);
}

/* fill_freq_avx2 into a small buffer, 16 values at a time. */
static uint64_t fill_cum_avx2(const float *p, uint32_t n, float scale, float B, uint32_t s, uint64_t *cum) {
    uint64_t T = 0;
    *cum = 0;
    uint32_t f[16];
    for (uint32_t i = 0; i < n; i += 16) {
        const uint32_t k = n - i < 16 ? n - i : 16;
        const uint64_t t = fill_freq_avx2(p + i, f, k, scale, B);
        if (s >= i + k) *cum += t;
        else if (s > i)
            for (uint32_t j = 0; j < s - i; j++) *cum += f[j];
        T += t;
    }
    return T;
}

/* lmz_sincos_d, 4 angles a vector (as sincos_d_avx512). */
static void sincos_d_avx2(const double *a, double *s, double *c, uint32_t n) {
    const __m256d twopi_hi = _mm256_set1_pd(6.28318530717958623199592693709);
    const __m256d twopi_lo = _mm256_set1_pd(2.44929359829470635445e-16), half = _mm256_set1_pd(0.5);
    const __m256d zero = _mm256_setzero_pd(), sign = _mm256_set1_pd(-0.0);
#define NEG(v) _mm256_xor_pd(v, sign) /* the scalar's unary minus */
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d x = _mm256_loadu_pd(a + i);
        const __m256d k0 = _mm256_div_pd(x, twopi_hi);
        const __m256d kp = _mm256_round_pd(_mm256_add_pd(k0, half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m256d kn = NEG(_mm256_round_pd(_mm256_add_pd(NEG(k0), half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
        const __m256d k = _mm256_blendv_pd(kn, kp, _mm256_cmp_pd(k0, zero, _CMP_GE_OQ));
        const __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(k, twopi_hi)), _mm256_mul_pd(k, twopi_lo));
        const __m256d r2 = _mm256_mul_pd(r, r);
        __m256d ts = r, tc = _mm256_set1_pd(1.0), ss = zero, cc = zero;
        for (int j = 1; j <= 60; j += 2) {
            ss = _mm256_add_pd(ss, ts);
            cc = _mm256_add_pd(cc, tc);
            ts = _mm256_div_pd(_mm256_mul_pd(NEG(ts), r2), _mm256_set1_pd((double)((j + 1) * (j + 2))));
            tc = _mm256_div_pd(_mm256_mul_pd(NEG(tc), r2), _mm256_set1_pd((double)(j * (j + 1))));
        }
        _mm256_storeu_pd(s + i, ss);
        _mm256_storeu_pd(c + i, cc);
    }
    if (i < n) sincos_d_generic(a + i, s + i, c + i, n - i);
#undef NEG
}

/* The scalar reference's two steps with the AVX2 max; the search for the
 * first index holding it 8 at a time. */
static uint32_t argmax_f32_avx2(const float *x, uint32_t n, float *m) {
    *m = max_f32_avx2(x, n, -INFINITY);
    if (!(*m > -INFINITY)) return 0;
    const __m256 vm = _mm256_set1_ps(*m);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), vm, _CMP_EQ_OQ));
        if (hit) return i + (uint32_t)__builtin_ctz((unsigned)hit);
    }
    while (!(x[i] == *m)) i++;
    return i;
}

static uint64_t sum_u32_avx2(const uint32_t *x, uint32_t n) {
    __m256i t = _mm256_setzero_si256();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
        t = _mm256_add_epi64(t, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)));
        t = _mm256_add_epi64(t, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(v, 1)));
    }
    uint64_t l[4];
    _mm256_storeu_si256((__m256i *)(void *)l, t);
    return l[0] + l[1] + l[2] + l[3] + sum_u32_generic(x + i, n - i);
}

static void add_f32_avx2(float *x, const float *y, uint32_t n) {
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    add_f32_generic(x + i, y + i, n - i);
}

static void scale_mul_avx2(float *y, const float *x, float s, const float *w, uint32_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(w + i)));
    scale_mul_generic(y + i, x + i, s, w + i, n - i);
}

static void acc_s4_avx2(float *out, float c, const int8_t *v, uint32_t n) {
    const __m256 vc = _mm256_set1_ps(c);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(v + (size_t)i * 4));
        const __m256i d = _mm256_srai_epi32(_mm256_slli_epi32(w, 24), 24);
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(out + i), _mm256_mul_ps(vc, _mm256_cvtepi32_ps(d))));
    }
    if (i < n) acc_s4_generic(out + i, c, v + (size_t)i * 4, n - i);
}

const lmz_kernels lmz_kernels_avx2 = {"avx2", 0,          quantize_q8_avx2, matvec_q8_avx2, matmul_q8_avx2,
                                     sumsq_avx2,      expf_avx2,
                                     expsum_avx2,     softmax_avx2,    silu_mul_avx2,  pv_quant_avx2,
                                     pv_dot_rows_avx2, max_f32_avx2,   affine_avx2,    dot_freq_avx2,
                                     sub_freq_avx2,   fill_freq_avx2, rope_avx2,      fill_cum_avx2,
                                     sincos_d_avx2,   argmax_f32_avx2, sum_u32_avx2,   add_f32_avx2,
                                     scale_mul_avx2,  acc_s4_avx2,    put_s4_generic};
