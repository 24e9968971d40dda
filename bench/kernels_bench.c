/*
 * bench/kernels_bench.c — throughput of the int8 matrix kernels per path.
 * Prints G multiply-adds per second for a [1536 x 512] weight matrix times
 * batches of activation vectors (compression) and single vectors (decoding).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
    enum { R = 1536, C = 512, NB = 64 };
    int8_t *w = malloc((size_t)R * C), *x = malloc((size_t)NB * C);
    float *wd = malloc(R * C / 32 * 4), *wd8 = malloc(R * C / 32 * 4), *xd = malloc(NB * C / 32 * 4),
          *out = malloc((size_t)NB * R * 4);
    for (int i = 0; i < R * C; i++) w[i] = (int8_t)(rand() % 255 - 127);
    for (int i = 0; i < NB * C; i++) x[i] = (int8_t)(rand() % 255 - 127);
    for (int i = 0; i < R * C / 32; i++) wd[i] = wd8[i] = 0.001f;
    for (int i = 0; i < NB * C / 32; i++) xd[i] = 0.01f;
    q8_matrix W = {w, wd, R, C, wd8};
    const char *paths[] = {"scalar", "avx2", "avx512"};
    for (int p = 0; p < 3; p++) {
        const lmz_kernels *k = lmz_kernels_by_name(paths[p]);
        if (!k) continue;
        int reps = p == 0 ? 2 : 20;
        double t0 = now();
        for (int r = 0; r < reps; r++) k->matmul_q8(&W, 0, R, x, xd, NB, out, R);
        double t1 = now();
        for (int r = 0; r < reps * 8; r++) k->matvec_q8(&W, 0, R, x, xd, out);
        double t2 = now();
        double macs = (double)R * C;
        printf("%-7s batch %6.2f GMAC/s   single %6.2f GMAC/s\n", k->name, macs * NB * reps / (t1 - t0) / 1e9,
               macs * reps * 8 / (t2 - t1) / 1e9);
    }
    return 0;
}
