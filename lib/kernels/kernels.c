/*
 * lib/kernels/kernels.c — the one dispatcher.
 *
 * Picks the fastest verified kernel table this CPU can run, once.
 * LMZ_SIMD=scalar|avx2|avx512 forces a path (for tests and for users chasing
 * a bug); asking for a path the CPU lacks falls back to the best available
 * one.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "lmz.h"

static const lmz_kernels k_generic = {"scalar", 0, quantize_q8_generic, matvec_q8_generic, matmul_q8_generic,
                                      sumsq_generic,      expf_generic,
                                      expsum_generic,     softmax_generic,   silu_mul_generic,
                                      pv_quant_generic,   pv_dot_rows_generic, max_f32_generic,
                                      affine_generic,     dot_freq_generic,  sub_freq_generic,
                                      fill_freq_generic,  rope_generic,      fill_cum_generic,
                                      sincos_d_generic,   argmax_f32_generic, sum_u32_generic,
                                      add_f32_generic,    scale_mul_generic, acc_s4_generic,
                                      put_s4_generic};

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
extern const lmz_kernels lmz_kernels_avx2;
#ifdef LMZ_HAVE_AVX512
extern const lmz_kernels lmz_kernels_avx512;
#endif

/* CPU features from CPUID, plus XGETBV to check that the OS saves the
 * registers (gcc's and clang's __builtin_cpu_supports differ in the names
 * they know, so we ask the CPU directly). */
static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
static int cpu_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx || !f16c || (xgetbv0() & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1; /* AVX2 */
}
static int cpu_avx512(void) {
    unsigned a, b, c, d;
    if (!cpu_avx2() || (xgetbv0() & 0xe6) != 0xe6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
    return f && bw && vl && vnni;
}
#endif

const lmz_kernels *lmz_kernels_by_name(const char *name) {
    if (!name) return NULL;
    if (!strcmp(name, "scalar") || !strcmp(name, "generic")) return &k_generic;
#if defined(__x86_64__) || defined(__i386__)
    if (!strcmp(name, "avx2")) return cpu_avx2() ? &lmz_kernels_avx2 : NULL;
#ifdef LMZ_HAVE_AVX512
    if (!strcmp(name, "avx512")) return cpu_avx512() ? &lmz_kernels_avx512 : NULL;
#else
    (void)cpu_avx512;
#endif
#endif
    return NULL;
}

static const lmz_kernels *pick(void) {
    const char *env = getenv("LMZ_SIMD");
    const lmz_kernels *k = env && *env ? lmz_kernels_by_name(env) : NULL;
    if (k) return k;
#if defined(__x86_64__) || defined(__i386__)
    /* avx512: bit-exact with scalar on real hardware (Intel Xeon with
     * AVX-512 VNNI, 2026-11-27: test_kernels, and .lmz bytes identical for
     * scalar/avx2/avx512 x -T1/-T16; bench/device/ holds the log). */
    if ((k = lmz_kernels_by_name("avx512"))) return k;
    if ((k = lmz_kernels_by_name("avx2"))) return k;
#endif
    return &k_generic;
}

size_t q8_tiles_bytes(uint32_t rows, uint32_t cols) { return (size_t)(rows / 16 * 16) * cols; }

void q8_tiles_fill(const int8_t *q, uint32_t rows, uint32_t cols, uint8_t *qt) {
    const uint32_t nblk = cols / Q8_BLOCK;
    for (uint32_t t = 0; t < rows / 16; t++)
        for (uint32_t b = 0; b < nblk; b++)
            for (uint32_t g = 0; g < 8; g++) {
                uint8_t *o = qt + (((size_t)t * nblk + b) * 8 + g) * 64;
                for (uint32_t k = 0; k < 16; k++)
                    for (uint32_t i = 0; i < 4; i++)
                        o[4 * k + i] = (uint8_t)(q[((size_t)t * 16 + k) * cols + (size_t)b * Q8_BLOCK + 4 * g + i] + 128);
            }
}

const char *lmz_simd_path(void) { return lmz_kernels_get()->name; }

const lmz_kernels *lmz_kernels_get(void) {
    /* The choice is a pure function of the CPU and the environment, so a race
     * between two first callers stores the same pointer. */
    static _Atomic(const lmz_kernels *) chosen;
    const lmz_kernels *k = atomic_load(&chosen);
    if (!k) {
        k = pick();
        atomic_store(&chosen, k);
    }
    return k;
}
