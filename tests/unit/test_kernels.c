/*
 * tests/unit/test_kernels.c — every SIMD path gives the same bits as the
 * scalar reference, and our own math functions are accurate.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "kernels/lmz_math.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float frnd(float scale) { return ((float)(rnd() % 2000001) / 1000000.0f - 1.0f) * scale; }

static void test_path(const lmz_kernels *k) {
    const lmz_kernels *g = lmz_kernels_by_name("scalar");
    /* quantisation of awkward values: zeros, ties, huge, tiny */
    float x[1536];
    int8_t q0[1536], q1[1536];
    float d0[48], d1[48];
    for (int trial = 0; trial < 50; trial++) {
        for (int i = 0; i < 1536; i++) x[i] = frnd(trial % 5 == 0 ? 1e-30f : (float)(1 + trial));
        if (trial % 7 == 0) for (int i = 0; i < 64; i++) x[i] = 0.0f;
        if (trial % 3 == 0) for (int i = 64; i < 96; i++) x[i] = (float)(i - 80) * 0.5f; /* ties */
        g->quantize_q8(x, 1536, q0, d0);
        k->quantize_q8(x, 1536, q1, d1);
        CHECK(!memcmp(q0, q1, sizeof q0) && !memcmp(d0, d1, sizeof d0), "%s quantize differs (trial %d)", k->name, trial);
        float s0 = g->sumsq(x, 1536 - (uint32_t)trial), s1 = k->sumsq(x, 1536 - (uint32_t)trial);
        CHECK(!memcmp(&s0, &s1, 4), "%s sumsq differs (n=%d)", k->name, 1536 - trial);
    }
    /* matrix products, including rows not a multiple of 8 */
    enum { R = 77, C = 512, NB = 5 };
    static int8_t wq[R * C], xq[NB * C];
    static float wd[R * C / 32], xd[NB * C / 32], o0[NB * R], o1[NB * R];
    for (int i = 0; i < R * C; i++) wq[i] = (int8_t)((int)(rnd() % 255) - 127);
    for (int i = 0; i < R * C / 32; i++) wd[i] = frnd(0.01f);
    for (int i = 0; i < NB * C; i++) xq[i] = (int8_t)((int)(rnd() % 255) - 127);
    for (int i = 0; i < NB * C / 32; i++) xd[i] = frnd(0.1f);
    wq[5] = -127; /* extremes: 2*127*127 must not saturate int16 */
    wq[6] = -127;
    xq[5] = 127;
    xq[6] = 127;
    q8_matrix W = {wq, wd, R, C, NULL};
    g->matmul_q8(&W, 3, R, xq, xd, NB, o0, R);
    k->matmul_q8(&W, 3, R, xq, xd, NB, o1, R);
    int same = 1;
    for (int j = 0; j < NB; j++)
        for (int r = 0; r < R - 3; r++) same &= !memcmp(&o0[j * R + r], &o1[j * R + r], 4);
    CHECK(same, "%s matmul differs from scalar", k->name);
    /* the regrouped-scale layout (d8) gives the same result */
    static float wd8[(R / 8) * (C / 32) * 8];
    for (int r = 0; r < R / 8 * 8; r++)
        for (int b = 0; b < C / 32; b++) wd8[((r / 8) * (C / 32) + b) * 8 + r % 8] = wd[r * (C / 32) + b];
    q8_matrix W8 = {wq, wd, R, C, wd8};
    k->matmul_q8(&W8, 0, R, xq, xd, NB, o1, R);
    g->matmul_q8(&W, 0, R, xq, xd, NB, o0, R);
    CHECK(!memcmp(o0, o1, sizeof o0), "%s matmul with d8 differs", k->name);
    /* shared-scale rows (attention P.V), row stride larger than the row */
    g->matvec_i8s(wq, C, 61, xq, xd, C / 32 - 3, o0);
    k->matvec_i8s(wq, C, 61, xq, xd, C / 32 - 3, o1);
    CHECK(!memcmp(o0, o1, 61 * 4), "%s matvec_i8s differs", k->name);
    g->matvec_q8(&W, 0, R, xq, xd, o0);
    k->matvec_q8(&W, 0, R, xq, xd, o1);
    CHECK(!memcmp(o0, o1, R * 4), "%s matvec differs from scalar", k->name);
    /* the integer part is exact: compare with a direct int64 computation */
    double maxerr = 0;
    for (int r = 0; r < R; r++) {
        double ref = 0;
        for (int b = 0; b < C / 32; b++) {
            int64_t s = 0;
            for (int i = 0; i < 32; i++) s += (int64_t)wq[r * C + b * 32 + i] * xq[b * 32 + i];
            ref += (double)wd[r * (C / 32) + b] * xd[b] * (double)s;
        }
        double e = fabs(ref - o1[r]) / (fabs(ref) + 1e-3);
        if (e > maxerr) maxerr = e;
    }
    CHECK(maxerr < 1e-4, "%s matvec relative error %g", k->name, maxerr);
}

int main(void) {
    const char *paths[] = {"scalar", "avx2", "avx512"};
    for (int i = 0; i < 3; i++) {
        const lmz_kernels *k = lmz_kernels_by_name(paths[i]);
        if (!k) {
            printf("kernel path %s: not available on this CPU (skipped)\n", paths[i]);
            continue;
        }
        printf("kernel path %s: testing against scalar\n", paths[i]);
        test_path(k);
    }
    /* the dispatcher honours LMZ_SIMD */
    CHECK(lmz_kernels_get() != NULL, "dispatcher returned NULL");

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
