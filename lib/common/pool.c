/*
 * lib/common/pool.c — a fixed pool of worker threads running parallel-for
 * loops. Work items are handed out through an atomic counter; the caller's
 * thread takes part. Each item writes only its own memory, so results never
 * depend on which thread ran it or on the number of threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/common.h"

struct lmz_pool {
    int n;               /* total threads including the caller */
    pthread_t *th;       /* [n-1] */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    /* current job */
    lmz_task_fn fn;
    void *arg;
    int items;
    atomic_int next;
    int busy;            /* workers still inside the current job */
    unsigned gen;        /* incremented for every job */
    int quit;
};

static void run_items(lmz_pool *p) {
    for (;;) {
        int i = atomic_fetch_add(&p->next, 1);
        if (i >= p->items) break;
        p->fn(p->arg, i);
    }
}

static void *worker(void *vp) {
    lmz_pool *p = vp;
    unsigned seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        run_items(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

lmz_pool *lmz_pool_create(int nthreads) {
    lmz_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 256) nthreads = 256;
    p->n = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (nthreads > 1) {
        p->th = calloc((size_t)nthreads - 1, sizeof *p->th);
        if (!p->th) { lmz_pool_free(p); return NULL; }
        for (int i = 0; i < nthreads - 1; i++) {
            if (pthread_create(&p->th[i], NULL, worker, p) != 0) {
                p->n = i + 1; /* run with the threads we have */
                break;
            }
        }
    }
    return p;
}

void lmz_pool_free(lmz_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    if (p->th)
        for (int i = 0; i < p->n - 1; i++) pthread_join(p->th[i], NULL);
    free(p->th);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p);
}

int lmz_pool_size(const lmz_pool *p) { return p ? p->n : 1; }

void lmz_pool_for(lmz_pool *p, int n, lmz_task_fn fn, void *arg) {
    if (n <= 0) return;
    if (!p || p->n == 1 || n == 1) {
        for (int i = 0; i < n; i++) fn(arg, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->items = n;
    atomic_store(&p->next, 0);
    p->busy = p->n - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    run_items(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

int lmz_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
