/*
 * bench/kernels_bench.c — throughput of the int8 matrix kernels per path, on
 * one core. Prints G multiply-adds per second for a [1536 x 512] weight
 * matrix (with regrouped scales, as the model has; 768 KiB, it stays in
 * cache) times batches of 64 activation vectors (compression), 8 vectors
 * (decoding several chunks) and single vectors (decoding one chunk), for
 * every kernel path this CPU runs (scalar, avx2, avx512); the others are
 * listed as skipped. Then the same for a [65536 x 512] matrix (32 MiB, more
 * than a last-level cache, as the model's 38 MB of weights are for each
 * decoded token): there single vectors and small batches wait on memory.
 * Each path's outputs are also compared with the scalar reference.
 *
 *   kernels_bench [PATH...]     (default: all paths)
 *   KB_MIN_TIME=seconds         time per measurement (default 0.3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { C = 512, NB = 64 };

/* G multiply-adds per second of nb-vector products, repeated for at least
 * min_t seconds (nb == 0: matvec). */
static double gmacs(const lmz_kernels *k, const q8_matrix *W, const int8_t *x, const float *xd, uint32_t nb,
                    float *out, double min_t) {
    double t0 = now(), t;
    long reps = 0;
    do {
        if (nb)
            k->matmul_q8(W, 0, W->rows, x, xd, nb, out, W->rows);
        else
            k->matmul_q8(W, 0, W->rows, x, xd, 1, out, W->rows);
        reps++;
    } while ((t = now() - t0) < min_t);
    return (double)W->rows * C * (nb ? nb : 1) * (double)reps / t / 1e9;
}

/* A random [rows x C] matrix with its regrouped scales; 0 if out of memory. */
static int make_matrix(q8_matrix *W, uint32_t rows) {
    int8_t *w = malloc((size_t)rows * C);
    float *wd = malloc((size_t)rows * C / 32 * sizeof(float)), *wd8 = malloc((size_t)rows * C / 32 * sizeof(float));
    if (!w || !wd || !wd8) {
        free(w);
        free(wd);
        free(wd8);
        return 0;
    }
    for (size_t i = 0; i < (size_t)rows * C; i++) w[i] = (int8_t)(rand() % 255 - 127);
    for (size_t i = 0; i < (size_t)rows * C / 32; i++) wd[i] = 0.001f * (float)(1 + rand() % 100);
    for (uint32_t r = 0; r < rows; r++) /* the model's regrouped layout: [rows/8][blocks][8] */
        for (uint32_t b = 0; b < C / 32; b++)
            wd8[((size_t)(r / 8) * (C / 32) + b) * 8 + r % 8] = wd[(size_t)r * (C / 32) + b];
    /* and the pre-transposed tiles the model builds for paths that use them */
    uint8_t *qt = aligned_alloc(64, (q8_tiles_bytes(rows, C) + 63) / 64 * 64);
    if (!qt) {
        free(w);
        free(wd);
        free(wd8);
        return 0;
    }
    q8_tiles_fill(w, rows, C, qt);
    *W = (q8_matrix){w, wd, rows, C, wd8, qt};
    return 1;
}

static void free_matrix(q8_matrix *W) {
    free((void *)W->q);
    free((void *)W->d);
    free((void *)W->d8);
    free((void *)W->qt);
}

int main(int argc, char **argv) {
    const char *mt = getenv("KB_MIN_TIME");
    const double min_t = mt && atof(mt) > 0 ? atof(mt) : 0.3;
    static const uint32_t sizes[] = {1536, 65536};
    static const char *all[] = {"scalar", "avx2", "avx512"};
    const char **paths = argc > 1 ? (const char **)argv + 1 : all;
    const int npaths = argc > 1 ? argc - 1 : 3;
    int8_t *x = malloc((size_t)NB * C);
    float *xd = malloc(NB * C / 32 * sizeof(float)), *ref = malloc((size_t)NB * 65536 * sizeof(float)),
          *out = malloc((size_t)NB * 65536 * sizeof(float));
    if (!x || !xd || !ref || !out) return 1;
    srand(1);
    for (int i = 0; i < NB * C; i++) x[i] = (int8_t)(rand() % 255 - 127);
    for (int i = 0; i < NB * C / 32; i++) xd[i] = 0.01f * (float)(1 + rand() % 100);
    for (int m = 0; m < 2; m++) {
        const uint32_t R = sizes[m];
        q8_matrix W;
        if (!make_matrix(&W, R)) return 1;
        lmz_kernels_by_name("scalar")->matmul_q8(&W, 0, R, x, xd, NB, ref, R);
        printf("int8 kernels, [%u x %d] matrix (%s), one core, G multiply-adds/s (%.2f s per figure)\n", R, C,
               m ? "32 MiB, from memory" : "768 KiB, in cache", min_t);
        for (int p = 0; p < npaths; p++) {
            const lmz_kernels *k = lmz_kernels_by_name(paths[p]);
            if (!k) {
                printf("%-7s SKIPPED (not available on this CPU or not compiled in)\n", paths[p]);
                continue;
            }
            memset(out, 0, (size_t)NB * R * sizeof(float));
            k->matmul_q8(&W, 0, R, x, xd, NB, out, R);
            int same = !memcmp(out, ref, (size_t)NB * R * sizeof(float));
            double b64 = gmacs(k, &W, x, xd, NB, out, min_t);
            double b8 = gmacs(k, &W, x, xd, 8, out, min_t);
            double b3 = gmacs(k, &W, x, xd, 3, out, min_t);
            double b1 = gmacs(k, &W, x, xd, 0, out, min_t);
            printf("%-7s batch64 %7.2f   batch8 %7.2f   batch3 %7.2f   single %7.2f   %s\n", k->name, b64, b8, b3,
                   b1, same ? "(identical to scalar)" : "(DIFFERS FROM SCALAR)");
            if (!same) return 1;
        }
        free_matrix(&W);
    }
    free(x);
    free(xd);
    free(ref);
    free(out);
    return 0;
}
