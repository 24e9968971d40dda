/*
 * tests/unit/test_kernels.c — every SIMD path gives the same bits as the
 * scalar reference, and our own math functions are accurate.
 *
 * Each path that lmz_kernels_by_name() returns (scalar, avx2, avx512) is
 * compared with the generic functions on random data of many shapes: row
 * counts not multiple of 8 or 16, sub-ranges [r0, r1), batches of 1..17 and
 * more than 64 vectors, 1..97 blocks per row (odd counts, more than one
 * 48-block chunk), with and without the regrouped scales (d8), values at
 * +-127, zero blocks and zero scales. Buffers are allocated to their exact
 * size (AddressSanitizer catches over-reads) and outputs are compared whole,
 * sentinels included (nothing written outside [r0, r1)).
 *
 * Paths the CPU lacks are reported as SKIPPED. LMZ_TEST_REQUIRE="avx512"
 * (names separated by spaces or commas) turns a skipped path into a failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float frnd(float scale) { return ((float)(rnd() % 2000001) / 1000000.0f - 1.0f) * scale; }
static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static int8_t qrnd(void) { return (int8_t)((int)(rnd() % 255) - 127); }

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* int8 values: random, with some blocks all +-127 (int16 saturation would
 * show) and some all zero. */
static void fill_q(int8_t *q, size_t nblocks) {
    for (size_t b = 0; b < nblocks; b++) {
        int8_t *p = q + b * Q8_BLOCK;
        uint32_t kind = rnd() % 16;
        for (int i = 0; i < Q8_BLOCK; i++) {
            switch (kind) {
            case 0: p[i] = 0; break;
            case 1: p[i] = 127; break;
            case 2: p[i] = -127; break;
            case 3: p[i] = (rnd() & 1) ? 127 : -127; break;
            default: p[i] = qrnd();
            }
        }
    }
}
/* Block scales: random magnitude, sign, some zero. */
static void fill_d(float *d, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) d[i] = rnd() % 23 == 0 ? 0.0f : frnd(scale) * (float)(1 + rnd() % 8);
}
static void fill_sentinel(float *o, size_t n) {
    for (size_t i = 0; i < n; i++) o[i] = -1234.5f - (float)i;
}

/* A weight matrix with exact-size buffers; d8 and the tiles (qt) as the
 * model builds them. */
typedef struct {
    q8_matrix W;
    int8_t *q;
    float *d, *d8;
    uint8_t *qt;
} tmat;
static void tmat_make(tmat *m, uint32_t rows, uint32_t cols) {
    uint32_t nblk = cols / Q8_BLOCK;
    m->q = xmalloc((size_t)rows * cols);
    m->d = xmalloc((size_t)rows * nblk * sizeof(float));
    m->d8 = xmalloc((size_t)(rows / 8) * nblk * 8 * sizeof(float));
    fill_q(m->q, (size_t)rows * nblk);
    fill_d(m->d, (size_t)rows * nblk, 0.01f);
    for (uint32_t r = 0; r < rows / 8 * 8; r++)
        for (uint32_t b = 0; b < nblk; b++) m->d8[((size_t)(r / 8) * nblk + b) * 8 + r % 8] = m->d[(size_t)r * nblk + b];
    const size_t tb = q8_tiles_bytes(rows, cols);
    m->qt = tb ? aligned_alloc(64, tb) : NULL; /* tb is a multiple of 512 */
    if (tb && !m->qt) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    if (m->qt) q8_tiles_fill(m->q, rows, cols, m->qt);
    m->W = (q8_matrix){m->q, m->d, rows, cols, NULL, NULL};
}
static void tmat_free(tmat *m) {
    free(m->q);
    free(m->d);
    free(m->d8);
    free(m->qt);
}

static int g_cases; /* comparisons made for the current path */

/* matmul and matvec of rows [r0, r1) of a rows x cols matrix, nb vectors,
 * without d8, with d8, with d8 and the tiles; outputs compared whole
 * (sentinels included). */
static void check_matmul(const lmz_kernels *k, uint32_t rows, uint32_t cols, uint32_t nb, uint32_t r0, uint32_t r1,
                         uint32_t extra_ld) {
    const lmz_kernels *g = lmz_kernels_by_name("scalar");
    const uint32_t nblk = cols / Q8_BLOCK, ldo = (r1 - r0) + extra_ld;
    tmat m;
    tmat_make(&m, rows, cols);
    int8_t *xq = xmalloc((size_t)nb * cols);
    float *xd = xmalloc((size_t)nb * nblk * sizeof(float));
    fill_q(xq, (size_t)nb * nblk);
    fill_d(xd, (size_t)nb * nblk, 0.1f);
    const size_t nout = (size_t)(nb - 1) * ldo + (r1 - r0);
    float *o0 = xmalloc(nout * sizeof(float)), *o1 = xmalloc(nout * sizeof(float));
    for (int use_d8 = 0; use_d8 < 3; use_d8++) {
        m.W.d8 = use_d8 ? m.d8 : NULL;
        m.W.qt = use_d8 == 2 ? m.qt : NULL;
        fill_sentinel(o0, nout);
        fill_sentinel(o1, nout);
        g->matmul_q8(&m.W, r0, r1, xq, xd, nb, o0, ldo);
        k->matmul_q8(&m.W, r0, r1, xq, xd, nb, o1, ldo);
        CHECK(!memcmp(o0, o1, nout * sizeof(float)), "%s matmul differs: rows %u cols %u nb %u [%u, %u) ldo %u d8 %d",
              k->name, rows, cols, nb, r0, r1, ldo, use_d8);
        g_cases++;
        /* matvec of the last vector (its own shape: out has r1 - r0 floats) */
        const int8_t *xl = xq + (size_t)(nb - 1) * cols;
        const float *xdl = xd + (size_t)(nb - 1) * nblk;
        fill_sentinel(o0, nout);
        fill_sentinel(o1, nout);
        g->matvec_q8(&m.W, r0, r1, xl, xdl, o0);
        k->matvec_q8(&m.W, r0, r1, xl, xdl, o1);
        CHECK(!memcmp(o0, o1, nout * sizeof(float)), "%s matvec differs: rows %u cols %u [%u, %u) d8 %d", k->name,
              rows, cols, r0, r1, use_d8);
        g_cases++;
    }
    free(o0);
    free(o1);
    free(xq);
    free(xd);
    tmat_free(&m);
}

/* Attention's P.V over 4-position groups of one row (pv_dot_rows with one
 * row against pv_dot_generic): hd dimensions, nblk blocks of positions
 * starting at byte r of group 0. vg and q are allocated to exactly what the
 * kernel may read; the bytes of q outside the window (before r, after the
 * last position, between the rows) are random and must be ignored. */
static void check_pv_dot(const lmz_kernels *k, uint32_t hd, uint32_t nblk, uint32_t r, size_t ldq_pad) {
    const uint32_t nc = hd / Q8_BLOCK;
    const size_t ngroups = (r + 32 * (size_t)nblk - 1) / 4 + 1, nv = ngroups * hd * 4;
    const size_t ldq = r + 32 * (size_t)nblk + 4 + ldq_pad, nq = (nc - 1) * ldq + 32 * (size_t)nblk + (r ? 4 : 0);
    int8_t *vg = xmalloc(nv), *q = xmalloc(nq);
    float *d = xmalloc((size_t)nc * nblk * sizeof(float));
    for (size_t i = 0; i < nv; i++) vg[i] = qrnd();
    for (size_t i = 0; i < nv; i += 61) vg[i] = (int8_t)(i % 2 ? 127 : -127); /* extremes */
    for (size_t i = 0; i < nq; i++) q[i] = (int8_t)(rnd() & 0xFF); /* outside the window: anything */
    for (uint32_t c = 0; c < nc; c++)
        for (uint32_t j = 0; j < 32 * nblk; j++) q[c * ldq + r + j] = (int8_t)(j % 7 == 0 ? 127 : rnd() % 128);
    fill_d(d, nc * nblk, 0.1f);
    float *o0 = xmalloc((hd + 1) * sizeof(float)), *o1 = xmalloc((hd + 1) * sizeof(float));
    fill_sentinel(o0, hd + 1);
    fill_sentinel(o1, hd + 1);
    const lmz_pv_row row = {q, d, o1, r, nblk};
    pv_dot_generic(vg, hd, q, ldq, r, d, nblk, nblk, o0);
    k->pv_dot_rows(vg, hd, ldq, nblk, &row, 1);
    CHECK(!memcmp(o0, o1, (hd + 1) * sizeof(float)), "%s pv_dot differs: hd %u nblk %u r %u", k->name, hd, nblk, r);
    g_cases++;
    free(vg);
    free(q);
    free(d);
    free(o0);
    free(o1);
}

/* pv_dot_rows: n rows over the same values, each with its own r, block
 * count, weights, scales and output, against pv_dot_generic row by row.
 * vg is allocated to the union of what the rows may read. */
static void check_pv_dot_rows(const lmz_kernels *k, uint32_t hd, uint32_t n, const uint32_t *r, const uint32_t *nblk) {
    const uint32_t nc = hd / Q8_BLOCK;
    size_t ngroups = 0, ldq = 0, ldd = 0;
    for (uint32_t i = 0; i < n; i++) {
        const size_t gi = (r[i] + 32 * (size_t)nblk[i] - 1) / 4 + 1, li = r[i] + 32 * (size_t)nblk[i] + 4;
        ngroups = gi > ngroups ? gi : ngroups;
        ldq = li > ldq ? li : ldq;
        ldd = nblk[i] > ldd ? nblk[i] : ldd;
    }
    const size_t nv = ngroups * hd * 4;
    int8_t *vg = xmalloc(nv), *q[LMZ_PV_ROWS];
    float *d[LMZ_PV_ROWS], *o0[LMZ_PV_ROWS], *o1[LMZ_PV_ROWS];
    for (size_t i = 0; i < nv; i++) vg[i] = qrnd();
    lmz_pv_row rows[LMZ_PV_ROWS];
    for (uint32_t i = 0; i < n; i++) {
        q[i] = xmalloc(nc * ldq);
        d[i] = xmalloc(nc * ldd * sizeof(float));
        o0[i] = xmalloc((hd + 1) * sizeof(float));
        o1[i] = xmalloc((hd + 1) * sizeof(float));
        for (size_t j = 0; j < nc * ldq; j++) q[i][j] = (int8_t)(rnd() & 0xFF); /* outside the window: anything */
        for (uint32_t c = 0; c < nc; c++)
            for (uint32_t j = 0; j < 32 * nblk[i]; j++) q[i][c * ldq + r[i] + j] = (int8_t)(j % 5 == 0 ? 127 : rnd() % 128);
        fill_d(d[i], nc * ldd, 0.1f);
        fill_sentinel(o0[i], hd + 1);
        fill_sentinel(o1[i], hd + 1);
        pv_dot_generic(vg, hd, q[i], ldq, r[i], d[i], ldd, nblk[i], o0[i]);
        rows[i] = (lmz_pv_row){q[i], d[i], o1[i], r[i], nblk[i]};
    }
    k->pv_dot_rows(vg, hd, ldq, ldd, rows, n);
    for (uint32_t i = 0; i < n; i++) {
        CHECK(!memcmp(o0[i], o1[i], (hd + 1) * sizeof(float)), "%s pv_dot_rows differs: hd %u, %u rows, row %u (r %u nblk %u)",
              k->name, hd, n, i, r[i], nblk[i]);
        free(q[i]);
        free(d[i]);
        free(o0[i]);
        free(o1[i]);
    }
    g_cases++;
    free(vg);
}

/* The vocabulary-sized loops against their references: lengths around
 * the vector widths and the vocabulary's, values of every kind. */
static void check_vocab_loops(const lmz_kernels *k) {
    enum { N = 16384 + 37 };
    float *x = xmalloc(N * sizeof(float)), *b0 = xmalloc(N * sizeof(float)), *b1 = xmalloc(N * sizeof(float));
    float *z0 = xmalloc(N * sizeof(float)), *z1 = xmalloc(N * sizeof(float));
    uint32_t *f = xmalloc(N * sizeof(uint32_t)), *f0 = xmalloc(N * sizeof(uint32_t)), *f1 = xmalloc(N * sizeof(uint32_t));
    static const uint32_t lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 1000, 16384, N};
    for (int kind = 0; kind < 6; kind++) {
        for (int i = 0; i < N; i++) {
            x[i] = frnd(kind == 1 ? 1e3f : 12.0f);
            f[i] = kind == 2 ? rnd() : 1u + rnd() % (1u << 24); /* kind 2: any uint32 */
            b0[i] = b1[i] = frnd(2.0f);
        }
        if (kind == 4) /* only -inf and NaN: argmax 0 */
            for (int i = 0; i < N; i++) x[i] = i % 3 ? from_bits(0xff800000u) : from_bits(0x7fc00000u);
        if (kind == 5) { /* a maximum of 0 reached as -0 first, +0 later; the maximum in the last lane */
            for (int i = 0; i < N; i++) x[i] = -1.0f - (float)(i % 5);
            x[20] = -0.0f;
            x[35] = 0.0f;
            x[N - 1] = -0.0f;
        }
        if (kind == 3) { /* NaN, infinities, signed zeros, ties */
            for (int i = 0; i < N; i += 97) x[i] = from_bits(0x7fc00000u);
            for (int i = 5; i < N; i += 1013) x[i] = from_bits(0xff800000u);
            for (int i = 9; i < N; i += 511) x[i] = i % 2 ? 0.0f : -0.0f;
            x[N / 2] = 40.0f;
            x[N / 3] = 40.0f;
        }
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            const uint32_t n = lens[li];
            const float init = kind == 3 && li % 2 ? -INFINITY : x[0];
            float m0 = max_f32_generic(x + 1, n ? n - 1 : 0, init), m1 = k->max_f32(x + 1, n ? n - 1 : 0, init);
            CHECK(m0 == m1 || (m0 != m0 && m1 != m1), "%s max_f32 differs (n=%u, kind %d)", k->name, n, kind);
            if (n) { /* argmax: the same max and the same (lowest) index */
                float am0, am1;
                const uint32_t a0 = argmax_f32_generic(x, n, &am0), a1 = k->argmax_f32(x, n, &am1);
                CHECK(a0 == a1 && (am0 == am1 || (am0 != am0 && am1 != am1)), "%s argmax_f32 differs (n=%u, kind %d)",
                      k->name, n, kind);
            }
            {
                uint64_t u0 = sum_u32_generic(f, n), u1 = k->sum_u32(f, n);
                CHECK(u0 == u1, "%s sum_u32 differs (n=%u, kind %d)", k->name, n, kind);
            }
            /* the residual stream's add and RMSNorm's scale * weight */
            memcpy(z0, b0, N * sizeof(float));
            memcpy(z1, b0, N * sizeof(float));
            add_f32_generic(z0, x, n);
            k->add_f32(z1, x, n);
            CHECK(!memcmp(z0, z1, N * sizeof(float)), "%s add_f32 differs (n=%u, kind %d)", k->name, n, kind);
            fill_sentinel(z0, N);
            fill_sentinel(z1, N);
            scale_mul_generic(z0, x, 0.3f, b0, n);
            k->scale_mul(z1, x, 0.3f, b0, n);
            CHECK(!memcmp(z0, z1, N * sizeof(float)), "%s scale_mul differs (n=%u, kind %d)", k->name, n, kind);
            fill_sentinel(z0, N);
            fill_sentinel(z1, N);
            affine_generic(z0, 0.75f, x, b0, n);
            k->affine(z1, 0.75f, x, b0, n);
            CHECK(!memcmp(z0, z1, N * sizeof(float)), "%s affine differs (n=%u, kind %d)", k->name, n, kind);
            float s0 = dot_freq_generic(f, 0x1p-24f, x, n), s1 = k->dot_freq(f, 0x1p-24f, x, n);
            CHECK(!memcmp(&s0, &s1, 4), "%s dot_freq differs (n=%u, kind %d)", k->name, n, kind);
            sub_freq_generic(b0, 0.01f * 0x1p-24f, f, n);
            k->sub_freq(b1, 0.01f * 0x1p-24f, f, n);
            CHECK(!memcmp(b0, b1, N * sizeof(float)), "%s sub_freq differs (n=%u, kind %d)", k->name, n, kind);
            /* fill_freq: p in [0, 1] as exp gives, or anything (kind 3) */
            for (uint32_t i = 0; i < n; i++) z0[i] = kind == 3 ? x[i] : (float)(rnd() % 100001) / 100000.0f;
            const float B = (float)((1u << 24) - n), scale = kind == 1 ? 1e9f : B / (0.5f * (float)(n + 1));
            memset(f0, 0x55, N * sizeof(uint32_t));
            memset(f1, 0x55, N * sizeof(uint32_t));
            uint64_t t0 = fill_freq_generic(z0, f0, n, scale, B), t1 = k->fill_freq(z0, f1, n, scale, B);
            CHECK(t0 == t1 && !memcmp(f0, f1, N * sizeof(uint32_t)), "%s fill_freq differs (n=%u, kind %d)", k->name, n,
                  kind);
            /* fill_cum at s = 0, inside, at the ends of the vector widths, n */
            const uint32_t ss[] = {0, n / 3, n > 16 ? 16 : n, n > 17 ? 17 : n, n ? n - 1 : 0, n};
            for (int si = 0; si < 6; si++) {
                uint64_t c0 = 7, c1 = 9, cref = 0;
                for (uint32_t i = 0; i < ss[si]; i++) cref += f0[i];
                const uint64_t u0 = fill_cum_generic(z0, n, scale, B, ss[si], &c0), u1 = k->fill_cum(z0, n, scale, B, ss[si], &c1);
                CHECK(u0 == t0 && u1 == t0 && c0 == cref && c1 == cref, "%s fill_cum differs (n=%u, s=%u, kind %d)",
                      k->name, n, ss[si], kind);
            }
            g_cases += 6;
        }
    }
    free(x);
    free(b0);
    free(b1);
    free(z0);
    free(z1);
    free(f);
    free(f0);
    free(f1);
}

/* The value cache's every-4th-byte steps: accumulate (any c, all byte
 * values) and put (the other bytes untouched); lengths 0..70. */
static void check_s4(const lmz_kernels *k) {
    int8_t v[4 * 70 + 4], d0[4 * 70 + 4], d1[4 * 70 + 4], src[70];
    float o0[71], o1[71];
    for (uint32_t n = 0; n <= 70; n++) {
        for (size_t i = 0; i < sizeof v; i++) v[i] = d0[i] = d1[i] = (int8_t)(rnd() & 0xFF);
        for (uint32_t i = 0; i < n; i++) src[i] = (int8_t)(rnd() & 0xFF);
        for (uint32_t i = 0; i < 71; i++) o0[i] = o1[i] = frnd(5.0f);
        const float c = n % 7 == 3 ? -0.0f : frnd(0.01f);
        acc_s4_generic(o0, c, v, n);
        k->acc_s4(o1, c, v, n);
        put_s4_generic(d0, src, n);
        k->put_s4(d1, src, n);
        CHECK(!memcmp(o0, o1, sizeof o0) && !memcmp(d0, d1, sizeof d0), "%s acc_s4/put_s4 differ (n=%u)", k->name, n);
        g_cases += 2;
    }
}

/* RoPE of one head: every half-length 0..40 (tails), 64 (the model's),
 * values of several magnitudes, angles from a real table's range. */
static void check_rope(const lmz_kernels *k) {
    float x0[160], x1[160], c[80], sn[80];
    for (uint32_t half = 0; half <= 80; half += half < 40 ? 1 : 40) {
        for (uint32_t i = 0; i < 2 * half; i++) x0[i] = x1[i] = frnd(i % 9 == 0 ? 1e4f : 3.0f);
        for (uint32_t i = 0; i < half; i++) {
            c[i] = frnd(1.0f);
            sn[i] = frnd(1.0f);
        }
        if (half > 3) x0[3] = x1[3] = -0.0f;
        rope_generic(x0, c, sn, half);
        k->rope(x1, c, sn, half);
        CHECK(!memcmp(x0, x1, 2 * half * sizeof(float)), "%s rope differs (half=%u)", k->name, half);
        g_cases++;
    }
}

/* lmz_sincos_d lane by lane: RoPE's angles (positions up to 2^20 times
 * every theta of a 10000-base table), zeros of both signs, negative and
 * odd lengths (tails). */
static void check_sincos(const lmz_kernels *k) {
    enum { N = 203 };
    double a[N], s0[N], c0[N], s1[N], c1[N];
    int bad = 0;
    for (int trial = 0; trial < 40; trial++) {
        const double pos = trial < 4 ? (double)trial : (double)(rnd() % (1u << 20));
        for (int i = 0; i < N; i++) {
            double th = 1.0;
            for (int j = 0; j < i % 32; j++) th = th * 0.7498942093324558; /* 10000^(-1/32) */
            a[i] = pos * th * (trial % 5 == 4 ? -1.0 : 1.0);
        }
        a[0] = trial % 2 ? -0.0 : 0.0;
        const uint32_t n = trial < 20 ? (uint32_t)(1 + trial) : N;
        sincos_d_generic(a, s0, c0, n);
        k->sincos_d(a, s1, c1, n);
        bad += memcmp(s0, s1, n * sizeof(double)) != 0 || memcmp(c0, c1, n * sizeof(double)) != 0;
    }
    CHECK(bad == 0, "%s sincos_d differs from lmz_sincos_d in %d of 40 trials", k->name, bad);
    g_cases += 40;
}

/* Quantisation and sum of squares of awkward values. */
static void check_quantize(const lmz_kernels *k) {
    const lmz_kernels *g = lmz_kernels_by_name("scalar");
    enum { N = 1536 };
    static float x[N];
    static int8_t q0[N], q1[N];
    static float d0[N / 32], d1[N / 32];
    for (int trial = 0; trial < 120; trial++) {
        float scale = trial % 5 == 0 ? 1e-30f : trial % 11 == 0 ? 1e30f : (float)(1 + trial);
        for (int i = 0; i < N; i++) x[i] = frnd(scale);
        if (trial % 7 == 0)
            for (int i = 0; i < 64; i++) x[i] = 0.0f;
        if (trial % 3 == 0)
            for (int i = 64; i < 96; i++) x[i] = (float)(i - 80) * 0.5f; /* ties */
        if (trial % 4 == 1)
            for (int i = 96; i < 128; i++) x[i] = (float)(i - 112) * 127.0f / 16.0f; /* q hits +-127, ties */
        if (trial % 6 == 2) {
            for (int i = 128; i < 160; i++) x[i] = 0.0f; /* one nonzero value in a block */
            x[128 + trial % 32] = -frnd(3.0f);
        }
        if (trial % 8 == 3)
            for (int i = 160; i < 192; i++) x[i] = i % 2 ? 1e-30f : 1e30f; /* huge and tiny together */
        if (trial % 9 == 4)
            for (int i = 192; i < 224; i++) x[i] = -(float)(i - 191); /* negative only */
        if (trial % 10 == 5)
            for (int i = 224; i < 256; i++) x[i] = i % 3 ? -0.0f : 0.0f; /* signed zeros */
        if (trial % 12 == 6) /* largest |x| ~1e-38: 1 / (amax / 127) overflows, 0 * inf is NaN (-> 127) */
            for (int i = 256; i < 288; i++) x[i] = i % 4 == 0 ? 0.0f : i % 4 == 1 ? -0.0f : frnd(1e-38f);
        uint32_t n = (uint32_t)(32 * (1 + (trial * 7) % (N / 32)));
        memset(q0, 0x55, sizeof q0);
        memset(q1, 0x55, sizeof q1);
        memset(d0, 0x55, sizeof d0);
        memset(d1, 0x55, sizeof d1);
        g->quantize_q8(x, n, q0, d0);
        k->quantize_q8(x, n, q1, d1);
        CHECK(!memcmp(q0, q1, sizeof q0) && !memcmp(d0, d1, sizeof d0), "%s quantize differs (trial %d, n %u)",
              k->name, trial, n);
        uint32_t ns = trial < 40 ? (uint32_t)trial : (uint32_t)(N - trial);
        float s0 = g->sumsq(x + trial % 3, ns), s1 = k->sumsq(x + trial % 3, ns);
        CHECK(!memcmp(&s0, &s1, 4), "%s sumsq differs (n=%u)", k->name, ns);
        g_cases += 2;
    }
}

/* The integer part is exact: matvec against a direct int64 computation. */
static void check_exact(const lmz_kernels *k) {
    enum { R = 77, C = 512 };
    tmat m;
    tmat_make(&m, R, C);
    static int8_t xq[C];
    static float xd[C / 32], o[R];
    fill_q(xq, C / 32);
    fill_d(xd, C / 32, 0.1f);
    k->matvec_q8(&m.W, 0, R, xq, xd, o);
    double maxerr = 0;
    for (int r = 0; r < R; r++) {
        double ref = 0;
        for (int b = 0; b < C / 32; b++) {
            int64_t s = 0;
            for (int i = 0; i < 32; i++) s += (int64_t)m.q[r * C + b * 32 + i] * xq[b * 32 + i];
            ref += (double)m.d[r * (C / 32) + b] * xd[b] * (double)s;
        }
        double scale = 0;
        for (int b = 0; b < C / 32; b++) scale += fabs((double)m.d[r * (C / 32) + b] * xd[b]) * 32 * 127 * 127;
        double e = fabs(ref - o[r]) / (scale + 1e-30);
        if (e > maxerr) maxerr = e;
    }
    CHECK(maxerr < 1e-6, "%s matvec error %g of the magnitude", k->name, maxerr);
    tmat_free(&m);
}

/* ------------------------------------------------------------------------ */
/* exp, softmax, SiLU, P * value scales                                     */
/* ------------------------------------------------------------------------ */


/* Compares k->expf with the scalar lmz_expf on n inputs; returns mismatches
 * (the first few are printed). */
static uint64_t expf_mismatches(const lmz_kernels *k, const float *x, float *y, size_t n) {
    uint64_t bad = 0;
    k->expf(x, y, n);
    for (size_t i = 0; i < n; i++) {
        float r = lmz_expf(x[i]);
        if (memcmp(&r, &y[i], 4)) {
            if (bad++ < 5) fprintf(stderr, "  %s expf(%a) = %a, scalar %a\n", k->name, (double)x[i], (double)y[i], (double)r);
        }
    }
    return bad;
}

/* exp on every 4099th binary32 bit pattern (about a million inputs spread
 * over all exponents, both signs, NaNs and infinities), the clamp edges and
 * their neighbours, and odd lengths (tails). exhaustive != 0: every one of
 * the 2^32 patterns (tests/unit/README: run by hand, `test_kernels
 * --exhaustive`, about a minute per path). */
static void check_expf(const lmz_kernels *k, int exhaustive) {
    enum { CH = 1 << 16 };
    float *x = xmalloc(CH * sizeof(float)), *y = xmalloc(CH * sizeof(float));
    uint64_t bad = 0, n = 0;
    const uint64_t step = exhaustive ? 1 : 4099;
    for (uint64_t u = 0; u < (1ull << 32);) {
        size_t c = 0;
        for (; c < CH && u < (1ull << 32); c++, u += step) x[c] = from_bits((uint32_t)u);
        bad += expf_mismatches(k, x, y, c);
        n += c;
    }
    static const float edge[] = {0.0f, -0.0f, 1.0f, -1.0f, LMZ_EXP_LO, LMZ_EXP_HI, -87.5f, 88.5f, 89.0f, -88.0f,
                                 -103.0f, -1e30f, 1e30f, 0.5f, -0.5f, 1e-30f, -1e-30f, 3.4e38f, -3.4e38f};
    size_t c = 0;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        uint32_t u;
        memcpy(&u, &edge[i], 4);
        for (int d = -3; d <= 3; d++) x[c++] = from_bits(u + (uint32_t)d);
    }
    x[c++] = from_bits(0x7f800000u); /* +inf */
    x[c++] = from_bits(0xff800000u); /* -inf */
    x[c++] = from_bits(0x7fc00000u); /* NaN */
    x[c++] = from_bits(0xffc00001u);
    for (size_t len = 1; len <= 40; len++) bad += expf_mismatches(k, x, y, len); /* every tail length */
    bad += expf_mismatches(k, x, y, c);
    n += c;
    CHECK(bad == 0, "%s expf differs from lmz_expf on %llu of %llu inputs", k->name, (unsigned long long)bad,
          (unsigned long long)n);
    if (exhaustive) printf("  %s expf: %llu inputs, %llu differ\n", k->name, (unsigned long long)n, (unsigned long long)bad);
    g_cases += 1;
    free(x);
    free(y);
}

/* exp(x - m) and the 16-lane sum: lengths 1..70 and the vocabulary's 16384,
 * logits with -inf, NaN and values far below m (exp underflows to 0). */
static void check_expsum(const lmz_kernels *k) {
    enum { N = 16384 + 7 };
    float *x = xmalloc(N * sizeof(float)), *p0 = xmalloc(N * sizeof(float)), *p1 = xmalloc(N * sizeof(float));
    for (int i = 0; i < N; i++) x[i] = frnd(i % 11 == 0 ? 300.0f : 12.0f);
    x[3] = from_bits(0xff800000u); /* -inf */
    x[40] = from_bits(0x7fc00000u); /* NaN */
    static const uint32_t lens[] = {16384, 16384 + 7, 1000, 1024};
    for (uint32_t n = 1; n <= 70 + 4; n++) {
        const uint32_t len = n <= 70 ? n : lens[n - 71];
        const float m = 11.5f;
        float s0 = expsum_generic(x, m, p0, len), s1 = k->expsum(x, m, p1, len);
        CHECK(!memcmp(&s0, &s1, 4) && !memcmp(p0, p1, len * sizeof(float)), "%s expsum differs (n=%u)", k->name, len);
        g_cases++;
    }
    free(x);
    free(p0);
    free(p1);
}

/* Softmax of a sink score and windows of length 0..1100 (every tail
 * length, the longest windows), with scores of several kinds: random, all
 * equal, one huge, exact zeros of both signs, very negative (exp underflows
 * to 0), NaN; the window is read in place and must not change. */
static void check_softmax(const lmz_kernels *k) {
    enum { TMAX = 1100 };
    float *win = xmalloc(TMAX * sizeof(float)), *keep = xmalloc(TMAX * sizeof(float));
    float *a = xmalloc((TMAX + 1) * sizeof(float)), *b = xmalloc((TMAX + 1) * sizeof(float));
    static const uint32_t lens[] = {0,   1,   2,   3,   7,   8,   9,    15,   16,   17,   31,   32,   33,  63,  64,
                                    65,  100, 127, 128, 129, 255, 256,  257,  511,  512,  513,  1000, 1022, 1023, 1024,
                                    1025, 1087, 1099};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (int kind = 0; kind < 6; kind++) {
            const uint32_t nw = lens[li];
            for (uint32_t t = 0; t < nw; t++) {
                float v = frnd(kind == 4 ? 4000.0f : 30.0f);
                if (kind == 1) v = 1.25f;
                if (kind == 2) v = t == nw / 2 ? 1e6f : frnd(3.0f);
                if (kind == 3) v = (t % 3) ? 0.0f : -0.0f;
                if (kind == 5 && t % 17 == 3) v = from_bits(0x7fc00000u); /* NaN never wins the max */
                win[t] = keep[t] = v;
            }
            const float s0 = kind == 3 ? -0.0f : kind == 2 ? 2e6f : frnd(30.0f);
            const float scale = kind == 3 ? 1.0f : 0.125f;
            fill_sentinel(a, TMAX + 1);
            fill_sentinel(b, TMAX + 1);
            const float r0 = softmax_generic(s0, win, nw, scale, a), r1 = k->softmax(s0, win, nw, scale, b);
            CHECK(!memcmp(&r0, &r1, 4) && !memcmp(a, b, (TMAX + 1) * sizeof(float)) &&
                      !memcmp(win, keep, nw * sizeof(float)),
                  "%s softmax differs (nw=%u, kind %d)", k->name, nw, kind);
            g_cases++;
        }
    free(win);
    free(keep);
    free(a);
    free(b);
}

static void check_silu(const lmz_kernels *k) {
    enum { N = 3000 };
    float *g0 = xmalloc(N * sizeof(float)), *g1 = xmalloc(N * sizeof(float)), *u = xmalloc(N * sizeof(float));
    for (int i = 0; i < N; i++) {
        g0[i] = g1[i] = i < 64 ? from_bits(rnd()) : frnd(i % 7 == 0 ? 200.0f : 8.0f); /* first: any bits, NaN too */
        u[i] = frnd(4.0f);
    }
    g0[100] = g1[100] = 0.0f;
    g0[101] = g1[101] = -0.0f;
    for (size_t len = 1; len <= 40; len++) { /* tails */
        float t0[40], t1[40];
        memcpy(t0, g0 + 64, len * 4);
        memcpy(t1, g0 + 64, len * 4);
        silu_mul_generic(t0, u, len);
        k->silu_mul(t1, u, len);
        CHECK(!memcmp(t0, t1, len * 4), "%s silu_mul differs (n=%zu)", k->name, len);
    }
    silu_mul_generic(g0, u, N);
    k->silu_mul(g1, u, N);
    int diff = 0;
    for (int i = 0; i < N; i++) diff += memcmp(&g0[i], &g1[i], 4) != 0 && !(g0[i] != g0[i] && g1[i] != g1[i]);
    CHECK(diff == 0, "%s silu_mul differs at %d of %d", k->name, diff, N);
    g_cases += 41;
    free(g0);
    free(g1);
    free(u);
}

static void check_pv_quant(const lmz_kernels *k) {
    static const uint32_t ns[] = {0, 1, 5, 8, 15, 16, 17, 31, 32, 33, 100, 511, 512, 513, 1023, 1024, 1087};
    for (uint32_t nb = 1; nb <= 5; nb++)
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            const uint32_t n = ns[i], n32 = (n + 31) & ~31u;
            const size_t ldq = n32 + 64, ldd = n32 / 32 + 3;
            float *p = xmalloc((n + 1) * sizeof(float)), *vs = xmalloc(((size_t)n * nb + 1) * sizeof(float));
            int8_t *q0 = xmalloc(nb * ldq), *q1 = xmalloc(nb * ldq);
            float *d0 = xmalloc(nb * ldd * sizeof(float)), *d1 = xmalloc(nb * ldd * sizeof(float));
            for (uint32_t t = 0; t < n; t++) p[t] = i % 3 == 0 && t % 5 ? 0.0f : frnd(1.0f); /* zero blocks too */
            if (i % 4 == 1) /* a far tail of the window: probabilities ~1e-36 and exact zeros (1/d overflows) */
                for (uint32_t t = n / 2; t < n; t++) p[t] = t % 3 ? frnd(1e-36f) : 0.0f;
            for (size_t t = 0; t < (size_t)n * nb; t++) vs[t] = frnd(0.05f);
            memset(q0, 0x55, nb * ldq);
            memset(q1, 0x55, nb * ldq);
            fill_sentinel(d0, nb * ldd);
            fill_sentinel(d1, nb * ldd);
            const float rs = i % 2 ? 1.0f : 1.0f / (1.0f + frnd(0.5f) * frnd(0.5f) + 0.3f);
            pv_quant_generic(p, rs, vs, nb, n, n32, q0, ldq, d0, ldd);
            k->pv_quant(p, rs, vs, nb, n, n32, q1, ldq, d1, ldd);
            CHECK(!memcmp(q0, q1, nb * ldq) && !memcmp(d0, d1, nb * ldd * sizeof(float)),
                  "%s pv_quant differs (nb=%u, n=%u)", k->name, nb, n);
            g_cases++;
            free(p);
            free(vs);
            free(q0);
            free(q1);
            free(d0);
            free(d1);
        }
}

static void test_path(const lmz_kernels *k) {
    check_expf(k, 0);
    check_expsum(k);
    check_softmax(k);
    check_silu(k);
    check_pv_quant(k);
    check_quantize(k);
    check_exact(k);
    /* shapes: rows not multiple of 8/16 and sub-ranges */
    static const uint32_t shapes[][3] = {/* rows, r0, r1 */
                                         {1, 0, 1},    {7, 0, 7},    {8, 0, 8},    {15, 0, 15},   {16, 0, 16},
                                         {17, 0, 17},  {24, 8, 24},  {33, 3, 33},  {48, 16, 32},  {64, 0, 64},
                                         {77, 3, 77},  {80, 5, 74},  {96, 32, 96}, {100, 17, 99}, {129, 0, 129}};
    static const uint32_t colss[] = {32, 64, 96, 160, 640, 512, 1536, 1568, 3104};
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]), ncols = (int)(sizeof colss / sizeof colss[0]);
    /* every batch size 1..17 on a few shapes, every shape on a few batch sizes */
    for (uint32_t nb = 1; nb <= 17; nb++) {
        const uint32_t *s = shapes[(nb * 5) % nshapes];
        check_matmul(k, s[0], colss[nb % 6], nb, s[1], s[2], nb % 3);
    }
    for (int si = 0; si < nshapes; si++)
        for (int ci = 0; ci < ncols; ci++) {
            uint32_t cols = colss[ci];
            uint32_t nb = (uint32_t)((si + ci) % 4 == 0 ? 1 : (si + ci) % 4 == 1 ? 3 : (si + ci) % 4 == 2 ? 4 : 9);
            if (cols >= 1536 && shapes[si][0] > 64) nb = nb > 4 ? 4 : nb; /* keep the scalar reference quick */
            check_matmul(k, shapes[si][0], cols, nb, shapes[si][1], shapes[si][2], (uint32_t)si % 2);
        }
    /* more than 64 vectors (several vector chunks), several block chunks */
    check_matmul(k, 40, 96, 70, 0, 40, 1);
    check_matmul(k, 35, 1600, 66, 2, 35, 0);
    check_matmul(k, 64, 512, 64, 0, 64, 0);
    /* two tiles at a time (16 vectors or more): attention's scores (K = 64,
     * 64 queries: 3 pairs and 4 rows), a pair, a tile alone and 4 rows with
     * 20 vectors (5 passes of 4), 16 + 3 vectors (passes of 4, 2, 1) */
    check_matmul(k, 100, 64, 64, 0, 100, 3);
    check_matmul(k, 52, 512, 20, 0, 52, 0);
    check_matmul(k, 64, 1600, 19, 0, 64, 1);
    /* attention's shared-scale product */
    static const uint32_t pv[][2] = {{32, 1}, {64, 1}, {64, 2}, {64, 3}, {64, 4}, {64, 5}, {64, 32}, {96, 9}, {128, 33}};
    for (size_t i = 0; i < sizeof pv / sizeof pv[0]; i++)
        for (uint32_t r = 0; r < 4; r++) check_pv_dot(k, pv[i][0], pv[i][1], r, (size_t)(i * 37 % 97));
    /* several rows over the same values: as attention groups them (the same
     * block count, r = 0..3 in any order), growing windows (different block
     * counts), all r = 0 (8 groups a block), one row, mixes */
    static const uint32_t rr[][LMZ_PV_ROWS] = {{1, 2, 3, 0}, {0, 0, 0, 0}, {3, 3, 3, 3}, {2, 0, 1, 3}, {0, 1, 0, 2}};
    static const uint32_t nn[][LMZ_PV_ROWS] = {{32, 32, 32, 32}, {1, 2, 3, 4}, {5, 1, 9, 2}, {32, 31, 33, 32}, {3, 3, 3, 1}};
    for (uint32_t n = 1; n <= LMZ_PV_ROWS; n++)
        for (int t = 0; t < 5; t++) {
            check_pv_dot_rows(k, 64, n, rr[t], nn[t]);
            check_pv_dot_rows(k, 32 * (1 + (uint32_t)t % 3), n, rr[(t + 1) % 5], nn[(t + 2) % 5]);
        }
    check_vocab_loops(k);
    check_rope(k);
    check_sincos(k);
    check_s4(k);
}

/* Is `name` listed in LMZ_TEST_REQUIRE? */
static int required(const char *name) {
    const char *req = getenv("LMZ_TEST_REQUIRE");
    size_t n = strlen(name);
    for (const char *p = req; p && *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (len == n && !strncmp(p, name, n)) return 1;
        p += len;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *paths[] = {"scalar", "avx2", "avx512"};
    if (argc > 1 && !strcmp(argv[1], "--exhaustive")) { /* every binary32 input of exp, each SIMD path */
        for (int i = 1; i < 3; i++) {
            const lmz_kernels *k = lmz_kernels_by_name(paths[i]);
            if (k) check_expf(k, 1);
            else printf("  %s: not available on this CPU\n", paths[i]);
        }
        return check_done("test_kernels --exhaustive");
    }
    char tested[64] = "", skipped[256] = "";
    for (int i = 0; i < 3; i++) {
        const lmz_kernels *k = lmz_kernels_by_name(paths[i]);
        if (!k) {
            const char *why = "this CPU lacks it";
#if !defined(__x86_64__) && !defined(__i386__)
            why = "not an x86 build";
#elif !defined(LMZ_HAVE_AVX512)
            if (!strcmp(paths[i], "avx512")) why = "not compiled in: LMZ_AVX512=OFF or no compiler support";
#endif
            printf("kernel path %-6s: SKIPPED (%s)\n", paths[i], why);
            snprintf(skipped + strlen(skipped), sizeof skipped - strlen(skipped), " %s", paths[i]);
            CHECK(!required(paths[i]), "kernel path %s is required (LMZ_TEST_REQUIRE) but not available", paths[i]);
            continue;
        }
        g_cases = 0;
        int fails = check_fail_;
        test_path(k);
        printf("kernel path %-6s: tested against scalar, %d comparisons, %s\n", paths[i], g_cases,
               check_fail_ == fails ? "all identical" : "DIFFERENCES");
        snprintf(tested + strlen(tested), sizeof tested - strlen(tested), " %s", paths[i]);
    }
    printf("kernel paths tested:%s; skipped:%s\n", tested, *skipped ? skipped : " none");
    /* the dispatcher honours LMZ_SIMD */
    CHECK(lmz_kernels_get() != NULL, "dispatcher returned NULL");
    printf("dispatcher picks: %s\n", lmz_kernels_get()->name);

    /* lmz_expf: relative error against libm over the range used */
    double worst = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.00731f) {
        double e = fabs((double)lmz_expf(x) - exp((double)x)) / exp((double)x);
        if (e > worst) worst = e;
    }
    printf("lmz_expf max relative error %.3g\n", worst);
    CHECK(worst < 5e-7, "lmz_expf relative error %g", worst);
    CHECK(lmz_expf(-INFINITY) == 0.0f && lmz_expf(-100.0f) == 0.0f, "lmz_expf underflow");
    CHECK(lmz_expf(0.0f) == 1.0f, "lmz_expf(0) = %g", (double)lmz_expf(0.0f));
    /* double helpers used for RoPE tables */
    double ws = 0;
    for (double a = 0; a < 1100; a += 0.37) {
        double s, c;
        lmz_sincos_d(a, &s, &c);
        double e = fmax(fabs(s - sin(a)), fabs(c - cos(a)));
        if (e > ws) ws = e;
    }
    printf("lmz_sincos_d max abs error %.3g\n", ws);
    CHECK(ws < 1e-12, "sincos error %g", ws);
    CHECK(fabs(lmz_log_d(10000.0) - log(10000.0)) < 1e-13, "log_d");
    CHECK(fabs(lmz_exp_d(-3.5) - exp(-3.5)) < 1e-15, "exp_d");
    return check_done("test_kernels");
}
