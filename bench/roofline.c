/*
 * bench/roofline.c — what this machine could do for lmz at best: the int8
 * multiply-add peak and the memory read bandwidth, measured here with loops of
 * its own (nothing from lib/kernels), and the bounds they put on the default
 * model's compression and decompression speed.
 *
 *   roofline [-T N] [--mem MiB] [--time S] [--reps N] [--kv]
 *            [--file NAME:BYTES:TOK1,TOK2,...]... [--peak GMACS --bw GBS]
 *
 * Compute peak: a register-only loop of the best int8 multiply-add the CPU
 * has, with enough independent accumulators to hide its latency:
 *   vnni512  vpdpbusd zmm                      64 multiply-adds per instruction
 *   bw512    vpmaddubsw+vpmaddwd+vpaddd zmm    64 per vpmaddubsw
 *   avx2     vpmaddubsw+vpmaddwd+vpaddd ymm    32 per vpmaddubsw
 * (every path the CPU and OS support is measured; the best is the peak). On 1
 * thread and on N threads (pthreads pinned to the allowed CPUs in turn): two
 * vCPUs can be one core's two SMT threads, so N threads are measured, never
 * extrapolated.
 *
 * Memory: read bandwidth (vector loads summed) of a buffer of --mem MiB
 * (default 1024, at least 512), far larger than caches, on 1 and N threads;
 * also of a buffer the size of one chunk's decoding working set, read again
 * and again (caches may help there; information only).
 *
 * Bounds (the default model unless --vocab etc. say otherwise): per position
 * the multiply-adds of the blocks, the logits and the attention over its
 * window; per decoding step the weight bytes (int8 + one float scale per 32),
 * every active chunk's KV-cache reads and vocabulary-sized passes. For each
 * --file (tokens per chunk, as bench/roofline's tokcount gives them):
 *   compression: all positions' multiply-adds at the N-thread peak, and
 *     weights + KV read once per batch of 64 positions at the N-thread
 *     bandwidth; the larger time is the bound;
 *   decompression: one token per active chunk per step; each step takes at
 *     least max(bytes / bandwidth, multiply-adds / peak), N threads. All of a
 *     file's chunks are taken as active together (lmz decodes up to 16 chunks
 *     of a frame as one batch: true of files up to 16 chunks).
 * Not counted: the mixer of `lm+mix` chunks, the range coder, tokenizing —
 * the bounds are what the transformer alone allows.
 * --peak and --bw (N-thread G multiply-adds/s and GB/s, e.g. from an earlier
 * run's --kv lines) skip the measurements and only evaluate the bounds.
 * --kv adds machine-readable lines for scripts. 1 KB = 1000 bytes, 1 GB/s =
 * 1e9 bytes/s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <errno.h>
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 256
#define MAX_FILES 16

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* CPU features (CPUID + XGETBV: the OS must save the vector state too)     */
/* ------------------------------------------------------------------------ */

static struct {
    int avx2, avx512f, avx512bw, avx512vnni;
} cpu;

static void cpu_detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    uint64_t xcr0 = 0;
    if (osxsave) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((uint64_t)hi << 32) | lo;
    }
    int ymm_os = (xcr0 & 0x6) == 0x6;    /* XMM + YMM state */
    int zmm_os = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    cpu.avx2 = avx && ymm_os && ((b >> 5) & 1);
    cpu.avx512f = zmm_os && ((b >> 16) & 1);
    cpu.avx512bw = cpu.avx512f && ((b >> 30) & 1);
    cpu.avx512vnni = cpu.avx512f && ((c >> 11) & 1);
}

/* ------------------------------------------------------------------------ */
/* Compute loops: registers only, written in asm so that the compiler can    */
/* neither hoist the loop-invariant products nor merge identical chains.     */
/* Operand values do not matter to integer SIMD timing.                      */
/* ------------------------------------------------------------------------ */

/* 24 independent vpdpbusd chains: 24 x 64 = 1536 multiply-adds per iteration. */
#define DP(n) "vpdpbusd %%zmm31, %%zmm30, %%zmm" #n "\n\t"
#define ZERO512(n) "vpxord %%zmm" #n ", %%zmm" #n ", %%zmm" #n "\n\t"
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void loop_vnni512(uint64_t iters) {
    __asm__ volatile(
        ZERO512(0) ZERO512(1) ZERO512(2) ZERO512(3) ZERO512(4) ZERO512(5) ZERO512(6) ZERO512(7)
        ZERO512(8) ZERO512(9) ZERO512(10) ZERO512(11) ZERO512(12) ZERO512(13) ZERO512(14) ZERO512(15)
        ZERO512(16) ZERO512(17) ZERO512(18) ZERO512(19) ZERO512(20) ZERO512(21) ZERO512(22) ZERO512(23)
        ZERO512(30) ZERO512(31)
        "1:\n\t"
        DP(0) DP(1) DP(2) DP(3) DP(4) DP(5) DP(6) DP(7) DP(8) DP(9) DP(10) DP(11)
        DP(12) DP(13) DP(14) DP(15) DP(16) DP(17) DP(18) DP(19) DP(20) DP(21) DP(22) DP(23)
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        :
        : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
          "xmm22", "xmm23", "xmm30", "xmm31");
}
#define VNNI512_MACS 1536.0

/* 12 chains of vpmaddubsw (u8 x s8 -> pairs summed to s16), vpmaddwd with
 * ones (-> s32), vpaddd into the accumulator: 12 x 64 = 768 per iteration. */
#define MB512(acc, t)                                                                                          \
    "vpmaddubsw %%zmm31, %%zmm30, %%zmm" #t "\n\t"                                                             \
    "vpmaddwd %%zmm29, %%zmm" #t ", %%zmm" #t "\n\t"                                                           \
    "vpaddd %%zmm" #t ", %%zmm" #acc ", %%zmm" #acc "\n\t"
__attribute__((target("avx512f,avx512bw"))) static void loop_bw512(uint64_t iters) {
    __asm__ volatile(
        ZERO512(0) ZERO512(1) ZERO512(2) ZERO512(3) ZERO512(4) ZERO512(5) ZERO512(6) ZERO512(7)
        ZERO512(8) ZERO512(9) ZERO512(10) ZERO512(11) ZERO512(29) ZERO512(30) ZERO512(31)
        "1:\n\t"
        MB512(0, 12) MB512(1, 13) MB512(2, 14) MB512(3, 15) MB512(4, 16) MB512(5, 17)
        MB512(6, 18) MB512(7, 19) MB512(8, 20) MB512(9, 21) MB512(10, 22) MB512(11, 23)
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        :
        : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
          "xmm22", "xmm23", "xmm29", "xmm30", "xmm31");
}
#define BW512_MACS 768.0

/* The same with ymm0-15 only: 6 chains, 6 x 32 = 192 per iteration. */
#define MB256(acc, t)                                                                                          \
    "vpmaddubsw %%ymm14, %%ymm13, %%ymm" #t "\n\t"                                                             \
    "vpmaddwd %%ymm15, %%ymm" #t ", %%ymm" #t "\n\t"                                                           \
    "vpaddd %%ymm" #t ", %%ymm" #acc ", %%ymm" #acc "\n\t"
#define ZERO256(n) "vpxor %%ymm" #n ", %%ymm" #n ", %%ymm" #n "\n\t"
__attribute__((target("avx2"))) static void loop_avx2(uint64_t iters) {
    __asm__ volatile(
        ZERO256(0) ZERO256(1) ZERO256(2) ZERO256(3) ZERO256(4) ZERO256(5)
        ZERO256(13) ZERO256(14) ZERO256(15)
        "1:\n\t"
        MB256(0, 6) MB256(1, 7) MB256(2, 8) MB256(3, 9) MB256(4, 10) MB256(5, 11)
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        :
        : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm13", "xmm14", "xmm15");
}
#define AVX2_MACS 192.0

typedef struct {
    const char *name, *what;
    void (*loop)(uint64_t);
    double macs_per_iter;
    int *have;
} compute_path;

static compute_path paths[] = {
    {"vnni512", "vpdpbusd zmm, 24 chains", loop_vnni512, VNNI512_MACS, &cpu.avx512vnni},
    {"bw512", "vpmaddubsw+vpmaddwd+vpaddd zmm, 12 chains", loop_bw512, BW512_MACS, &cpu.avx512bw},
    {"avx2", "vpmaddubsw+vpmaddwd+vpaddd ymm, 6 chains", loop_avx2, AVX2_MACS, &cpu.avx2},
};
#define N_PATHS (sizeof paths / sizeof paths[0])

/* ------------------------------------------------------------------------ */
/* Memory read loops: sum of 64-bit lanes, 4 accumulators                    */
/* ------------------------------------------------------------------------ */

__attribute__((target("avx512f"))) static uint64_t read_avx512(const uint8_t *p, size_t n) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 512 <= n; i += 512) {
        s0 = _mm512_add_epi64(s0, _mm512_load_si512((const void *)(p + i)));
        s1 = _mm512_add_epi64(s1, _mm512_load_si512((const void *)(p + i + 64)));
        s2 = _mm512_add_epi64(s2, _mm512_load_si512((const void *)(p + i + 128)));
        s3 = _mm512_add_epi64(s3, _mm512_load_si512((const void *)(p + i + 192)));
        s0 = _mm512_add_epi64(s0, _mm512_load_si512((const void *)(p + i + 256)));
        s1 = _mm512_add_epi64(s1, _mm512_load_si512((const void *)(p + i + 320)));
        s2 = _mm512_add_epi64(s2, _mm512_load_si512((const void *)(p + i + 384)));
        s3 = _mm512_add_epi64(s3, _mm512_load_si512((const void *)(p + i + 448)));
    }
    s0 = _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3));
    return (uint64_t)_mm512_reduce_add_epi64(s0);
}

__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *p, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 256 <= n; i += 256) {
        s0 = _mm256_add_epi64(s0, _mm256_load_si256((const __m256i *)(p + i)));
        s1 = _mm256_add_epi64(s1, _mm256_load_si256((const __m256i *)(p + i + 32)));
        s2 = _mm256_add_epi64(s2, _mm256_load_si256((const __m256i *)(p + i + 64)));
        s3 = _mm256_add_epi64(s3, _mm256_load_si256((const __m256i *)(p + i + 96)));
        s0 = _mm256_add_epi64(s0, _mm256_load_si256((const __m256i *)(p + i + 128)));
        s1 = _mm256_add_epi64(s1, _mm256_load_si256((const __m256i *)(p + i + 160)));
        s2 = _mm256_add_epi64(s2, _mm256_load_si256((const __m256i *)(p + i + 192)));
        s3 = _mm256_add_epi64(s3, _mm256_load_si256((const __m256i *)(p + i + 224)));
    }
    s0 = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
    uint64_t l[4];
    _mm256_storeu_si256((__m256i *)l, s0);
    return l[0] + l[1] + l[2] + l[3];
}

static uint64_t read_scalar(const uint8_t *p, size_t n) {
    const uint64_t *q = (const uint64_t *)(const void *)p;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= n / 8; i += 4) {
        s0 += q[i];
        s1 += q[i + 1];
        s2 += q[i + 2];
        s3 += q[i + 3];
    }
    return s0 + s1 + s2 + s3;
}

static uint64_t (*read_fn)(const uint8_t *, size_t) = read_scalar;
static const char *read_name = "scalar";

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

static int allowed_cpus[MAX_THREADS], n_allowed;

typedef struct {
    int id;
    const compute_path *path; /* compute job, or NULL: read p[0..n) `passes` times */
    uint64_t iters;
    const uint8_t *p;
    size_t n;
    int passes;
    int touch; /* first touch: write the slice instead of reading it */
    pthread_barrier_t *bar;
    double t0, t1;
    uint64_t sink;
    int pinned;
} job;

static void *worker(void *arg) {
    job *j = arg;
    j->pinned = 0;
    if (n_allowed > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(allowed_cpus[j->id % n_allowed], &set);
        j->pinned = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
    }
    pthread_barrier_wait(j->bar);
    j->t0 = now();
    if (j->touch) {
        memset((void *)(uintptr_t)j->p, 1 + j->id, j->n);
    } else if (j->path) {
        j->path->loop(j->iters);
    } else {
        uint64_t s = 0;
        for (int k = 0; k < j->passes; k++) s += read_fn(j->p, j->n);
        j->sink = s;
    }
    j->t1 = now();
    return NULL;
}

static int last_pinned;
volatile uint64_t g_sink; /* keeps the reads' sums alive */

/* Runs nt copies of the template (slices of [p, p+n) for memory jobs, cut at
 * 4 KiB multiples); returns wall seconds from the first start to the last end. */
static double run_parallel(int nt, const job *tmpl) {
    pthread_t th[MAX_THREADS];
    job jobs[MAX_THREADS];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nt);
    size_t per = (tmpl->n / (size_t)nt) & ~(size_t)4095;
    for (int i = 0; i < nt; i++) {
        jobs[i] = *tmpl;
        jobs[i].id = i;
        jobs[i].bar = &bar;
        jobs[i].p = tmpl->p ? tmpl->p + (size_t)i * per : NULL;
        jobs[i].n = per;
        if (pthread_create(&th[i], NULL, worker, &jobs[i])) {
            fprintf(stderr, "roofline: pthread_create failed\n");
            exit(1);
        }
    }
    double t0 = 1e300, t1 = 0;
    last_pinned = 1;
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].t0 < t0) t0 = jobs[i].t0;
        if (jobs[i].t1 > t1) t1 = jobs[i].t1;
        g_sink += jobs[i].sink;
        last_pinned &= jobs[i].pinned;
    }
    pthread_barrier_destroy(&bar);
    return t1 - t0;
}

/* ------------------------------------------------------------------------ */
/* Measurements                                                             */
/* ------------------------------------------------------------------------ */

static double opt_time = 0.5; /* seconds per timed run */
static int opt_reps = 3;

/* Best G multiply-adds per second of a path on nt threads. */
static double measure_compute(const compute_path *cp, int nt, uint64_t iters) {
    job t = {0};
    t.path = cp;
    t.iters = iters;
    double best = 0;
    for (int r = 0; r < opt_reps; r++) {
        double s = run_parallel(nt, &t);
        double g = (double)nt * (double)iters * cp->macs_per_iter / s * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

static uint64_t calibrate(const compute_path *cp) {
    uint64_t it = 1 << 12;
    for (;;) {
        double t0 = now();
        cp->loop(it);
        double s = now() - t0;
        if (s > 0.05 || it > (1ull << 40)) return (uint64_t)((double)it * opt_time / (s > 1e-9 ? s : 1e-9)) + 1;
        it *= 4;
    }
}

/* Best GB/s reading n bytes from p on nt threads (each its slice), `passes`
 * times per run. */
static double measure_read(const uint8_t *p, size_t n, int nt, int passes) {
    job t = {0};
    t.p = p;
    t.n = n;
    t.passes = passes;
    size_t per = (n / (size_t)nt) & ~(size_t)4095;
    double best = 0;
    for (int r = 0; r < opt_reps; r++) {
        double s = run_parallel(nt, &t);
        double g = (double)per * (double)nt * passes / s * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

/* ------------------------------------------------------------------------ */
/* Model arithmetic                                                         */
/* ------------------------------------------------------------------------ */

static struct {
    double vocab, embd, layers, heads, kv_heads, head_dim, ff, ctx;
    double vocab_passes; /* passes over a float per vocabulary entry per token */
    int batch;           /* positions per forward call when compressing */
} M = {16384, 512, 8, 8, 8, 64, 1536, 1024, 4, 64};

static double block_macs(void) {
    double q = M.heads * M.head_dim, kv = M.kv_heads * M.head_dim;
    return M.layers * (M.embd * q + 2 * M.embd * kv + q * M.embd + 3 * M.embd * M.ff);
}
static double logit_macs(void) { return M.vocab * M.embd; }
/* Q.K and P.V over `win` keys, every layer and head. */
static double attn_macs(double win) { return M.layers * M.heads * M.head_dim * 2 * win; }
static double macs_at(double win) { return block_macs() + logit_macs() + attn_macs(win); }
/* int8 weights + one float scale per 32, norms as floats, one embedding row. */
static double weight_bytes(void) {
    double w = block_macs() + logit_macs();
    return w * (1 + 4.0 / 32) + (M.layers * 2 + 1) * M.embd * 4 + M.embd * (1 + 4.0 / 32);
}
/* KV bytes read per position of window: key + value (int8) + their scales. */
static double kv_bytes(double win) {
    return M.layers * M.kv_heads * win * 2 * (M.head_dim + 4 * (M.head_dim / 32));
}
static double vocab_bytes(void) { return M.vocab * 4 * M.vocab_passes; }
static double win_at(uint64_t pos) { return (double)(pos + 1 < M.ctx ? pos + 1 : M.ctx); }

typedef struct {
    char name[64];
    double bytes;
    int nch;
    uint64_t tok[512];
    uint64_t tokens;
} scen;

typedef struct {
    double c_comp_s, c_mem_s, c_s; /* compression: compute-, memory-bound time, bound */
    double d_comp_s, d_mem_s, d_s; /* decompression */
} bounds;

static bounds eval(const scen *sc, double peak_g, double bw_g) {
    bounds b = {0};
    double peak = peak_g * 1e9, bw = bw_g * 1e9;
    uint64_t maxn = 0;
    for (int c = 0; c < sc->nch; c++) {
        uint64_t n = sc->tok[c];
        if (n > maxn) maxn = n;
        double macs = 0, bytes = 0;
        for (uint64_t p = 0; p < n; p++) macs += macs_at(win_at(p));
        for (uint64_t p = 0; p < n; p += (uint64_t)M.batch) {
            uint64_t last = p + (uint64_t)M.batch - 1 < n ? p + (uint64_t)M.batch - 1 : n - 1;
            bytes += weight_bytes() + kv_bytes(win_at(last)) + vocab_bytes() * (double)(last - p + 1);
        }
        b.c_comp_s += macs / peak;
        b.c_mem_s += bytes / bw;
    }
    b.c_s = b.c_comp_s > b.c_mem_s ? b.c_comp_s : b.c_mem_s;
    for (uint64_t p = 0; p < maxn; p++) {
        double macs = 0, bytes = weight_bytes();
        for (int c = 0; c < sc->nch; c++)
            if (sc->tok[c] > p) {
                macs += macs_at(win_at(p));
                bytes += kv_bytes(win_at(p)) + vocab_bytes();
            }
        double tc = macs / peak, tm = bytes / bw;
        b.d_comp_s += tc;
        b.d_mem_s += tm;
        b.d_s += tc > tm ? tc : tm;
    }
    return b;
}

/* ------------------------------------------------------------------------ */

static void usage(void) {
    fputs("usage: roofline [-T N] [--mem MiB] [--time S] [--reps N] [--kv]\n"
          "                [--file NAME:BYTES:TOK1,TOK2,...]...\n"
          "                [--vocab N --embd N --layers N --heads N --kv-heads N --head-dim N --ff N --ctx N]\n"
          "                [--vocab-passes N] [--batch N] [--peak GMACS --bw GBS]\n",
          stderr);
    exit(2);
}

static double num(const char *s) {
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || e == s || *e || !(v > 0)) {
        fprintf(stderr, "roofline: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static void parse_file(scen *sc, const char *arg) {
    const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || (size_t)(c1 - arg) >= sizeof sc->name) {
        fprintf(stderr, "roofline: --file wants NAME:BYTES:TOK1,TOK2,... (got '%s')\n", arg);
        exit(2);
    }
    memset(sc, 0, sizeof *sc);
    memcpy(sc->name, arg, (size_t)(c1 - arg));
    sc->bytes = strtod(c1 + 1, NULL);
    const char *p = c2 + 1;
    while (*p) {
        char *e;
        unsigned long long v = strtoull(p, &e, 10);
        if (e == p || sc->nch >= (int)(sizeof sc->tok / sizeof sc->tok[0])) {
            fprintf(stderr, "roofline: bad token list in '%s'\n", arg);
            exit(2);
        }
        sc->tok[sc->nch++] = v;
        sc->tokens += v;
        p = *e == ',' ? e + 1 : e;
    }
    if (sc->nch == 0 || !(sc->bytes > 0)) {
        fprintf(stderr, "roofline: empty --file '%s'\n", arg);
        exit(2);
    }
}

typedef struct {
    double peak1, peakT, bw1, bwT, wsT; /* G multiply-adds/s, GB/s */
    const char *best;
    size_t wsn;
} meas;

static int measure_all(int nt, double mem_mib, meas *m) {
    /* ---- compute ---- */
    printf("\nint8 multiply-add peak (register-only loops, best of %d runs of ~%.2g s)\n", opt_reps, opt_time);
    printf("  %-8s %-44s %12s %12s\n", "path", "loop", "1 thread", "");
    for (size_t k = 0; k < N_PATHS; k++) {
        const compute_path *cp = &paths[k];
        if (!*cp->have) {
            printf("  %-8s %-44s %12s\n", cp->name, cp->what, "(CPU lacks)");
            continue;
        }
        uint64_t it = calibrate(cp);
        double g1 = measure_compute(cp, 1, it);
        double gT = nt > 1 ? measure_compute(cp, nt, it) : g1;
        printf("  %-8s %-44s %8.1f GMAC/s %6.1f GMAC/s on %d threads%s\n", cp->name, cp->what, g1, gT, nt,
               nt > 1 && !last_pinned ? " (not pinned)" : "");
        if (gT > m->peakT) m->peakT = gT, m->peak1 = g1, m->best = cp->name;
    }
    if (m->peakT <= 0) {
        printf("  no SIMD int8 path on this CPU: no bounds\n");
        return -1;
    }
    printf("  peak: %s, %.1f G multiply-adds/s on 1 thread, %.1f on %d (x%.2f)\n", m->best, m->peak1, m->peakT, nt,
           m->peakT / m->peak1);

    /* ---- memory ---- */
    size_t n = (size_t)(mem_mib * 1048576.0) & ~(size_t)65535;
    uint8_t *buf = aligned_alloc(4096, n);
    if (!buf) {
        fprintf(stderr, "roofline: cannot allocate %.0f MiB\n", mem_mib);
        return -1;
    }
    {
        job t = {0};
        t.p = buf;
        t.n = n;
        t.touch = 1;
        run_parallel(nt, &t); /* first touch by the threads that read it */
        size_t per = (n / (size_t)nt) & ~(size_t)4095;
        if (per * (size_t)nt < n) memset(buf + per * (size_t)nt, 7, n - per * (size_t)nt);
    }
    printf("\nmemory read bandwidth (%s, sum of 64-bit lanes, best of %d runs)\n", read_name, opt_reps);
    m->bw1 = measure_read(buf, n, 1, 2);
    m->bwT = nt > 1 ? measure_read(buf, n, nt, 2) : m->bw1;
    printf("  %7.0f MiB buffer:  %6.1f GB/s on 1 thread, %6.1f GB/s on %d threads%s\n", (double)n / 1048576.0,
           m->bw1, m->bwT, nt, nt > 1 && !last_pinned ? " (not pinned)" : "");
    double ws = weight_bytes() + kv_bytes(M.ctx) + vocab_bytes();
    m->wsn = ((size_t)ws + 65535) & ~(size_t)65535;
    if (m->wsn > n) m->wsn = n;
    int ws_passes = (int)(2.0 * (double)n / (double)m->wsn);
    m->wsT = measure_read(buf, m->wsn, nt, ws_passes > 1 ? ws_passes : 1);
    printf("  %7.1f MiB buffer (one chunk's decoding working set), read again and again: %6.1f GB/s on %d threads"
           " (information: caches may hold part of it)\n",
           (double)m->wsn / 1048576.0, m->wsT, nt);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int nt = 2, kv_out = 0, n_files = 0;
    double mem_mib = 1024, given_peak = 0, given_bw = 0;
    static scen files[MAX_FILES];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && (v || (usage(), 0)) && ++i)
        if (strncmp(a, "-T", 2) == 0 && a[2]) nt = (int)num(a + 2);
        else if (OPT("-T")) nt = (int)num(v);
        else if (OPT("--mem")) mem_mib = num(v);
        else if (OPT("--time")) opt_time = num(v);
        else if (OPT("--reps")) opt_reps = (int)num(v);
        else if (OPT("--vocab")) M.vocab = num(v);
        else if (OPT("--embd")) M.embd = num(v);
        else if (OPT("--layers")) M.layers = num(v);
        else if (OPT("--heads")) M.heads = num(v);
        else if (OPT("--kv-heads")) M.kv_heads = num(v);
        else if (OPT("--head-dim")) M.head_dim = num(v);
        else if (OPT("--ff")) M.ff = num(v);
        else if (OPT("--ctx")) M.ctx = num(v);
        else if (OPT("--vocab-passes")) M.vocab_passes = num(v);
        else if (OPT("--batch")) M.batch = (int)num(v);
        else if (OPT("--peak")) given_peak = num(v);
        else if (OPT("--bw")) given_bw = num(v);
        else if (OPT("--file")) {
            if (n_files == MAX_FILES) usage();
            parse_file(&files[n_files++], v);
        } else if (strcmp(a, "--kv") == 0) kv_out = 1;
        else usage();
#undef OPT
    }
    if (nt < 1 || nt > MAX_THREADS || opt_reps < 1 || (given_peak > 0) != (given_bw > 0)) usage();
    if (mem_mib < 512) {
        fprintf(stderr, "roofline: --mem below 512 MiB would not measure memory, using 512\n");
        mem_mib = 512;
    }

    cpu_detect();
    if (cpu.avx512f) read_fn = read_avx512, read_name = "avx512 (zmm loads)";
    else if (cpu.avx2) read_fn = read_avx2, read_name = "avx2 (ymm loads)";
    else read_name = "scalar (64-bit loads)";

    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE && n_allowed < MAX_THREADS; c++)
            if (CPU_ISSET(c, &set)) allowed_cpus[n_allowed++] = c;

    printf("roofline: %d thread(s), %d CPUs allowed; features:%s%s%s%s\n", nt, n_allowed,
           cpu.avx2 ? " avx2" : "", cpu.avx512f ? " avx512f" : "", cpu.avx512bw ? " avx512bw" : "",
           cpu.avx512vnni ? " avx512vnni" : "");
    if (nt > n_allowed)
        printf("  note: more threads than allowed CPUs: threads share CPUs (pinned round-robin)\n");

    meas ms = {0, 0, 0, 0, 0, "none", 0};
    if (given_peak > 0) {
        ms.peak1 = ms.peakT = given_peak, ms.bw1 = ms.bwT = given_bw, ms.best = "given";
        printf("  not measured: --peak %.3f G multiply-adds/s and --bw %.3f GB/s as given (%d threads)\n", ms.peakT,
               ms.bwT, nt);
        last_pinned = 1;
    } else {
        if (measure_all(nt, mem_mib, &ms)) return 1;
    }

    double peak1 = ms.peak1, peakT = ms.peakT, bw1 = ms.bw1, bwT = ms.bwT, wsT = ms.wsT;
    const char *best = ms.best;
    size_t wsn = ms.wsn;

    /* ---- model ---- */
    double mac_full = macs_at(M.ctx);
    printf("\nmodel: vocab %.0f, d_model %.0f, %.0f layers, %.0f heads (%.0f KV) x %.0f, FFN %.0f, context %.0f\n",
           M.vocab, M.embd, M.layers, M.heads, M.kv_heads, M.head_dim, M.ff, M.ctx);
    printf("  multiply-adds per position: blocks %.2f M + logits %.2f M + attention %.2f M (window %.0f) = %.2f M\n",
           block_macs() * 1e-6, logit_macs() * 1e-6, attn_macs(M.ctx) * 1e-6, M.ctx, mac_full * 1e-6);
    printf("  bytes per decoding step: weights %.2f MB (int8 + float scale per 32) + per active chunk: KV %.2f MB"
           " (full window) + vocabulary work %.2f MB (%.0f passes over %.0f floats, an assumption)\n",
           weight_bytes() * 1e-6, kv_bytes(M.ctx) * 1e-6, vocab_bytes() * 1e-6, M.vocab_passes, M.vocab);
    double c_full = peakT * 1e9 / mac_full;
    printf("  at a full window, %d threads: compression <= %.0f tokens/s (compute); decompression of 1 chunk <= %.0f "
           "tokens/s, of 12 chunks <= %.0f tokens/s (memory)\n",
           nt, c_full, bwT * 1e9 / (weight_bytes() + kv_bytes(M.ctx) + vocab_bytes()),
           12 * bwT * 1e9 / (weight_bytes() + 12 * (kv_bytes(M.ctx) + vocab_bytes())));

    /* ---- files ---- */
    if (n_files) {
        printf("\nbounds per file (%d threads: %.1f GMAC/s, %.1f GB/s; windows grow from 1 to %.0f; 1 KB = 1000 B)\n",
               nt, peakT, bwT, M.ctx);
        printf("  %-16s %9s %7s %6s %5s | %-34s | %-34s\n", "file", "bytes", "tokens", "B/tok", "chunks",
               "compression bound", "decompression bound");
        for (int f = 0; f < n_files; f++) {
            const scen *sc = &files[f];
            bounds b = eval(sc, peakT, bwT);
            char cb[64], db[64];
            snprintf(cb, sizeof cb, "%7.0f tok/s %7.1f KB/s (%s)", (double)sc->tokens / b.c_s,
                     sc->bytes / b.c_s * 1e-3, b.c_comp_s >= b.c_mem_s ? "compute" : "memory");
            snprintf(db, sizeof db, "%7.0f tok/s %7.1f KB/s (%s)", (double)sc->tokens / b.d_s,
                     sc->bytes / b.d_s * 1e-3, b.d_mem_s >= b.d_comp_s ? "memory" : "compute");
            printf("  %-16s %9.0f %7llu %6.3f %5d | %-34s | %-34s\n", sc->name, sc->bytes,
                   (unsigned long long)sc->tokens, sc->bytes / (double)sc->tokens, sc->nch, cb, db);
            if (kv_out)
                printf("kv file %s bytes %.0f tokens %llu chunks %d c_bound_s %.6f c_compute_s %.6f c_memory_s %.6f"
                       " d_bound_s %.6f d_compute_s %.6f d_memory_s %.6f\n",
                       sc->name, sc->bytes, (unsigned long long)sc->tokens, sc->nch, b.c_s, b.c_comp_s, b.c_mem_s,
                       b.d_s, b.d_comp_s, b.d_mem_s);
        }
    }
    if (kv_out) {
        printf("kv threads %d\nkv peak_path %s\nkv peak1_gmacs %.3f\nkv peakT_gmacs %.3f\n", nt, best, peak1, peakT);
        printf("kv bw1_gbs %.3f\nkv bwT_gbs %.3f\nkv ws_mib %.1f\nkv wsT_gbs %.3f\n", bw1, bwT,
               (double)wsn / 1048576.0, wsT);
        printf("kv macs_per_token_full %.0f\nkv weight_bytes %.0f\nkv kv_bytes_full %.0f\nkv vocab_bytes %.0f\n",
               mac_full, weight_bytes(), kv_bytes(M.ctx), vocab_bytes());
        printf("kv pinned %d\n", last_pinned);
    }
    return 0;
}
