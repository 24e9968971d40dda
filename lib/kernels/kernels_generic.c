/*
 * lib/kernels/kernels_generic.c — the scalar reference kernels.
 *
 * These functions DEFINE the numbers lmz computes: every SIMD path must give
 * exactly the same bits (tests/unit/test_kernels.c checks it). Keep them
 * plain, obviously correct C; the order of every float operation here is part
 * of the determinism contract (see kernels.h).
 */
#include <math.h> /* INFINITY only */

#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

/* ------------------------------------------------------------------------ */
/* Quantisation: float -> int8 blocks of 32 with one float scale            */
/* ------------------------------------------------------------------------ */

void quantize_q8_generic(const float *x, uint32_t n, int8_t *q, float *d) {
    for (uint32_t b = 0; b < n / Q8_BLOCK; b++) {
        const float *xb = x + (size_t)b * Q8_BLOCK;
        float amax = 0.0f;
        for (int i = 0; i < Q8_BLOCK; i++) {
            float a = xb[i] < 0 ? -xb[i] : xb[i];
            amax = a > amax ? a : amax;
        }
        float db = amax / 127.0f;
        float id = db > 0.0f ? 1.0f / db : 0.0f;
        d[b] = db;
        for (int i = 0; i < Q8_BLOCK; i++) {
            /* clamped as the SIMD paths' min(v, 127) then max(v, -127):
             * "a < b ? a : b", so a NaN (0 * inf: a block whose largest
             * value is so small that 1/d overflows) gives 127 on every path */
            float v = lmz_roundf_ne(xb[i] * id);
            v = v < 127.0f ? v : 127.0f;
            v = v > -127.0f ? v : -127.0f;
            q[(size_t)b * Q8_BLOCK + i] = (int8_t)(int)v;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* int8 matrix-vector products                                              */
/* ------------------------------------------------------------------------ */

/* One row: acc = sum over blocks b ascending of (wd[b] * xd[b]) * isum_b. */
static inline float dot_q8_row(const int8_t *w, const float *wd, const int8_t *x, const float *xd, uint32_t nblk) {
    float acc = 0.0f;
    for (uint32_t b = 0; b < nblk; b++) {
        int32_t isum = 0;
        const int8_t *wb = w + (size_t)b * Q8_BLOCK, *xb = x + (size_t)b * Q8_BLOCK;
        for (int i = 0; i < Q8_BLOCK; i++) isum += (int32_t)wb[i] * (int32_t)xb[i];
        acc = acc + (wd[b] * xd[b]) * (float)isum;
    }
    return acc;
}

void matvec_q8_generic(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd, float *out) {
    uint32_t nblk = W->cols / Q8_BLOCK;
    for (uint32_t r = r0; r < r1; r++)
        out[r - r0] = dot_q8_row(W->q + (size_t)r * W->cols, W->d + (size_t)r * nblk, xq, xd, nblk);
}

void matmul_q8_generic(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                       uint32_t nb, float *out, uint32_t ldo) {
    uint32_t nblk = W->cols / Q8_BLOCK;
    for (uint32_t j = 0; j < nb; j++)
        matvec_q8_generic(W, r0, r1, xq + (size_t)j * W->cols, xd + (size_t)j * nblk, out + (size_t)j * ldo);
}

void pv_dot_generic(const int8_t *vg, uint32_t hd, const int8_t *q, size_t ldq, uint32_t r, const float *d, size_t ldd,
                    uint32_t nblk, float *out) {
    for (uint32_t c = 0; c < hd / Q8_BLOCK; c++)
        for (uint32_t i = 0; i < Q8_BLOCK; i++) {
            const uint32_t dim = c * Q8_BLOCK + i;
            float acc = 0.0f;
            for (uint32_t b = 0; b < nblk; b++) {
                int32_t isum = 0;
                for (uint32_t j = b * Q8_BLOCK; j < (b + 1) * Q8_BLOCK; j++) {
                    const uint32_t s = r + j; /* place in vg: group s / 4, byte s % 4 */
                    isum += (int32_t)q[c * ldq + s] * (int32_t)vg[((size_t)(s / 4) * hd + dim) * 4 + s % 4];
                }
                acc = acc + d[c * ldd + b] * (float)isum;
            }
            out[dim] = acc;
        }
}

/* ------------------------------------------------------------------------ */
/* Reductions                                                               */
/* ------------------------------------------------------------------------ */

float sumsq_generic(const float *x, uint32_t n) {
    float l[16] = {0};
    for (uint32_t i = 0; i < n; i++) l[i % 16] = l[i % 16] + x[i] * x[i];
    return lmz_sum16_tree(l);
}

/* ------------------------------------------------------------------------ */
/* Element-wise functions: exp, softmax, SiLU                               */
/* ------------------------------------------------------------------------ */

void expf_generic(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = lmz_expf(x[i]);
}

float expsum_generic(const float *x, float m, float *p, uint32_t n) {
    float lanes[16] = {0};
    for (uint32_t i = 0; i < n; i++) {
        p[i] = lmz_expf(x[i] - m);
        lanes[i % 16] = lanes[i % 16] + p[i];
    }
    return lmz_sum16_tree(lanes);
}

float softmax_generic(float s0, const float *win, uint32_t nw, float scale, float *e) {
    float mx = -3.0e38f;
    e[0] = s0 * scale;
    mx = e[0] > mx ? e[0] : mx;
    for (uint32_t t = 0; t < nw; t++) {
        e[1 + t] = win[t] * scale;
        mx = e[1 + t] > mx ? e[1 + t] : mx;
    }
    return 1.0f / expsum_generic(e, mx, e, nw + 1);
}

void silu_mul_generic(float *g, const float *u, size_t n) {
    for (size_t i = 0; i < n; i++) g[i] = lmz_siluf(g[i]) * u[i];
}

void pv_quant_generic(const float *p, float rs, const float *vs, uint32_t nb, uint32_t n, uint32_t n32, int8_t *q,
                      size_t ldq, float *d, size_t ldd) {
    for (uint32_t b = 0; b < nb; b++)
        for (uint32_t t0 = 0; t0 < n32; t0 += Q8_BLOCK) {
            float c[Q8_BLOCK];
            for (uint32_t i = 0; i < Q8_BLOCK; i++) {
                const uint32_t t = t0 + i;
                c[i] = t < n ? (p[t] * rs) * vs[(size_t)t * nb + b] : 0.0f;
            }
            quantize_q8_generic(c, Q8_BLOCK, q + (size_t)b * ldq + t0, d + (size_t)b * ldd + t0 / Q8_BLOCK);
        }
}

void pv_dot_rows_generic(const int8_t *vg, uint32_t hd, size_t ldq, size_t ldd, const lmz_pv_row *rows, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        pv_dot_generic(vg, hd, rows[i].q, ldq, rows[i].r, rows[i].d, ldd, rows[i].nblk, rows[i].out);
}

/* ------------------------------------------------------------------------ */
/* Vocabulary-sized loops of the coder and the mixer                        */
/* ------------------------------------------------------------------------ */

float max_f32_generic(const float *x, uint32_t n, float init) {
    float m = init;
    for (uint32_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

void affine_generic(float *z, float s, const float *x, const float *b, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) z[i] = s * x[i] + b[i];
}

float dot_freq_generic(const uint32_t *freq, float inv, const float *x, uint32_t n) {
    float lane[16] = {0};
    for (uint32_t i = 0; i < n; i++) lane[i % 16] = lane[i % 16] + ((float)freq[i] * inv) * x[i];
    return lmz_sum16_tree(lane);
}

void sub_freq_generic(float *b, float c, const uint32_t *freq, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) b[i] = b[i] - c * (float)freq[i];
}

static inline uint32_t freq_of(float p, float scale, float B) {
    float q = p * scale;
    q = lmz_self(q >= 0.0f, q, 0.0f); /* also maps NaN to 0 */
    q = lmz_self(q <= B, q, B);
    return 1u + (uint32_t)(int32_t)q; /* q in [0, 2^24): exact floor */
}

uint64_t fill_freq_generic(const float *p, uint32_t *freq, uint32_t n, float scale, float B) {
    uint64_t T = 0;
    for (uint32_t i = 0; i < n; i++) {
        freq[i] = freq_of(p[i], scale, B);
        T += freq[i];
    }
    return T;
}

uint64_t fill_cum_generic(const float *p, uint32_t n, float scale, float B, uint32_t s, uint64_t *cum) {
    uint64_t T = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == s) *cum = T;
        T += freq_of(p[i], scale, B);
    }
    if (s >= n) *cum = T;
    return T;
}

void rope_generic(float *x, const float *c, const float *s, uint32_t half) {
    for (uint32_t i = 0; i < half; i++) {
        const float a = x[2 * i], b = x[2 * i + 1];
        x[2 * i] = a * c[i] - b * s[i];
        x[2 * i + 1] = a * s[i] + b * c[i];
    }
}

void sincos_d_generic(const double *a, double *s, double *c, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) lmz_sincos_d(a[i], &s[i], &c[i]);
}

uint32_t argmax_f32_generic(const float *x, uint32_t n, float *m) {
    *m = max_f32_generic(x, n, -INFINITY);
    uint32_t a = 0;
    if (*m > -INFINITY)
        while (!(x[a] == *m)) a++;
    return a;
}

uint64_t sum_u32_generic(const uint32_t *x, uint32_t n) {
    uint64_t t = 0;
    for (uint32_t i = 0; i < n; i++) t += x[i];
    return t;
}

void add_f32_generic(float *x, const float *y, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) x[i] = x[i] + y[i];
}

void scale_mul_generic(float *y, const float *x, float s, const float *w, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) y[i] = (x[i] * s) * w[i];
}

void acc_s4_generic(float *out, float c, const int8_t *v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) out[i] = out[i] + c * (float)v[(size_t)i * 4];
}

void put_s4_generic(int8_t *dst, const int8_t *src, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) dst[(size_t)i * 4] = src[i];
}
