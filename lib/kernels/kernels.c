/*
 * lib/kernels/kernels.c — the one dispatcher.
 *
 * Picks the fastest kernel table this CPU can run, once. LMZ_SIMD=scalar|avx2|
 * avx512 forces a path (for tests and for users chasing a bug); asking for a
 * path the CPU lacks falls back to the best available one.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

static const lmz_kernels k_generic = {"scalar", quantize_q8_generic, matvec_q8_generic, matmul_q8_generic,
                                      matvec_i8s_generic, sumsq_generic};

#if defined(__x86_64__) || defined(__i386__)
extern const lmz_kernels lmz_kernels_avx2;
#ifdef LMZ_HAVE_AVX512
extern const lmz_kernels lmz_kernels_avx512;
#endif
static int cpu_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c"); }
static int cpu_avx512(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") && cpu_avx2();
}
#endif

const lmz_kernels *lmz_kernels_by_name(const char *name) {
    if (!name) return NULL;
    if (!strcmp(name, "scalar") || !strcmp(name, "generic")) return &k_generic;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
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
    if ((k = lmz_kernels_by_name("avx512"))) return k;
    if ((k = lmz_kernels_by_name("avx2"))) return k;
#endif
    return &k_generic;
}

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
