/*
 * lib/kernels/kernels.h — the numeric kernels of the forward pass.
 *
 * Every kernel has a plain C reference (*_generic, kernels_generic.c) that
 * DEFINES the result; SIMD versions (kernels_avx2.c, kernels_avx512.c) must
 * produce identical bits. One dispatcher (kernels.c) picks the fastest path
 * the CPU supports at first use; LMZ_SIMD=scalar|avx2|avx512 forces one.
 *
 * Fixed orders (the determinism contract):
 *  - int8 dot products accumulate in int32: exact, any order.
 *  - q8 matrix-vector: for each output row, acc = 0.0f; for each block b of
 *    32 in ascending order: acc = acc + (wd[b] * xd[b]) * (float)isum_b.
 *  - long float sums (sum of squares, softmax sums) use 16 lanes:
 *    lane[i % 16] += v[i] for i ascending, then the tree
 *    ((l0+l8)+(l4+l12)) + ((l2+l10)+(l6+l14)) + (odd lanes likewise), see
 *    lmz_sum16_tree().
 */
#ifndef LMZ_KERNELS_H
#define LMZ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define Q8_BLOCK 32

/* A matrix of int8 weights in blocks of 32 along a row, one float scale per
 * block (Q8_0 with its fp16 scale widened to float at load).
 *   q: [rows][cols] int8, d: [rows][cols/32] float                          */
typedef struct {
    const int8_t *q;  /* values in [-127, 127] (never -128: kernels rely on it) */
    const float *d;
    uint32_t rows, cols;
    /* Optional copy of d regrouped for SIMD: [rows/8][cols/32][8], so the
     * scales of 8 consecutive rows at one block are contiguous. NULL if absent. */
    const float *d8;
    /* Optional copy of q for the AVX-512 batch kernel (used when the path's
     * use_tiles is set; NULL if absent): rows 0 .. rows/16*16 - 1 as tiles
     * of 16 rows, each value + 128 as an unsigned byte. Tile t, block b,
     * group g (bytes 4g..4g+3 of the block) are the 64 bytes at
     * qt + ((t * (cols/32) + b) * 8 + g) * 64, whose bytes 4k..4k+3 come
     * from row 16t + k. Filled by q8_tiles_fill; 64-byte aligned. */
    const uint8_t *qt;
} q8_matrix;

/* Bytes of the tile copy of a [rows][cols] matrix, and filling it. */
size_t q8_tiles_bytes(uint32_t rows, uint32_t cols);
void q8_tiles_fill(const int8_t *q, uint32_t rows, uint32_t cols, uint8_t *qt);

/* Quantise n floats (n % 32 == 0) to int8 blocks: per block amax, d = amax /
 * 127, q = round-to-nearest-even(x / d) clamped to [-127, 127] (q = 0 where
 * d == 0). */
typedef void (*quantize_q8_fn)(const float *x, uint32_t n, int8_t *q, float *d);

/* out[r - r0] for rows r in [r0, r1) of W times one quantised vector. */
typedef void (*matvec_q8_fn)(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                             float *out);

/* Batched: for each of nb vectors j (xq + j*W->cols, xd + j*W->cols/32),
 * out[j*ldo + r - r0]. Identical to nb calls of matvec. */
typedef void (*matmul_q8_fn)(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                             uint32_t nb, float *out, uint32_t ldo);

/* Attention's P.V of one row (pv_dot_generic, the reference that
 * pv_dot_rows applies row by row), values in groups of 4 positions
 * (llama.h's cache layout):
 *   vg: [group][hd][4] int8 in [-127, 127]; group g holds positions 4g..4g+3
 *       of every dimension (dimension i at bytes 4i..4i+3 of the group);
 *   q:  per block of 32 dimensions c < hd/32, at q + c*ldq: the window's
 *       quantised weights, its position j at q[c*ldq + r + j], in [0, 127]
 *       (r < 4: where the window starts in group 0);
 *   d:  d[c*ldd + b]: the scale of window positions 32b .. 32b+31.
 *   out[32c + i] = over b < nblk ascending: acc = acc + d[c*ldd + b] * (float)isum,
 *   isum = sum over j in [32b, 32b+32) of q[c*ldq + r + j] * vg[(r+j)/4][32c + i][(r+j)%4].
 * Reads q[c*ldq .. c*ldq + 32*nblk + 4) (the bytes outside the window's
 * positions are read and ignored) and groups 0 .. (r + 32*nblk - 1)/4 of vg. */
/* Sum of squares with the 16-lane order (n any). */
typedef float (*sumsq_fn)(const float *x, uint32_t n);

/* y[i] = lmz_expf(x[i]) for i < n (x == y allowed). */
typedef void (*expf_fn)(const float *x, float *y, size_t n);

/* p[i] = lmz_expf(x[i] - m) for i < n, and their sum in the 16-lane order
 * (lane[i % 16] += p[i], i ascending, lanes from +0.0f; lmz_sum16_tree).
 * The coder's logits -> frequencies step 2-3 (lib/coder/freqs.c). */
typedef float (*expsum_fn)(const float *x, float m, float *p, uint32_t n);

/* Attention's softmax of one row: the sink's score s0 and the window's nw
 * scores win[0..nw) (read only), unnormalised, and 1 / their sum:
 *   e[0] = s0 * scale, e[1 + t] = win[t] * scale;
 *   mx = max over e[0..nw] (from -3e38, ascending: e > mx ? e : mx);
 *   e[t] = lmz_expf(e[t] - mx);  sum in the 16-lane order (lane t % 16);
 *   returns rs = 1 / sum. The probability of position t is e[t] * rs (one
 *   multiply, pv_quant's first).                                         */
typedef float (*softmax_fn)(float s0, const float *win, uint32_t nw, float scale, float *e);
/* SwiGLU's gate: g[i] = lmz_siluf(g[i]) * u[i] for i < n. */
typedef void (*silu_mul_fn)(float *g, const float *u, size_t n);

/* Attention's P * value scales, quantised: for each block of dimensions
 * b < nb, c[t] = (p[t] * rs) * vs[t*nb + b] for t < n and 0.0f for
 * n <= t < n32 (n32 % 32 == 0), then quantize_q8(c, n32, q + b*ldq,
 * d + b*ldd). (p, rs: softmax's e and return value.) */
typedef void (*pv_quant_fn)(const float *p, float rs, const float *vs, uint32_t nb, uint32_t n, uint32_t n32,
                            int8_t *q, size_t ldq, float *d, size_t ldd);

/* pv_dot of several rows (queries) over the same values vg: row i is
 * pv_dot(vg, hd, q_i, ldq, r_i, d_i, ldd, nblk_i, out_i), 1 <= n <=
 * LMZ_PV_ROWS. Reads what those calls read and nothing beyond the union of
 * it; the outputs are those calls' bit for bit (the rows share the loads of
 * the values: a row alone reads 64 KiB of them per head at a full window,
 * from L2). */
#define LMZ_PV_ROWS 4
typedef struct {
    const int8_t *q;
    const float *d;
    float *out;
    uint32_t r, nblk;
} lmz_pv_row;
typedef void (*pv_dot_rows_fn)(const int8_t *vg, uint32_t hd, size_t ldq, size_t ldd, const lmz_pv_row *rows,
                               uint32_t n);

/* Vocabulary-sized loops of the coder (freqs.c) and the mixer (mix.c),
 * element by element, so every vector width gives the scalar bits:
 *   max_f32:   m = init; m = x[i] > m ? x[i] : m for i < n; returns m (NaN
 *              never wins; a NaN init stays). Any order gives the same
 *              value up to the sign of a zero maximum.
 *   affine:    z[i] = s * x[i] + b[i] (a multiply, then an add).
 *   dot_freq:  lane[i % 16] += ((float)freq[i] * inv) * x[i], i ascending,
 *              lanes from +0.0f; returns lmz_sum16_tree(lane).
 *   sub_freq:  b[i] = b[i] - c * (float)freq[i].
 *   fill_freq: q = p[i] * scale; q = q >= 0 ? q : 0 (NaN -> 0);
 *              q = q <= B ? q : B; freq[i] = 1 + (uint32_t)(int32_t)q;
 *              returns the sum of freq (B < 2^24).
 *   fill_cum:  fill_freq's values without storing them: returns their sum
 *              and sets *cum to the sum of those of i < s (s <= n).        */
typedef float (*max_f32_fn)(const float *x, uint32_t n, float init);
/* The coder's step 1 in one pass (n >= 1): *m = max_f32(x, n, -inf) and
 * returns the lowest i with x[i] == *m (0 when *m is -inf: all -inf/NaN). */
typedef uint32_t (*argmax_f32_fn)(const float *x, uint32_t n, float *m);
/* The residual stream's element-wise steps: x[i] = x[i] + y[i];
 * y[i] = (x[i] * s) * w[i] (RMSNorm's scale and weight). */
typedef void (*add_f32_fn)(float *x, const float *y, uint32_t n);
typedef void (*scale_mul_fn)(float *y, const float *x, float s, const float *w, uint32_t n);
/* Every 4th byte (the value cache's groups of 4 positions, kernels.h's
 * pv_dot): out[i] = out[i] + c * (float)v[4i] (the sink's value), and
 * dst[4i] = src[i] (a new position's values; the other bytes untouched). */
typedef void (*acc_s4_fn)(float *out, float c, const int8_t *v, uint32_t n);
typedef void (*put_s4_fn)(int8_t *dst, const int8_t *src, uint32_t n);
/* sum of x[0..n) (exact in 64 bits) */
typedef uint64_t (*sum_u32_fn)(const uint32_t *x, uint32_t n);
/* RoPE of one head's adjacent pairs: for i < half, a = x[2i], b = x[2i+1]:
 * x[2i] = a * c[i] - b * s[i], x[2i+1] = a * s[i] + b * c[i]. */
typedef void (*rope_fn)(float *x, const float *c, const float *s, uint32_t half);
/* lmz_sincos_d (lmz_math.h) of n angles, the same double operations lane
 * by lane: RoPE's angles at positions past the model's table. */
typedef void (*sincos_d_fn)(const double *a, double *s, double *c, uint32_t n);
typedef void (*affine_fn)(float *z, float s, const float *x, const float *b, uint32_t n);
typedef float (*dot_freq_fn)(const uint32_t *freq, float inv, const float *x, uint32_t n);
typedef void (*sub_freq_fn)(float *b, float c, const uint32_t *freq, uint32_t n);
typedef uint64_t (*fill_freq_fn)(const float *p, uint32_t *freq, uint32_t n, float scale, float B);
typedef uint64_t (*fill_cum_fn)(const float *p, uint32_t n, float scale, float B, uint32_t s, uint64_t *cum);

typedef struct {
    const char *name;
    int use_tiles; /* matmul_q8 is faster with q8_matrix.qt */
    quantize_q8_fn quantize_q8;
    matvec_q8_fn matvec_q8;
    matmul_q8_fn matmul_q8;
    sumsq_fn sumsq;
    expf_fn expf;
    expsum_fn expsum;
    softmax_fn softmax;
    silu_mul_fn silu_mul;
    pv_quant_fn pv_quant;
    pv_dot_rows_fn pv_dot_rows;
    max_f32_fn max_f32;
    affine_fn affine;
    dot_freq_fn dot_freq;
    sub_freq_fn sub_freq;
    fill_freq_fn fill_freq;
    rope_fn rope;
    fill_cum_fn fill_cum;
    sincos_d_fn sincos_d;
    argmax_f32_fn argmax_f32;
    sum_u32_fn sum_u32;
    add_f32_fn add_f32;
    scale_mul_fn scale_mul;
    acc_s4_fn acc_s4;
    put_s4_fn put_s4;
} lmz_kernels;

/* The dispatcher: the table for this CPU (or LMZ_SIMD). Thread-safe. */
const lmz_kernels *lmz_kernels_get(void);
/* A specific path by name ("scalar", "avx2", "avx512"); NULL if the CPU
 * cannot run it or it was not compiled in. For tests. */
const lmz_kernels *lmz_kernels_by_name(const char *name);

/* The references. */
void quantize_q8_generic(const float *x, uint32_t n, int8_t *q, float *d);
void matvec_q8_generic(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd, float *out);
void matmul_q8_generic(const q8_matrix *W, uint32_t r0, uint32_t r1, const int8_t *xq, const float *xd,
                       uint32_t nb, float *out, uint32_t ldo);
void pv_dot_generic(const int8_t *vg, uint32_t hd, const int8_t *q, size_t ldq, uint32_t r, const float *d, size_t ldd,
                    uint32_t nblk, float *out);
float sumsq_generic(const float *x, uint32_t n);
void expf_generic(const float *x, float *y, size_t n);
float expsum_generic(const float *x, float m, float *p, uint32_t n);
float softmax_generic(float s0, const float *win, uint32_t nw, float scale, float *e);
void silu_mul_generic(float *g, const float *u, size_t n);
void pv_quant_generic(const float *p, float rs, const float *vs, uint32_t nb, uint32_t n, uint32_t n32, int8_t *q,
                      size_t ldq, float *d, size_t ldd);
void pv_dot_rows_generic(const int8_t *vg, uint32_t hd, size_t ldq, size_t ldd, const lmz_pv_row *rows, uint32_t n);
float max_f32_generic(const float *x, uint32_t n, float init);
void affine_generic(float *z, float s, const float *x, const float *b, uint32_t n);
float dot_freq_generic(const uint32_t *freq, float inv, const float *x, uint32_t n);
void sub_freq_generic(float *b, float c, const uint32_t *freq, uint32_t n);
uint64_t fill_freq_generic(const float *p, uint32_t *freq, uint32_t n, float scale, float B);
void rope_generic(float *x, const float *c, const float *s, uint32_t half);
uint64_t fill_cum_generic(const float *p, uint32_t n, float scale, float B, uint32_t s, uint64_t *cum);
void sincos_d_generic(const double *a, double *s, double *c, uint32_t n);
uint32_t argmax_f32_generic(const float *x, uint32_t n, float *m);
uint64_t sum_u32_generic(const uint32_t *x, uint32_t n);
void add_f32_generic(float *x, const float *y, uint32_t n);
void scale_mul_generic(float *y, const float *x, float s, const float *w, uint32_t n);
void acc_s4_generic(float *out, float c, const int8_t *v, uint32_t n);
void put_s4_generic(int8_t *dst, const int8_t *src, uint32_t n);

/* Fixed-order reduction of 16 lanes (shared by all paths). */
static inline float lmz_sum16_tree(const float l[16]) {
    float e0 = (l[0] + l[8]) + (l[4] + l[12]);
    float e1 = (l[2] + l[10]) + (l[6] + l[14]);
    float o0 = (l[1] + l[9]) + (l[5] + l[13]);
    float o1 = (l[3] + l[11]) + (l[7] + l[15]);
    return (e0 + e1) + (o0 + o1);
}

#endif /* LMZ_KERNELS_H */
