/*
 * lib/kernels/kernels_avx512.c — AVX-512 VNNI kernels (AVX512F + BW + VL +
 * VNNI), bit-identical to the generic reference (kernels_generic.c).
 *
 * int8 products use vpdpbusd: 4 products of an unsigned and a signed byte
 * summed into each int32 lane. Two ways of feeding it, both exact:
 *
 *  - one vector (matvec, attention, batches of fewer than TILE_MIN_NB): the
 *    unsigned side is |x| and the signed side is w with the sign of x (as the
 *    AVX2 path does): |x| <= 127, |w| <= 127. A register holds 2 blocks of
 *    one row; 16 rows give 16 registers of 8 partial sums per block, reduced
 *    by a shuffle tree to one int32 per row and block (hsum16x16).
 *  - batches (matmul, nb >= TILE_MIN_NB): a tile of 16 rows is transposed
 *    once so that one register holds 4 bytes of each of the 16 rows, stored
 *    as w + 128 (unsigned, 1..255); each 4-byte group of an activation
 *    vector is broadcast as the signed side, and 8 vpdpbusd give the 16
 *    rows' sums of a block with no reduction, for every vector of the batch.
 *    sum((w + 128) * x) = sum(w * x) + 128 * sum(x): the second term is
 *    subtracted exactly in int32 (one number per vector and block). With 16
 *    vectors or more, two tiles (32 rows) at a time: each broadcast feeds
 *    both tiles and each weight register 4 vectors (compression).
 *
 * All integer sums are exact, whatever their order. The float part keeps one
 * row per lane and performs exactly the reference sequence
 *   acc = acc + (wd[b] * xd[b]) * (float)isum_b,   blocks in ascending order
 * (no FMA: the build uses -ffp-contract=off and no fmadd intrinsic is used).
 */
#include <immintrin.h>
#include <math.h> /* INFINITY only */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

#define LMZ_INLINE static inline __attribute__((always_inline))

/* Batches of at least this many vectors use the transposed-tile kernel
 * (transposing costs about as much as 2 vectors of the one-vector kernel). */
#define TILE_MIN_NB 3
/* Tile buffers: blocks of a row chunk (48 blocks = 1536 columns: 24 KiB of
 * transposed weights per tile) and vectors per chunk. */
#define TILE_KB 48
#define TILE_VC 64
/* Vectors per pass over a pair of tiles (32 rows): 2 x 4 accumulators of two
 * chains each, 8 float sums, 2 weight registers. */
#define TILE_NV 4

/* ------------------------------------------------------------------------ */
/* Shared pieces                                                            */
/* ------------------------------------------------------------------------ */

/* Two 8-float halves (rows 0-7 and 8-15) as one register. */
LMZ_INLINE __m512 join8(const float *lo, const float *hi) {
    __m512d v = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(lo)));
    return _mm512_castpd_ps(_mm512_insertf64x4(v, _mm256_castps_pd(_mm256_loadu_ps(hi)), 1));
}

/* Scales of 16 rows at block b: from the regrouped d8 when the 16 rows are
 * two whole groups of 8 (d8g = d8 of the first group, gstride = floats per
 * group), else gathered from d0 (row k's scales at d0 + didx[k]). */
LMZ_INLINE __m512 scales16(const float *d8g, size_t gstride, const float *d0, __m512i didx, uint32_t b) {
    if (d8g) return join8(d8g + (size_t)b * 8, d8g + gstride + (size_t)b * 8);
    return _mm512_i32gather_ps(didx, d0 + b, 4);
}

/* Sums the two 8-lane halves of 16 registers of 16 int32: lane r of *lo is
 * the sum of lanes 0..7 of p[r], lane r of *hi the sum of lanes 8..15.
 * (Exact: all values are small integers.) */
LMZ_INLINE void hsum16x16(const __m512i p[16], __m512i *lo, __m512i *hi) {
    __m512i t[8], u[4];
    /* per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3] for rows a = 2i, b = 2i+1 */
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        t[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2 * i], p[2 * i + 1]),
                                _mm512_unpackhi_epi32(p[2 * i], p[2 * i + 1]));
    /* per 128-bit lane: the 4-lane sums of rows 4i .. 4i+3 */
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
        u[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(t[2 * i], t[2 * i + 1]),
                                _mm512_unpackhi_epi64(t[2 * i], t[2 * i + 1]));
    /* 128-bit lanes 0+1 (first half) and 2+3 (second half):
     * v0 = [u0 lo, u0 hi, u1 lo, u1 hi], v1 likewise for u2, u3 */
    __m512i v0 = _mm512_add_epi32(_mm512_shuffle_i32x4(u[0], u[1], 0x88), _mm512_shuffle_i32x4(u[0], u[1], 0xDD));
    __m512i v1 = _mm512_add_epi32(_mm512_shuffle_i32x4(u[2], u[3], 0x88), _mm512_shuffle_i32x4(u[2], u[3], 0xDD));
    *lo = _mm512_shuffle_i32x4(v0, v1, 0x88);
    *hi = _mm512_shuffle_i32x4(v0, v1, 0xDD);
}

/* 4 bytes in every int32 lane. */
LMZ_INLINE __m512i bcast4(const int8_t *p) {
    int32_t g;
    memcpy(&g, p, 4);
    return _mm512_set1_epi32(g);
}

/* Byte mask of the first n bytes of 64 (n may exceed 64). */
LMZ_INLINE __mmask64 bytes_mask(size_t n) { return n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1); }

/* ------------------------------------------------------------------------ */
/* 16 rows x one vector (matvec, attention, small batches)                  */
/* ------------------------------------------------------------------------ */

/* Integer sums of two blocks (64 bytes: xb, and w + off[k] for row k) of 16
 * rows: lane k of *s0 for the first block, of *s1 for the second. lm masks
 * the bytes loaded (the second block is absent at an odd tail: zeros). */
LMZ_INLINE void block16x2(const int8_t *w, const size_t off[16], const int8_t *xb, __mmask64 lm, __m512i *s0,
                          __m512i *s1) {
    const __m512i zero = _mm512_setzero_si512();
    __m512i x = _mm512_maskz_loadu_epi8(lm, xb);
    __m512i ax = _mm512_abs_epi8(x);             /* unsigned side: |x| <= 127 */
    __mmask64 neg = _mm512_movepi8_mask(x);      /* lanes where x < 0 */
    __m512i p[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) {
        __m512i wk = _mm512_maskz_loadu_epi8(lm, w + off[k]);
        wk = _mm512_mask_sub_epi8(wk, neg, zero, wk); /* w * sign(x), |.| <= 127 */
        p[k] = _mm512_dpbusd_epi32(zero, ax, wk);
    }
    hsum16x16(p, s0, s1);
}

/* Rows k = 0..n-1 (n <= 16) at w + k*lda, times the vector x (nblk blocks):
 * out[k] = acc over blocks b ascending of acc + scale_b * (float)isum_b, with
 * scale_b = wd_k[b] * xd[b] (scales from d8g or d0/didx, see scales16).
 * Rows beyond n repeat row
 * n-1 and are not stored. */
LMZ_INLINE void rows16(const int8_t *w, size_t lda, uint32_t n, const int8_t *x, const float *xd, uint32_t nblk,
                       const float *d8g, size_t gstride, const float *d0, size_t dstride, float *out,
                       const int8_t *pf, const float *pf8) {
    size_t off[16];
    int32_t di[16];
    for (uint32_t k = 0; k < 16; k++) {
        uint32_t kk = k < n ? k : n - 1;
        off[k] = (size_t)kk * lda;
        di[k] = (int32_t)(kk * dstride);
    }
    const __m512i didx = _mm512_loadu_si512(di);
    /* attention's keys (2 blocks, no d8): the 32 scales of 16 whole rows are
     * contiguous, 2 loads and 2 permutes instead of 2 gathers */
    const int keys = !d8g && nblk == 2 && n == 16 && dstride == 2;
    __m512 k0 = _mm512_setzero_ps(), k1 = k0;
    if (keys) {
        const __m512 a = _mm512_loadu_ps(d0), c = _mm512_loadu_ps(d0 + 16);
        k0 = _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), c);
        k1 = _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), c);
    }
    __m512 acc = _mm512_setzero_ps();
    uint32_t b = 0;
    for (; b + 2 <= nblk; b += 2) {
        __m512i s0, s1;
        if (pf) { /* the same two blocks of the next 16 rows (see rows16_q8) */
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) _mm_prefetch((const char *)(pf + (size_t)k * lda + (size_t)b * Q8_BLOCK), _MM_HINT_T0);
            if (pf8) {
                _mm_prefetch((const char *)(pf8 + (size_t)b * 8), _MM_HINT_T0);
                _mm_prefetch((const char *)(pf8 + gstride + (size_t)b * 8), _MM_HINT_T0);
            }
        }
        block16x2(w + (size_t)b * Q8_BLOCK, off, x + (size_t)b * Q8_BLOCK, ~(__mmask64)0, &s0, &s1);
        __m512 c0 = _mm512_set1_ps(xd[b]), c1 = _mm512_set1_ps(xd[b + 1]);
        if (keys) {
            c0 = _mm512_mul_ps(k0, c0);
            c1 = _mm512_mul_ps(k1, c1);
        } else {
            c0 = _mm512_mul_ps(scales16(d8g, gstride, d0, didx, b), c0);
            c1 = _mm512_mul_ps(scales16(d8g, gstride, d0, didx, b + 1), c1);
        }
        acc = _mm512_add_ps(acc, _mm512_mul_ps(c0, _mm512_cvtepi32_ps(s0)));
        acc = _mm512_add_ps(acc, _mm512_mul_ps(c1, _mm512_cvtepi32_ps(s1)));
    }
    if (b < nblk) { /* the last block alone: masked loads, the second half is zero */
        __m512i s0, s1;
        block16x2(w + (size_t)b * Q8_BLOCK, off, x + (size_t)b * Q8_BLOCK, bytes_mask(Q8_BLOCK), &s0, &s1);
        __m512 c0 = _mm512_set1_ps(xd[b]);
        c0 = _mm512_mul_ps(scales16(d8g, gstride, d0, didx, b), c0);
        acc = _mm512_add_ps(acc, _mm512_mul_ps(c0, _mm512_cvtepi32_ps(s0)));
    }
    if (n == 16)
        _mm512_storeu_ps(out, acc);
    else
        _mm512_mask_storeu_ps(out, (__mmask16)((1u << n) - 1), acc);
}

/* Rows r .. r+n-1 (n <= 16) of W times one quantised vector.
 *
 * prefetch != 0: also ask for rows r+16 .. r+31 (and their scales) while
 * these are computed. Decoding multiplies each weight by one or two vectors
 * and streams the model's weights from memory for every token; the 16 rows
 * of one call are one 8 KiB run (K = 512) read at a stride of K, which the
 * hardware prefetcher does not run ahead of. Prefetching changes no result. */
static void rows16_q8(const q8_matrix *W, uint32_t r, uint32_t n, const int8_t *xq, const float *xd, float *out,
                      int prefetch) {
    const uint32_t K = W->cols, nblk = K / Q8_BLOCK;
    /* d8 holds rows/8 whole groups; use it when rows r..r+15 are two of them */
    const float *d8g = W->d8 && r % 8 == 0 && r + 16 <= W->rows / 8 * 8 ? W->d8 + (size_t)(r / 8) * nblk * 8 : NULL;
    const int8_t *pf = prefetch && r + 32 <= W->rows ? W->q + (size_t)(r + 16) * K : NULL;
    const float *pf8 = pf && d8g && r + 32 <= W->rows / 8 * 8 ? d8g + (size_t)2 * nblk * 8 : NULL;
    rows16(W->q + (size_t)r * K, K, n, xq, xd, nblk, d8g, (size_t)nblk * 8, W->d + (size_t)r * nblk, nblk, out, pf,
           pf8);
}

/* One row, block by block in order: the 32 products of a block as int16
 * pairs summed in int32 (exact), then acc = acc + (wd * xd) * isum. For a
 * few rows (attention's sink score: one row of 64) this costs a tenth of
 * a 16-row tile. */
static float dot_row_avx512(const int8_t *w, const float *wd, const int8_t *x, const float *xd, uint32_t nblk) {
    float acc = 0.0f;
    for (uint32_t b = 0; b < nblk; b++) {
        const __m512i a = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(w + 32 * (size_t)b)));
        const __m512i c = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(x + 32 * (size_t)b)));
        const int32_t isum = _mm512_reduce_add_epi32(_mm512_madd_epi16(a, c));
        acc = acc + (wd[b] * xd[b]) * (float)isum;
    }
    return acc;
}

static void matvec_q8_avx512(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                             float *out) {
    const uint32_t nblk = W->cols / Q8_BLOCK;
    if (r1 - r0 < 4) {
        for (uint32_t r = r0; r < r1; r++)
            out[r - r0] = dot_row_avx512(W->q + (size_t)r * W->cols, W->d + (size_t)r * nblk, xq, xd, nblk);
        return;
    }
    for (uint32_t r = r0; r < r1; r += 16) rows16_q8(W, r, r1 - r < 16 ? r1 - r : 16, xq, xd, out + (r - r0), 1);
}

/* ------------------------------------------------------------------------ */
/* Attention's P.V: values in groups of 4 positions                          */
/* ------------------------------------------------------------------------ */

/* One block of 32 window positions (8 groups; 9 when the window starts at
 * byte r > 0 of a group: the first and last are masked) for 32 dimensions:
 * the 4 bytes of weights of a group broadcast as the unsigned side (they
 * are >= 0), the group's 4 positions of 16 dimensions as the signed side:
 * lane i of *s0 = isum of dimension i, of *s1 of dimension 16 + i. */
LMZ_INLINE void pv_block(const int8_t *vb, size_t gs, const int8_t *qb, uint32_t ng, __m512i mfirst, __m512i mlast,
                         __m512i *s0, __m512i *s1) {
    __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
#pragma GCC unroll 9
    for (uint32_t g = 0; g < ng; g++) {
        __m512i p = bcast4(qb + 4 * g);
        if (g == 0) p = _mm512_and_si512(p, mfirst);
        if (g == 8) p = _mm512_and_si512(p, mlast);
        a = _mm512_dpbusd_epi32(a, p, _mm512_loadu_si512(vb + g * gs));
        b = _mm512_dpbusd_epi32(b, p, _mm512_loadu_si512(vb + g * gs + 64));
    }
    *s0 = a;
    *s1 = b;
}

/* ------------------------------------------------------------------------ */
/* Batches: transposed 16-row tiles x several vectors                       */
/* ------------------------------------------------------------------------ */

/* Transposes 16 rows of 16 int32 (row k = m[k]) in place: m[q] lane k <-
 * old m[k] lane q. */
LMZ_INLINE void transpose16x16(__m512i m[16]) {
    __m512i t[16], u[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) { /* per 128-bit lane: [a0 b0 a1 b1], [a2 b2 a3 b3] */
        t[2 * i] = _mm512_unpacklo_epi32(m[2 * i], m[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(m[2 * i], m[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) { /* rows 4g..4g+3: u[4g+j] holds lane 4L+j of each 128-bit lane L */
        u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) { /* 4x4 transpose of 128-bit lanes across the groups */
        __m512i v0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x88);      /* g0.L0 g0.L2 g1.L0 g1.L2 */
        __m512i v1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xDD);      /* g0.L1 g0.L3 g1.L1 g1.L3 */
        __m512i v2 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x88); /* g2.L0 g2.L2 g3.L0 g3.L2 */
        __m512i v3 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xDD); /* g2.L1 g2.L3 g3.L1 g3.L3 */
        m[0 + j] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        m[8 + j] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
        m[4 + j] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        m[12 + j] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
    }
}

/* The tile of rows k = 0..15 (row k at w + k*K), blocks 0..kn-1 from w:
 * wt[b*8 + g] lane k = bytes 4g..4g+3 of block b of row k, plus 128 each. */
static void tile_transpose(const int8_t *w, size_t K, uint32_t kn, __m512i *wt, const int8_t *pf) {
    const __m512i bias = _mm512_set1_epi8((char)0x80); /* w ^ 0x80 == w + 128 as unsigned */
    for (uint32_t b = 0; b < kn; b += 2) {
        const __mmask64 lm = bytes_mask((size_t)(kn - b) * Q8_BLOCK);
        __m512i m[16];
        if (pf) /* the next tile's same blocks: they arrive while this tile's vectors run */
            for (int k = 0; k < 16; k++) _mm_prefetch((const char *)(pf + (size_t)k * K + (size_t)b * Q8_BLOCK), _MM_HINT_T0);
#pragma GCC unroll 16
        for (int k = 0; k < 16; k++) m[k] = _mm512_maskz_loadu_epi8(lm, w + (size_t)k * K + (size_t)b * Q8_BLOCK);
        transpose16x16(m);
#pragma GCC unroll 8
        for (int g = 0; g < 8; g++) wt[(size_t)b * 8 + g] = _mm512_xor_si512(m[g], bias);
        if (b + 1 < kn)
            for (int g = 0; g < 8; g++) wt[(size_t)(b + 1) * 8 + g] = _mm512_xor_si512(m[8 + g], bias);
    }
}

/* ncx[b] = -128 * sum of the 32 values of block b of x, b = 0..kn-1 (the
 * correction for the + 128 of the weights). 16 registers of 2 blocks reduced
 * with hsum16x16: 32 blocks per round. */
static void neg_block_sums(const int8_t *x, uint32_t kn, int32_t *ncx) {
    const __m512i ones = _mm512_set1_epi8(1), zero = _mm512_setzero_si512();
    const __m512i even = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i odd = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (uint32_t b0 = 0; b0 < kn; b0 += 32) {
        __m512i p[16], lo, hi;
#pragma GCC unroll 16
        for (uint32_t k = 0; k < 16; k++) {
            uint32_t b = b0 + 2 * k;
            if (b >= kn) {
                p[k] = zero;
                continue;
            }
            __m512i v = _mm512_maskz_loadu_epi8(bytes_mask((size_t)(kn - b) * Q8_BLOCK), x + (size_t)b * Q8_BLOCK);
            p[k] = _mm512_dpbusd_epi32(zero, ones, v); /* sums of 4 values */
        }
        hsum16x16(p, &lo, &hi); /* lane k: block b0+2k (lo), b0+2k+1 (hi) */
        __m512i s0 = _mm512_permutex2var_epi32(lo, even, hi), s1 = _mm512_permutex2var_epi32(lo, odd, hi);
        s0 = _mm512_sub_epi32(zero, _mm512_slli_epi32(s0, 7));
        s1 = _mm512_sub_epi32(zero, _mm512_slli_epi32(s1, 7));
        uint32_t left = kn - b0;
        if (left >= 32) {
            _mm512_storeu_si512(ncx + b0, s0);
            _mm512_storeu_si512(ncx + b0 + 16, s1);
        } else if (left > 16) {
            _mm512_storeu_si512(ncx + b0, s0);
            _mm512_mask_storeu_epi32(ncx + b0 + 16, (__mmask16)((1u << (left - 16)) - 1), s1);
        } else {
            _mm512_mask_storeu_epi32(ncx + b0, (__mmask16)((1u << left) - 1), s0);
        }
    }
}

/* The chunk's per-vector numbers, for vectors v < vn and blocks b < kn
 * (vector v at xc + v*K, its scales at xdc + v*nblk):
 *   ncx[b*bs + v*vs] = -128 * (sum of the 32 values of block b), the
 *   correction for the + 128 of the weights (exact in int32);
 *   xdt[b*bs + v*vs] = the vector's scale of block b.
 * With 16 vectors or more by block (bs = TILE_VC, vs = 1; returns 1): 16
 * vectors at a time, the sums of two blocks of 16 vectors are one hsum16x16
 * (lane k: vector k), the scales a 16x16 transpose, the last vectors (fewer
 * than 16) one at a time. Else by vector (bs = 1, vs = TILE_KB; returns 0):
 * a few vectors' numbers in a few lines (decoding, which streams the weights
 * from memory, measured about 8 % slower with the layout by block). */
static int chunk_prep(const int8_t *xc, size_t K, const float *xdc, size_t nblk, uint32_t vn, uint32_t kn,
                      int32_t *ncx, float *xdt) {
    const __m512i ones = _mm512_set1_epi8(1), zero = _mm512_setzero_si512();
    if (vn < 16) {
        for (uint32_t v = 0; v < vn; v++) {
            neg_block_sums(xc + (size_t)v * K, kn, ncx + (size_t)v * TILE_KB);
            memcpy(xdt + (size_t)v * TILE_KB, xdc + (size_t)v * nblk, kn * sizeof(float));
        }
        return 0;
    }
    uint32_t v0 = 0;
    for (; v0 + 16 <= vn; v0 += 16) {
        const int8_t *x0 = xc + (size_t)v0 * K;
        for (uint32_t b = 0; b < kn; b += 2) {
            __m512i p[16], lo, hi;
            if (b + 2 <= kn) {
#pragma GCC unroll 16
                for (uint32_t k = 0; k < 16; k++)
                    p[k] = _mm512_dpbusd_epi32(zero, ones, _mm512_loadu_si512(x0 + (size_t)k * K + (size_t)b * Q8_BLOCK));
            } else {
#pragma GCC unroll 16
                for (uint32_t k = 0; k < 16; k++)
                    p[k] = _mm512_dpbusd_epi32(zero, ones,
                                               _mm512_maskz_loadu_epi8(bytes_mask(Q8_BLOCK), x0 + (size_t)k * K + (size_t)b * Q8_BLOCK));
            }
            hsum16x16(p, &lo, &hi); /* lane k: vector v0+k, block b (lo), b+1 (hi) */
            _mm512_storeu_si512(ncx + (size_t)b * TILE_VC + v0, _mm512_sub_epi32(zero, _mm512_slli_epi32(lo, 7)));
            if (b + 1 < kn)
                _mm512_storeu_si512(ncx + (size_t)(b + 1) * TILE_VC + v0, _mm512_sub_epi32(zero, _mm512_slli_epi32(hi, 7)));
        }
        for (uint32_t b0 = 0; b0 < kn; b0 += 16) {
            const uint32_t m = kn - b0 < 16 ? kn - b0 : 16;
            __m512i t[16];
#pragma GCC unroll 16
            for (uint32_t k = 0; k < 16; k++)
                t[k] = _mm512_maskz_loadu_epi32((__mmask16)((1u << m) - 1), xdc + (size_t)(v0 + k) * nblk + b0);
            transpose16x16(t); /* t[q] lane k: vector v0+k, block b0+q */
            for (uint32_t q = 0; q < m; q++) _mm512_storeu_si512(xdt + (size_t)(b0 + q) * TILE_VC + v0, t[q]);
        }
    }
    for (; v0 < vn; v0++) {
        int32_t nc[TILE_KB];
        neg_block_sums(xc + (size_t)v0 * K, kn, nc);
        for (uint32_t b = 0; b < kn; b++) {
            ncx[(size_t)b * TILE_VC + v0] = nc[b];
            xdt[(size_t)b * TILE_VC + v0] = xdc[(size_t)v0 * nblk + b];
        }
    }
    return 1;
}

/* Per-chunk tile state: up to two tiles of kn blocks of 16 rows, transposed
 * (when W has no pre-transposed copy), with their scales; the chunk's
 * corrections and vector scales (chunk_prep's layout). */
typedef struct {
    __m512i wt[2][TILE_KB * 8];
    __m512 wd[2][TILE_KB];
    int32_t ncx[TILE_KB * TILE_VC];
    float xd[TILE_KB * TILE_VC];
} tile_buf;

/* Hides p's value from the compiler: addresses p + constant stay one
 * register plus a displacement (without it, GCC makes one pointer per
 * vector and group and spills them). */
#define OPAQUE(p) __asm__("" : "+r"(p))

/* nt tiles (1 or 2: 16 or 32 rows; tile i's weights at wt<i>, its scales
 * at wd<i>) x nv vectors of the chunk (nt, nv, vs constants after
 * inlining): vector v at x + v*K (its chunk's first block), its correction
 * and scale of block b at ncx[b*bs + v*vs], xd[b*bs + v*vs] (chunk_prep's
 * layouts: vs = 1, bs = TILE_VC or vs = TILE_KB, bs = 1), output
 * out + v*ldo (tile i at + 16i). Each broadcast 4 bytes of a vector feed
 * the nt tiles; each 64 bytes of weights loaded feed the nv vectors. first:
 * acc starts at 0, else from the stored partial sums of earlier chunks
 * (exact floats). pf: lines of the next tiles to prefetch, npf per block. */
LMZ_INLINE void tiles_vectors(const __m512i *wt0, const __m512i *wt1, const __m512 *wd0, const __m512 *wd1,
                              uint32_t kn, const int8_t *x, size_t K, const float *xd, const int32_t *ncx,
                              float *out, size_t ldo, int first, const uint8_t *pf, uint32_t npf, const int nt,
                              const int nv, const int vs) {
    __m512 acc[2][8];
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
#pragma GCC unroll 2
        for (int i = 0; i < nt; i++)
            acc[i][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(out + (size_t)v * ldo + 16 * i);
    for (uint32_t b = 0; b < kn; b++) {
        if (pf) /* a loop, not a burst of prefetches */
            for (uint32_t l = 0; l < npf; l++) _mm_prefetch((const char *)(pf + ((size_t)b * npf + l) * 64), _MM_HINT_T0);
        const int8_t *xp[8];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            xp[v] = x + (size_t)v * K + (size_t)b * Q8_BLOCK;
            OPAQUE(xp[v]);
        }
        const __m512i *w0 = wt0 + (size_t)b * 8, *w1 = wt1 + (size_t)b * 8;
        const int32_t *nc = ncx + (size_t)b * (vs == 1 ? TILE_VC : 1);
        const float *xdb = xd + (size_t)b * (vs == 1 ? TILE_VC : 1);
        /* two chains per tile and vector (vpdpbusd's latency), even and odd
         * groups, joined exactly in int32 */
        __m512i s[2][8], e[2][8];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            s[0][v] = _mm512_set1_epi32(nc[v * vs]);
            if (nt == 2) s[1][v] = s[0][v];
            e[0][v] = e[1][v] = _mm512_setzero_si512();
        }
#pragma GCC unroll 8
        for (int g = 0; g < 8; g++) {
            const __m512i a0 = _mm512_load_si512(w0 + g);
            const __m512i a1 = nt == 2 ? _mm512_load_si512(w1 + g) : a0;
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++) {
                const __m512i xv = bcast4(xp[v] + 4 * g);
                if (g & 1) {
                    e[0][v] = _mm512_dpbusd_epi32(e[0][v], a0, xv);
                    if (nt == 2) e[1][v] = _mm512_dpbusd_epi32(e[1][v], a1, xv);
                } else {
                    s[0][v] = _mm512_dpbusd_epi32(s[0][v], a0, xv);
                    if (nt == 2) s[1][v] = _mm512_dpbusd_epi32(s[1][v], a1, xv);
                }
            }
        }
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            s[0][v] = _mm512_add_epi32(s[0][v], e[0][v]);
            if (nt == 2) s[1][v] = _mm512_add_epi32(s[1][v], e[1][v]);
        }
        const __m512 d0 = wd0[b], d1 = nt == 2 ? wd1[b] : d0;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            const __m512 c = _mm512_set1_ps(xdb[v * vs]);
            acc[0][v] = _mm512_add_ps(acc[0][v], _mm512_mul_ps(_mm512_mul_ps(d0, c), _mm512_cvtepi32_ps(s[0][v])));
            if (nt == 2)
                acc[1][v] = _mm512_add_ps(acc[1][v], _mm512_mul_ps(_mm512_mul_ps(d1, c), _mm512_cvtepi32_ps(s[1][v])));
        }
    }
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
#pragma GCC unroll 2
        for (int i = 0; i < nt; i++) _mm512_storeu_ps(out + (size_t)v * ldo + 16 * i, acc[i][v]);
}

/* The tile of rows r .. r+15, blocks kb0 .. kb0+kn-1: returns its weights
 * (pre-transposed in W->qt, else transposed into buf) and writes its scales
 * to wd. */
static const __m512i *tile_setup(const q8_matrix *W, uint32_t r, uint32_t kb0, uint32_t kn, __m512i *buf,
                                 __m512 *wd) {
    const uint32_t K = W->cols, nblk = K / Q8_BLOCK;
    const __m512i *wt = buf;
    if (W->qt && r % 16 == 0 && r + 16 <= W->rows / 16 * 16)
        wt = (const __m512i *)(W->qt + ((size_t)(r / 16) * nblk + kb0) * 512);
    else /* prefetch the next 16 rows, past the range too (the caller's next task is usually the next rows) */
        tile_transpose(W->q + (size_t)r * K + (size_t)kb0 * Q8_BLOCK, K, kn, buf,
                       r + 32 <= W->rows ? W->q + (size_t)(r + 16) * K + (size_t)kb0 * Q8_BLOCK : NULL);
    const float *d8g = W->d8 && r % 8 == 0 && r + 16 <= W->rows / 8 * 8 ? W->d8 + (size_t)(r / 8) * nblk * 8 : NULL;
    const float *d0 = W->d + (size_t)r * nblk;
    if (!d8g && nblk == 2) { /* attention's keys: 32 contiguous scales */
        const __m512 a = _mm512_loadu_ps(d0), c = _mm512_loadu_ps(d0 + 16);
        wd[0] = _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), c);
        wd[1] = _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), c);
    } else {
        int32_t di[16];
        for (int k = 0; k < 16; k++) di[k] = (int32_t)((uint32_t)k * nblk);
        const __m512i didx = _mm512_loadu_si512(di);
        for (uint32_t b = 0; b < kn; b++) wd[b] = scales16(d8g, (size_t)nblk * 8, d0, didx, kb0 + b);
    }
    return wt;
}

/* The vn vectors of a chunk against nt tiles (tile_buf's scales, weights
 * at wt0, wt1; nt and vs, the layout of the chunk's numbers, constants after
 * inlining): passes of TILE_NV vectors over two tiles, of 8, 4, 2, 1 over
 * one. pf: the lines of the next nt tiles, 8 * nt per block: with a whole
 * chunk over two tiles, one per block in each of the 16 passes, else all of
 * them in the first pass. */
LMZ_INLINE void tiles_passes(const tile_buf *t, const __m512i *wt0, const __m512i *wt1, uint32_t kn,
                             const int8_t *xc, size_t K, uint32_t vn, float *o, size_t ldo, int first,
                             const uint8_t *pf, const int nt, const int vs) {
    uint32_t v = 0;
#define TV(NV, PF, NPF)                                                                                            \
    tiles_vectors(wt0, wt1, t->wd[0], t->wd[1], kn, xc + (size_t)v * K, K, t->xd + v * vs, t->ncx + v * vs,         \
                  o + (size_t)v * ldo, ldo, first, PF, NPF, nt, NV, vs)
    if (nt == 2) {
        if (vn == 16 * TILE_NV) /* pass i: lines i*kn .. i*kn + kn-1 */
            for (uint32_t i = 0; v < vn; v += TILE_NV, i++) TV(TILE_NV, pf ? pf + (size_t)i * kn * 64 : NULL, 1);
        for (; v + TILE_NV <= vn; v += TILE_NV) TV(TILE_NV, v ? NULL : pf, 16);
        if (v + 2 <= vn) {
            TV(2, v ? NULL : pf, 16);
            v += 2;
        }
        if (v < vn) TV(1, v ? NULL : pf, 16);
    } else {
        for (; v + 8 <= vn; v += 8) TV(8, v ? NULL : pf, 8);
        if (v + 4 <= vn) {
            TV(4, v ? NULL : pf, 8);
            v += 4;
        }
        if (v + 2 <= vn) {
            TV(2, v ? NULL : pf, 8);
            v += 2;
        }
        if (v < vn) TV(1, v ? NULL : pf, 8);
    }
#undef TV
}

/* Full 16-row tiles [r0, rt) x nb vectors (nb >= TILE_MIN_NB). Vectors in
 * chunks of TILE_VC, blocks in chunks of TILE_KB (ascending, the partial
 * sums kept in out between chunks), rows two tiles at a time when the chunk
 * has 16 vectors or more (the last tile alone), else one tile at a time. */
static void matmul_tiles(const q8_matrix *W, uint32_t r0, uint32_t rt, const int8_t *xq, const float *xd,
                         uint32_t nb, float *out, uint32_t ldo) {
    const uint32_t K = W->cols, nblk = K / Q8_BLOCK;
    tile_buf t;
    for (uint32_t j0 = 0; j0 < nb; j0 += TILE_VC) {
        const uint32_t vn = nb - j0 < TILE_VC ? nb - j0 : TILE_VC;
        for (uint32_t kb0 = 0; kb0 < nblk; kb0 += TILE_KB) {
            const uint32_t kn = nblk - kb0 < TILE_KB ? nblk - kb0 : TILE_KB;
            const int8_t *xc = xq + (size_t)j0 * K + (size_t)kb0 * Q8_BLOCK;
            const int by_block = chunk_prep(xc, K, xd + (size_t)j0 * nblk + kb0, nblk, vn, kn, t.ncx, t.xd);
            for (uint32_t r = r0; r < rt;) {
                const uint32_t nt = by_block && r + 32 <= rt ? 2 : 1;
                /* the next nt tiles while these run (past rt too: the
                 * caller's next task is usually the next rows), and their
                 * scales: kn * 32 bytes per 8 rows */
                const uint32_t rn = r + 16 * nt;
                const uint8_t *pf = NULL;
                if (W->qt && r % 16 == 0 && rn + 16 * nt <= W->rows / 16 * 16)
                    pf = W->qt + ((size_t)(rn / 16) * nblk + kb0) * 512;
                if (W->d8 && r % 8 == 0 && rn + 16 * nt <= W->rows / 8 * 8)
                    for (uint32_t g = rn / 8; g < rn / 8 + 2 * nt; g++)
                        for (uint32_t q = 0; q < kn * 8u; q += 16)
                            _mm_prefetch((const char *)(W->d8 + ((size_t)g * nblk + kb0) * 8 + q), _MM_HINT_T0);
                const __m512i *wt0 = tile_setup(W, r, kb0, kn, t.wt[0], t.wd[0]);
                const __m512i *wt1 = nt == 2 ? tile_setup(W, r + 16, kb0, kn, t.wt[1], t.wd[1]) : wt0;
                float *o = out + (size_t)j0 * ldo + (r - r0);
                if (nt == 2)
                    tiles_passes(&t, wt0, wt1, kn, xc, K, vn, o, ldo, kb0 == 0, pf, 2, 1);
                else if (by_block)
                    tiles_passes(&t, wt0, wt1, kn, xc, K, vn, o, ldo, kb0 == 0, pf, 1, 1);
                else
                    tiles_passes(&t, wt0, wt1, kn, xc, K, vn, o, ldo, kb0 == 0, pf, 1, TILE_KB);
                r += 16 * nt;
            }
        }
    }
}

static void matmul_q8_avx512(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                             uint32_t nb, float *out, uint32_t ldo) {
    const uint32_t K = W->cols, nblk = K / Q8_BLOCK;
    uint32_t r = r0;
    if ((nb >= TILE_MIN_NB || W->qt) && r1 - r0 >= 16) {
        r = r0 + (r1 - r0) / 16 * 16;
        matmul_tiles(W, r0, r, xq, xd, nb, out, ldo);
    }
    /* small batches, and the last rows (< 16) of a tiled batch: rows outer,
     * vectors inner, so that 16 rows of weights stay in L1 for all vectors */
    for (; r < r1; r += 16)
        for (uint32_t j = 0; j < nb; j++)
            rows16_q8(W, r, r1 - r < 16 ? r1 - r : 16, xq + (size_t)j * K, xd + (size_t)j * nblk,
                      out + (size_t)j * ldo + (r - r0), j == 0);
}

/* ------------------------------------------------------------------------ */
/* Quantisation (same operations as quantize_q8_generic, 16 lanes at a time) */
/* ------------------------------------------------------------------------ */

/* One block of 32 values (v0: 0-15, v1: 16-31). */
/* lmz_roundf_ne(v * id) clamped to [-127, 127], as int32: the clamp to
 * integer bounds commutes with rounding, so vcvtps2dq's round-to-nearest-
 * even after the clamp gives the scalar's value (NaN: vminps gives its second
 * operand, 127, and so does the scalar's "v < 127 ? v : 127"; +-inf clamp
 * alike). */
LMZ_INLINE __m512i quant_lanes(__m512 v, __m512 vid) {
    return _mm512_cvtps_epi32(
        _mm512_max_ps(_mm512_min_ps(_mm512_mul_ps(v, vid), _mm512_set1_ps(127.0f)), _mm512_set1_ps(-127.0f)));
}

LMZ_INLINE void quant32(__m512 v0, __m512 v1, int8_t *q, float *d) {
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1))); /* exact in any order */
    float db = amax / 127.0f;
    float id = db > 0.0f ? 1.0f / db : 0.0f;
    *d = db;
    __m512 vid = _mm512_set1_ps(id);
    _mm_storeu_si128((__m128i *)q, _mm512_cvtepi32_epi8(quant_lanes(v0, vid)));
    _mm_storeu_si128((__m128i *)(q + 16), _mm512_cvtepi32_epi8(quant_lanes(v1, vid)));
}

/* quant32 of 16 consecutive blocks (x: 512 floats, q: 512 bytes, d: 16
 * scales): the 16 maxima are one 16x16 transpose and a max tree, the
 * scales and their inverses one vector division each, instead of a
 * horizontal reduction and two scalar divisions per block, whose chain of
 * latencies bounded quant32 (about 12 cycles a block). Same values: the
 * maxima are exact in any order, the divisions are IEEE's. */
LMZ_INLINE void quant32x16(const float *x, int8_t *q, float *d) {
    __m512i m[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++)
        m[k] = _mm512_castps_si512(
            _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + 32 * k)), _mm512_abs_ps(_mm512_loadu_ps(x + 32 * k + 16))));
    transpose16x16(m); /* m[j] lane k: block k's lane j */
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        m[k] = _mm512_castps_si512(_mm512_max_ps(_mm512_castsi512_ps(m[k]), _mm512_castsi512_ps(m[k + 8])));
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        m[k] = _mm512_castps_si512(_mm512_max_ps(_mm512_castsi512_ps(m[k]), _mm512_castsi512_ps(m[k + 4])));
    const __m512 m01 = _mm512_max_ps(_mm512_castsi512_ps(m[0]), _mm512_castsi512_ps(m[2]));
    const __m512 m23 = _mm512_max_ps(_mm512_castsi512_ps(m[1]), _mm512_castsi512_ps(m[3]));
    const __m512 db = _mm512_div_ps(_mm512_max_ps(m01, m23), _mm512_set1_ps(127.0f));
    const __m512 id = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(db, _mm512_setzero_ps(), _CMP_GT_OQ),
                                          _mm512_set1_ps(1.0f), db);
    _mm512_storeu_ps(d, db);
    /* two blocks (4 x 16 int32 in [-127, 127]) to 64 bytes: packs with
     * saturation (nothing saturates) interleave the 128-bit lanes, one
     * dword permutation puts the bytes back in order */
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
#pragma GCC unroll 2
    for (int k = 0; k < 16; k += 2) {
        const __m512 id0 = _mm512_permutexvar_ps(_mm512_set1_epi32(k), id);
        const __m512 id1 = _mm512_permutexvar_ps(_mm512_set1_epi32(k + 1), id);
        const __m512i a = _mm512_packs_epi32(quant_lanes(_mm512_loadu_ps(x + 32 * k), id0),
                                             quant_lanes(_mm512_loadu_ps(x + 32 * k + 16), id0));
        const __m512i b = _mm512_packs_epi32(quant_lanes(_mm512_loadu_ps(x + 32 * k + 32), id1),
                                             quant_lanes(_mm512_loadu_ps(x + 32 * k + 48), id1));
        _mm512_storeu_si512(q + 32 * k, _mm512_permutexvar_epi32(order, _mm512_packs_epi16(a, b)));
    }
}

static void quantize_q8_avx512(const float *x, uint32_t n, int8_t *q, float *d) {
    const uint32_t nblk = n / Q8_BLOCK;
    uint32_t b = 0;
    for (; b + 16 <= nblk; b += 16) quant32x16(x + (size_t)b * Q8_BLOCK, q + (size_t)b * Q8_BLOCK, d + b);
    for (; b < nblk; b++) {
        const float *xb = x + (size_t)b * Q8_BLOCK;
        quant32(_mm512_loadu_ps(xb), _mm512_loadu_ps(xb + 16), q + (size_t)b * Q8_BLOCK, d + b);
    }
}

/* ------------------------------------------------------------------------ */
/* Sum of squares in the 16-lane order: lane i % 16 is register lane i % 16 */
/* ------------------------------------------------------------------------ */

static float sumsq_avx512(const float *x, uint32_t n) {
    __m512 a = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        a = _mm512_add_ps(a, _mm512_mul_ps(v, v));
    }
    float l[16];
    _mm512_storeu_ps(l, a);
    for (; i < n; i++) l[i % 16] = l[i % 16] + x[i] * x[i];
    return lmz_sum16_tree(l);
}

/* ------------------------------------------------------------------------ */
/* exp, softmax, SiLU: lmz_expf's exact steps, 16 lanes at a time           */
/* ------------------------------------------------------------------------ */

/* lmz_expf (lmz_math.h), lane by lane with the same result for every
 * binary32 input (test_kernels --exhaustive checks all 2^32):
 *  - the clamps as min(x, HI) then max(., LO): they differ from the scalar
 *    selects only for NaN (HI instead of LO), a lane that the last step
 *    zeroes anyway, as every lane with x < LO (keep = x >= LO, false for
 *    NaN and -inf);
 *  - round-to-nearest-even as one vrndscaleps instead of adding and
 *    subtracting 1.5 * 2^23: the same integer, except -0 for t in
 *    (-0.5, -0]; n = -0 changes neither r (xc - (-0) * c == xc - 0 * c, also
 *    for xc = -0: -0 - -0 = +0 = r's sign is lost in p * r + 1/720) nor 2^n;
 *  - separate multiplies and adds, never FMA; 2^n from the exponent bits.
 * expf16_k issues each step for K independent vectors before the next, so
 * their dependency chains (about 60 cycles each) overlap: one vector at a
 * time, the loop ran near 20 cycles per vector (latency, not throughput). */
#define EXPF16_STEP(stmt) _Pragma("GCC unroll 8") for (int k = 0; k < K; k++) stmt
LMZ_INLINE void expf16_k(__m512 *x, int K) {
    const __m512 hi = _mm512_set1_ps(LMZ_EXP_HI), lo = _mm512_set1_ps(LMZ_EXP_LO);
    __m512 xc[8], n[8], r[8], p[8];
    __mmask16 keep[8];
    EXPF16_STEP({
        keep[k] = _mm512_cmp_ps_mask(x[k], lo, _CMP_GE_OQ);
        xc[k] = _mm512_max_ps(_mm512_min_ps(x[k], hi), lo);
    });
    EXPF16_STEP(n[k] = _mm512_mul_ps(xc[k], _mm512_set1_ps(1.44269502925872802734375f)));
    EXPF16_STEP(n[k] = _mm512_roundscale_ps(n[k], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    EXPF16_STEP(r[k] = _mm512_sub_ps(xc[k], _mm512_mul_ps(n[k], _mm512_set1_ps(0.693145751953125f))));
    EXPF16_STEP(r[k] = _mm512_sub_ps(r[k], _mm512_mul_ps(n[k], _mm512_set1_ps(1.42860676533018704503775e-06f))));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(1.0f / 5040.0f), r[k]), _mm512_set1_ps(1.0f / 720.0f)));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(p[k], r[k]), _mm512_set1_ps(1.0f / 120.0f)));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(p[k], r[k]), _mm512_set1_ps(1.0f / 24.0f)));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(p[k], r[k]), _mm512_set1_ps(1.0f / 6.0f)));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(p[k], r[k]), _mm512_set1_ps(0.5f)));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(p[k], r[k]), _mm512_set1_ps(1.0f)));
    EXPF16_STEP(p[k] = _mm512_add_ps(_mm512_mul_ps(p[k], r[k]), _mm512_set1_ps(1.0f)));
    EXPF16_STEP({
        __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n[k]), _mm512_set1_epi32(127)), 23);
        x[k] = _mm512_maskz_mul_ps(keep[k], p[k], _mm512_castsi512_ps(bits));
    });
}
#undef EXPF16_STEP

LMZ_INLINE __m512 expf16(__m512 x) {
    expf16_k(&x, 1);
    return x;
}

LMZ_INLINE __mmask16 lanes_mask(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

static void expf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = lanes_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, expf16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/* expsum_generic with lane i % 16 of the sum in register lane i % 16; the
 * lanes past n add exact zeros (the partial sums are >= +0, unchanged). */
static float expsum_avx512(const float *x, float m, float *p, uint32_t n) {
    const __m512 vm = _mm512_set1_ps(m);
    __m512 acc = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 128 <= n; i += 128) { /* eight vectors side by side; the sum still takes them in order */
        __m512 e[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) e[k] = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * k), vm);
        expf16_k(e, 8);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            _mm512_storeu_ps(p + i + 16 * k, e[k]);
            acc = _mm512_add_ps(acc, e[k]);
        }
    }
    for (; i + 16 <= n; i += 16) {
        const __m512 e = expf16(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
        _mm512_storeu_ps(p + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < n) {
        const __mmask16 k = lanes_mask(n - i);
        const __m512 e = _mm512_maskz_mov_ps(k, expf16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm)));
        _mm512_mask_storeu_ps(p + i, k, e);
        acc = _mm512_add_ps(acc, e);
    }
    float l[16];
    _mm512_storeu_ps(l, acc);
    return lmz_sum16_tree(l);
}

/* softmax_generic: the max is exact in any order (max(v, mx) keeps mx for
 * NaN and for ties; a -0 / +0 tie gives the same exp), four accumulators;
 * then expsum in place. */
static float softmax_avx512(float s0, const float *win, uint32_t nw, float scale, float *e) {
    const __m512 vsc = _mm512_set1_ps(scale);
    __m512 mx[4];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) mx[k] = _mm512_set1_ps(-3.0e38f);
    e[0] = s0 * scale;
    mx[0] = _mm512_mask_max_ps(mx[0], 1, _mm512_set1_ps(e[0]), mx[0]);
    uint32_t t = 0;
    for (; t + 64 <= nw; t += 64)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(win + t + 16 * k), vsc);
            _mm512_storeu_ps(e + 1 + t + 16 * k, v);
            mx[k] = _mm512_max_ps(v, mx[k]);
        }
    for (; t < nw; t += 16) {
        const __mmask16 m = lanes_mask(nw - t);
        const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, win + t), vsc);
        _mm512_mask_storeu_ps(e + 1 + t, m, v);
        mx[0] = _mm512_mask_max_ps(mx[0], m, v, mx[0]);
    }
    const __m512 m01 = _mm512_max_ps(mx[0], mx[1]), m23 = _mm512_max_ps(mx[2], mx[3]);
    return 1.0f / expsum_avx512(e, _mm512_reduce_max_ps(_mm512_max_ps(m01, m23)), e, nw + 1);
}

/* g / (1 + exp(-g)) * u; -g flips the sign bit, as the scalar negation. */
static void silu_mul_avx512(float *g, const float *u, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    size_t i = 0;
    for (; i + 128 <= n; i += 128) { /* eight vectors' exps side by side (expf16_k) */
        __m512 x[8], e[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            x[k] = _mm512_loadu_ps(g + i + 16 * k);
            e[k] = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x[k]), sign));
        }
        expf16_k(e, 8);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            _mm512_storeu_ps(g + i + 16 * k, _mm512_mul_ps(_mm512_div_ps(x[k], _mm512_add_ps(one, e[k])),
                                                           _mm512_loadu_ps(u + i + 16 * k)));
    }
    for (; i < n; i += 16) {
        const __mmask16 m = lanes_mask(n - i);
        __m512 x = _mm512_maskz_loadu_ps(m, g + i);
        __m512 e = expf16(_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), sign)));
        __m512 y = _mm512_mul_ps(_mm512_div_ps(x, _mm512_add_ps(one, e)), _mm512_maskz_loadu_ps(m, u + i));
        _mm512_mask_storeu_ps(g + i, m, y);
    }
}

/* (p[t] * rs) * vs[t*nb + b], quantised per 32 positions without a round
 * trip through memory. nb == 2: the scales of 16 positions are two loads
 * split into even and odd lanes; other nb gather. */
static void pv_quant_avx512(const float *p, float rs, const float *vs, uint32_t nb, uint32_t n, uint32_t n32,
                            int8_t *q, size_t ldq, float *d, size_t ldd) {
    const __m512 vrs = _mm512_set1_ps(rs);
    if (nb == 2) {
        const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        uint32_t t = 0;
        for (; t + 16 * Q8_BLOCK <= n32; t += 16 * Q8_BLOCK) { /* 16 blocks of each half: quant32x16 */
            float c[2][16 * Q8_BLOCK];
            uint32_t i = 0;
            if (t + 16 * Q8_BLOCK <= n) /* every position in the window: no masks */
                for (; i < 16 * Q8_BLOCK; i += 16) {
                    const uint32_t u = t + i;
                    const __m512 a = _mm512_loadu_ps(vs + (size_t)u * 2), b = _mm512_loadu_ps(vs + (size_t)u * 2 + 16);
                    const __m512 pv = _mm512_mul_ps(_mm512_loadu_ps(p + u), vrs);
                    _mm512_storeu_ps(c[0] + i, _mm512_mul_ps(pv, _mm512_permutex2var_ps(a, ev, b)));
                    _mm512_storeu_ps(c[1] + i, _mm512_mul_ps(pv, _mm512_permutex2var_ps(a, od, b)));
                }
            for (; i < 16 * Q8_BLOCK; i += 16) {
                const uint32_t u = t + i;
                const size_t np = u < n ? n - u : 0;
                const __mmask16 m = lanes_mask(np);
                const __m512 a = _mm512_maskz_loadu_ps(lanes_mask(2 * np), vs + (size_t)u * 2);
                const __m512 b = _mm512_maskz_loadu_ps(lanes_mask(np > 8 ? 2 * np - 16 : 0), vs + (size_t)u * 2 + 16);
                const __m512 pv = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p + u), vrs);
                _mm512_storeu_ps(c[0] + i, _mm512_maskz_mul_ps(m, pv, _mm512_permutex2var_ps(a, ev, b)));
                _mm512_storeu_ps(c[1] + i, _mm512_maskz_mul_ps(m, pv, _mm512_permutex2var_ps(a, od, b)));
            }
            quant32x16(c[0], q + t, d + t / Q8_BLOCK);
            quant32x16(c[1], q + ldq + t, d + ldd + t / Q8_BLOCK);
        }
        for (; t < n32; t += Q8_BLOCK) {
            __m512 c0[2], c1[2];
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) { /* positions t + 16h .. t + 16h + 15 */
                const uint32_t u = t + 16 * (uint32_t)h;
                const size_t np = u < n ? n - u : 0;
                const __mmask16 m = lanes_mask(np);
                const __m512 a = _mm512_maskz_loadu_ps(lanes_mask(2 * np), vs + (size_t)u * 2);
                const __m512 c = _mm512_maskz_loadu_ps(lanes_mask(np > 8 ? 2 * np - 16 : 0), vs + (size_t)u * 2 + 16);
                const __m512 pv = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p + u), vrs);
                c0[h] = _mm512_maskz_mul_ps(m, pv, _mm512_permutex2var_ps(a, ev, c));
                c1[h] = _mm512_maskz_mul_ps(m, pv, _mm512_permutex2var_ps(a, od, c));
            }
            quant32(c0[0], c0[1], q + t, d + t / Q8_BLOCK);
            quant32(c1[0], c1[1], q + ldq + t, d + ldd + t / Q8_BLOCK);
        }
        return;
    }
    const __m512i step = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32((int)nb));
    for (uint32_t b = 0; b < nb; b++)
        for (uint32_t t = 0; t < n32; t += Q8_BLOCK) {
            __m512 c[2];
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                const uint32_t u = t + 16 * (uint32_t)h;
                const __mmask16 m = u < n ? lanes_mask(n - u) : 0;
                const __m512i idx = _mm512_add_epi32(step, _mm512_set1_epi32((int)(u * nb + b)));
                const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, vs, 4);
                c[h] = _mm512_maskz_mul_ps(m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p + u), vrs), v);
            }
            quant32(c[0], c[1], q + (size_t)b * ldq + t, d + (size_t)b * ldd + t / Q8_BLOCK);
        }
}

/* pv_dot of R rows that share the values vg: per group of 4 positions, the
 * two 64-byte loads of 32 dimensions' values feed 2R vpdpbusd (one row
 * alone: 2). Blocks every row has are done together; the rows' remaining
 * blocks one row at a time, continuing the same accumulators, so each
 * row's sum takes its blocks in ascending order as pv_dot_generic. Groups:
 * NG = 9 per block where any row starts inside a group (r > 0; a row with
 * r = 0 masks its 9th group to nothing), else 8 with no masks, so the loads
 * stay within the rows' own reach; R and NG are constants after inlining
 * (the group loop unrolled, no branch inside). */
LMZ_INLINE void pv_rows_r(const int8_t *vg, uint32_t hd, size_t ldq, size_t ldd, const lmz_pv_row *rows, const int R,
                          const int NG) {
    const size_t gs = (size_t)hd * 4, bs = 8 * gs;
    __m512i mf[LMZ_PV_ROWS], ml[LMZ_PV_ROWS];
    uint32_t nmin = rows[0].nblk;
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
        const uint32_t keep = 0xFFFFFFFFu << (8 * rows[i].r); /* bytes r..3 of a group */
        mf[i] = _mm512_set1_epi32((int32_t)keep);
        ml[i] = _mm512_set1_epi32((int32_t)~keep);
        nmin = rows[i].nblk < nmin ? rows[i].nblk : nmin;
    }
    for (uint32_t c = 0; c < hd / Q8_BLOCK; c++) {
        const int8_t *v = vg + (size_t)c * Q8_BLOCK * 4;
        const int8_t *qc[LMZ_PV_ROWS];
        const float *dc[LMZ_PV_ROWS];
        __m512 acc0[LMZ_PV_ROWS], acc1[LMZ_PV_ROWS];
#pragma GCC unroll 4
        for (int i = 0; i < R; i++) {
            acc0[i] = acc1[i] = _mm512_setzero_ps();
            qc[i] = rows[i].q + c * ldq;
            dc[i] = rows[i].d + c * ldd;
        }
        for (uint32_t b = 0; b < nmin; b++) {
            const int8_t *vb = v + b * bs;
            __m512i s0[LMZ_PV_ROWS], s1[LMZ_PV_ROWS];
#pragma GCC unroll 4
            for (int i = 0; i < R; i++) s0[i] = s1[i] = _mm512_setzero_si512();
#pragma GCC unroll 9
            for (int g = 0; g < NG; g++) {
                const __m512i v0 = _mm512_loadu_si512(vb + g * gs), v1 = _mm512_loadu_si512(vb + g * gs + 64);
#pragma GCC unroll 4
                for (int i = 0; i < R; i++) {
                    __m512i p = bcast4(qc[i] + b * Q8_BLOCK + 4 * g);
                    if (NG == 9 && g == 0) p = _mm512_and_si512(p, mf[i]);
                    if (NG == 9 && g == 8) p = _mm512_and_si512(p, ml[i]);
                    s0[i] = _mm512_dpbusd_epi32(s0[i], p, v0);
                    s1[i] = _mm512_dpbusd_epi32(s1[i], p, v1);
                }
            }
#pragma GCC unroll 4
            for (int i = 0; i < R; i++) {
                const __m512 db = _mm512_set1_ps(dc[i][b]);
                acc0[i] = _mm512_add_ps(acc0[i], _mm512_mul_ps(db, _mm512_cvtepi32_ps(s0[i])));
                acc1[i] = _mm512_add_ps(acc1[i], _mm512_mul_ps(db, _mm512_cvtepi32_ps(s1[i])));
            }
        }
        for (int i = 0; i < R; i++) {
            for (uint32_t b = nmin; b < rows[i].nblk; b++) {
                __m512i s0, s1;
                pv_block(v + b * bs, gs, qc[i] + b * Q8_BLOCK, rows[i].r ? 9 : 8, mf[i], ml[i], &s0, &s1);
                const __m512 db = _mm512_set1_ps(dc[i][b]);
                acc0[i] = _mm512_add_ps(acc0[i], _mm512_mul_ps(db, _mm512_cvtepi32_ps(s0)));
                acc1[i] = _mm512_add_ps(acc1[i], _mm512_mul_ps(db, _mm512_cvtepi32_ps(s1)));
            }
            _mm512_storeu_ps(rows[i].out + (size_t)c * Q8_BLOCK, acc0[i]);
            _mm512_storeu_ps(rows[i].out + (size_t)c * Q8_BLOCK + 16, acc1[i]);
        }
    }
}

static void pv_dot_rows_avx512(const int8_t *vg, uint32_t hd, size_t ldq, size_t ldd, const lmz_pv_row *rows,
                               uint32_t n) {
    uint32_t anyr = 0;
    for (uint32_t i = 0; i < n; i++) anyr |= rows[i].r;
    if (anyr) switch (n) {
        case 1: pv_rows_r(vg, hd, ldq, ldd, rows, 1, 9); break;
        case 2: pv_rows_r(vg, hd, ldq, ldd, rows, 2, 9); break;
        case 3: pv_rows_r(vg, hd, ldq, ldd, rows, 3, 9); break;
        default: pv_rows_r(vg, hd, ldq, ldd, rows, 4, 9); break;
        }
    else switch (n) {
        case 1: pv_rows_r(vg, hd, ldq, ldd, rows, 1, 8); break;
        case 2: pv_rows_r(vg, hd, ldq, ldd, rows, 2, 8); break;
        case 3: pv_rows_r(vg, hd, ldq, ldd, rows, 3, 8); break;
        default: pv_rows_r(vg, hd, ldq, ldd, rows, 4, 8); break;
        }
}

/* ------------------------------------------------------------------------ */
/* Vocabulary-sized loops of the coder and the mixer (kernels.h)            */
/* ------------------------------------------------------------------------ */

/* max(x, m) is "x > m ? x : m" lane by lane (m for NaN and ties); four
 * accumulators, then the lanes. */
static float max_f32_avx512(const float *x, uint32_t n, float init) {
    __m512 m[4];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) m[k] = _mm512_set1_ps(init);
    uint32_t i = 0;
    for (; i + 64 <= n; i += 64)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) m[k] = _mm512_max_ps(_mm512_loadu_ps(x + i + 16 * k), m[k]);
    for (; i < n; i += 16) {
        const __mmask16 k = lanes_mask(n - i);
        m[0] = _mm512_mask_max_ps(m[0], k, _mm512_maskz_loadu_ps(k, x + i), m[0]);
    }
    float l[16], r = init;
    _mm512_storeu_ps(l, _mm512_max_ps(_mm512_max_ps(m[0], m[1]), _mm512_max_ps(m[2], m[3])));
    for (int j = 0; j < 16; j++) r = l[j] > r ? l[j] : r;
    return r;
}

/* The loops below: whole vectors with the constant mask (plain loads and
 * stores once inlined), then one masked tail. */
#define FULL_THEN_TAIL(n, body)                                                                                   \
    do {                                                                                                          \
        uint32_t i_ = 0;                                                                                          \
        for (; i_ + 16 <= (n); i_ += 16) body(i_, (__mmask16)0xFFFF);                                             \
        if (i_ < (n)) body(i_, lanes_mask((n) - i_));                                                             \
    } while (0)

static void affine_avx512(float *z, float s, const float *x, const float *b, uint32_t n) {
    const __m512 vs = _mm512_set1_ps(s);
#define AFFINE(i, k)                                                                                              \
    _mm512_mask_storeu_ps(z + i, k, _mm512_add_ps(_mm512_mul_ps(vs, _mm512_maskz_loadu_ps(k, x + i)), _mm512_maskz_loadu_ps(k, b + i)))
    FULL_THEN_TAIL(n, AFFINE);
#undef AFFINE
}

/* lane i % 16 is register lane i % 16; lanes past n add exact zeros */
static float dot_freq_avx512(const uint32_t *freq, float inv, const float *x, uint32_t n) {
    const __m512 vi = _mm512_set1_ps(inv);
    __m512 acc = _mm512_setzero_ps();
#define DOT(i, k)                                                                                                 \
    acc = _mm512_add_ps(acc, _mm512_maskz_mul_ps(k, _mm512_mul_ps(_mm512_cvtepu32_ps(_mm512_maskz_loadu_epi32(k, freq + i)), vi), \
                                                 _mm512_maskz_loadu_ps(k, x + i)))
    FULL_THEN_TAIL(n, DOT);
#undef DOT
    float l[16];
    _mm512_storeu_ps(l, acc);
    return lmz_sum16_tree(l);
}

static void sub_freq_avx512(float *b, float c, const uint32_t *freq, uint32_t n) {
    const __m512 vc = _mm512_set1_ps(c);
#define SUB(i, k)                                                                                                 \
    _mm512_mask_storeu_ps(b + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, b + i),                                \
                                                  _mm512_mul_ps(vc, _mm512_cvtepu32_ps(_mm512_maskz_loadu_epi32(k, freq + i)))))
    FULL_THEN_TAIL(n, SUB);
#undef SUB
}

/* fill_freq's 16 values at p (lanes k): clamped, floored, plus one */
LMZ_INLINE __m512i freq16(const float *p, __mmask16 k, __m512 vs, __m512 vb) {
    __m512 q = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p), vs);
    q = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(q, _mm512_setzero_ps(), _CMP_GE_OQ), q); /* NaN -> 0 */
    q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(q, vb, _CMP_LE_OQ), vb, q);
    return _mm512_maskz_add_epi32(k, _mm512_cvttps_epi32(q), _mm512_set1_epi32(1));
}

LMZ_INLINE __m512i add_u32_as_u64(__m512i t, __m512i v) { /* t (8 x u64) += the 16 u32 of v */
    return _mm512_add_epi64(_mm512_add_epi64(t, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(v))),
                            _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(v, 1)));
}

static uint64_t fill_cum_avx512(const float *p, uint32_t n, float scale, float B, uint32_t s, uint64_t *cum) {
    const __m512 vs = _mm512_set1_ps(scale), vb = _mm512_set1_ps(B);
    __m512i t = _mm512_setzero_si512(), c = _mm512_setzero_si512();
    uint32_t i = 0;
    for (; i + 16 <= s && i + 16 <= n; i += 16) t = add_u32_as_u64(t, freq16(p + i, 0xFFFF, vs, vb));
    c = t; /* the values below s so far */
    if (i < n) { /* the 16 holding s */
        const __m512i v = freq16(p + i, lanes_mask(n - i), vs, vb);
        t = add_u32_as_u64(t, v);
        c = add_u32_as_u64(c, _mm512_maskz_mov_epi32(lanes_mask(s - i), v));
        i += 16;
    }
    for (; i < n; i += 16) t = add_u32_as_u64(t, freq16(p + i, lanes_mask(n - i), vs, vb));
    *cum = (uint64_t)_mm512_reduce_add_epi64(c);
    return (uint64_t)_mm512_reduce_add_epi64(t);
}

static uint64_t fill_freq_avx512(const float *p, uint32_t *freq, uint32_t n, float scale, float B) {
    const __m512 vs = _mm512_set1_ps(scale), vb = _mm512_set1_ps(B);
    __m512i t = _mm512_setzero_si512();
#define FILL(i, k)                                                                                                \
    do {                                                                                                          \
        const __m512i v_ = freq16(p + i, k, vs, vb);                                                              \
        _mm512_mask_storeu_epi32(freq + i, k, v_);                                                                \
        t = add_u32_as_u64(t, v_);                                                                                \
    } while (0)
    FULL_THEN_TAIL(n, FILL);
#undef FILL
    return (uint64_t)_mm512_reduce_add_epi64(t);
}

/* 8 pairs a vector: P = x * (c duplicated), Q = (x, pairs swapped) *
 * (s duplicated); even lanes P - Q = a*c - b*s, odd lanes P + Q = b*c + a*s
 * (the scalar's a*s + b*c: an add is commutative). */
static void rope_avx512(float *x, const float *c, const float *s, uint32_t half) {
    const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    uint32_t i = 0;
    for (; i + 8 <= half; i += 8) {
        const __m512 v = _mm512_loadu_ps(x + 2 * i);
        const __m512 cc = _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_loadu_ps(c + i)));
        const __m512 ss = _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_loadu_ps(s + i)));
        const __m512 P = _mm512_mul_ps(v, cc), Q = _mm512_mul_ps(_mm512_permute_ps(v, 0xB1), ss);
        _mm512_storeu_ps(x + 2 * i, _mm512_mask_add_ps(_mm512_sub_ps(P, Q), 0xAAAA, P, Q));
    }
    if (i < half) rope_generic(x + 2 * i, c + i, s + i, half - i);
}

/* lmz_sincos_d, 8 angles a vector with the same double operations:
 * (double)(int64_t)(k + 0.5) is a rounding toward zero (exact below 2^52),
 * the sign branch a blend, each division an IEEE vector division. */
static void sincos_d_avx512(const double *a, double *s, double *c, uint32_t n) {
    const __m512d twopi_hi = _mm512_set1_pd(6.28318530717958623199592693709);
    const __m512d twopi_lo = _mm512_set1_pd(2.44929359829470635445e-16), half = _mm512_set1_pd(0.5);
    const __m512i sign = _mm512_set1_epi64((long long)0x8000000000000000ull);
#define NEG(v) _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(v), sign)) /* the scalar's unary minus */
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d x = _mm512_loadu_pd(a + i);
        const __m512d k0 = _mm512_div_pd(x, twopi_hi);
        const __m512d kp = _mm512_roundscale_pd(_mm512_add_pd(k0, half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m512d kn = NEG(_mm512_roundscale_pd(_mm512_add_pd(NEG(k0), half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
        const __m512d k = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(k0, _mm512_setzero_pd(), _CMP_GE_OQ), kn, kp);
        const __m512d r = _mm512_sub_pd(_mm512_sub_pd(x, _mm512_mul_pd(k, twopi_hi)), _mm512_mul_pd(k, twopi_lo));
        const __m512d r2 = _mm512_mul_pd(r, r);
        __m512d ts = r, tc = _mm512_set1_pd(1.0), ss = _mm512_setzero_pd(), cc = _mm512_setzero_pd();
        for (int j = 1; j <= 60; j += 2) {
            ss = _mm512_add_pd(ss, ts);
            cc = _mm512_add_pd(cc, tc);
            ts = _mm512_div_pd(_mm512_mul_pd(NEG(ts), r2), _mm512_set1_pd((double)((j + 1) * (j + 2))));
            tc = _mm512_div_pd(_mm512_mul_pd(NEG(tc), r2), _mm512_set1_pd((double)(j * (j + 1))));
        }
        _mm512_storeu_pd(s + i, ss);
        _mm512_storeu_pd(c + i, cc);
    }
    if (i < n) sincos_d_generic(a + i, s + i, c + i, n - i);
#undef NEG
}

/* Per lane: the running max ("x > m": NaN and ties never replace it) and
 * the index where it was set, i.e. the lane's first element equal to its
 * max; then the max over lanes and the lowest index among the lanes that
 * hold it (== : a -0 and a +0 maximum are the same one). */
static uint32_t argmax_f32_avx512(const float *x, uint32_t n, float *m) {
    /* four independent (max, index) pairs, elements i with i / 16 % 4 == k,
     * so that the compare-and-keep chains overlap */
    __m512 mx[4];
    __m512i ix[4];
    __m512i at = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        mx[k] = _mm512_set1_ps(-INFINITY);
        ix[k] = _mm512_setzero_si512();
    }
    uint32_t i = 0;
    for (; i + 64 <= n; i += 64)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            const __m512 v = _mm512_loadu_ps(x + i + 16 * k);
            const __mmask16 up = _mm512_cmp_ps_mask(v, mx[k], _CMP_GT_OQ);
            mx[k] = _mm512_mask_mov_ps(mx[k], up, v);
            ix[k] = _mm512_mask_mov_epi32(ix[k], up, _mm512_add_epi32(at, _mm512_set1_epi32((int)(i + 16 * k))));
        }
    for (int k = 0; i < n; i += 16, k++) {
        const __mmask16 km = lanes_mask(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(km, x + i);
        const __mmask16 up = _mm512_mask_cmp_ps_mask(km, v, mx[k], _CMP_GT_OQ);
        mx[k] = _mm512_mask_mov_ps(mx[k], up, v);
        ix[k] = _mm512_mask_mov_epi32(ix[k], up, _mm512_add_epi32(at, _mm512_set1_epi32((int)i)));
    }
    float l[64], r = -INFINITY;
    uint32_t li[64], a = n;
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        _mm512_storeu_ps(l + 16 * k, mx[k]);
        _mm512_storeu_si512(li + 16 * k, ix[k]);
    }
    for (int j = 0; j < 64; j++) r = l[j] > r ? l[j] : r;
    *m = r;
    if (!(r > -INFINITY)) return 0;
    for (int j = 0; j < 64; j++)
        if (l[j] == r && li[j] < a) a = li[j];
    return a;
}

static uint64_t sum_u32_avx512(const uint32_t *x, uint32_t n) {
    __m512i t = _mm512_setzero_si512();
    for (uint32_t i = 0; i < n; i += 16) t = add_u32_as_u64(t, _mm512_maskz_loadu_epi32(lanes_mask(n - i), x + i));
    return (uint64_t)_mm512_reduce_add_epi64(t);
}

static void add_f32_avx512(float *x, const float *y, uint32_t n) {
#define ADD(i, k) _mm512_mask_storeu_ps(x + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i)))
    FULL_THEN_TAIL(n, ADD);
#undef ADD
}

static void scale_mul_avx512(float *y, const float *x, float s, const float *w, uint32_t n) {
    const __m512 vs = _mm512_set1_ps(s);
#define SCALE_MUL(i, k)                                                                                           \
    _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), vs), _mm512_maskz_loadu_ps(k, w + i)))
    FULL_THEN_TAIL(n, SCALE_MUL);
#undef SCALE_MUL
}

/* 16 values: the low byte of each dword of 64 bytes (sign-extended), or
 * 16 bytes written to every 4th byte by a byte-masked store. */
static void acc_s4_avx512(float *out, float c, const int8_t *v, uint32_t n) {
    const __m512 vc = _mm512_set1_ps(c);
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i d = _mm512_srai_epi32(_mm512_slli_epi32(_mm512_loadu_si512(v + (size_t)i * 4), 24), 24);
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_loadu_ps(out + i), _mm512_mul_ps(vc, _mm512_cvtepi32_ps(d))));
    }
    if (i < n) acc_s4_generic(out + i, c, v + (size_t)i * 4, n - i);
}

static void put_s4_avx512(int8_t *dst, const int8_t *src, uint32_t n) {
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_mask_storeu_epi8(dst + (size_t)i * 4, (__mmask64)0x1111111111111111ull,
                                _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + i))));
    if (i < n) put_s4_generic(dst + (size_t)i * 4, src + i, n - i);
}

const lmz_kernels lmz_kernels_avx512 = {"avx512", 1,          quantize_q8_avx512, matvec_q8_avx512, matmul_q8_avx512,
                                       sumsq_avx512,      expf_avx512,
                                       expsum_avx512,     softmax_avx512,    silu_mul_avx512,    pv_quant_avx512,
                                       pv_dot_rows_avx512, max_f32_avx512, affine_avx512,  dot_freq_avx512,
                                       sub_freq_avx512,    fill_freq_avx512, rope_avx512,    fill_cum_avx512,
                                       sincos_d_avx512,    argmax_f32_avx512, sum_u32_avx512, add_f32_avx512,
                                       scale_mul_avx512,   acc_s4_avx512,     put_s4_avx512};
