/*
 * lib/common/pool.c — a fixed pool of worker threads running parallel-for
 * loops. Work items are handed out through an atomic counter; the caller's
 * thread takes part. Each item writes only its own memory, so results never
 * depend on which thread ran it or on the number of threads.
 *
 * A team (lmz_pool_team) runs one function on every thread at once, the
 * threads meeting at barriers (lmz_pool_sync): the model's forward pass is
 * one team whose phases are the loops that were separate jobs.
 *
 * Waiting (a worker for the next job, the caller for the workers, a team
 * member at a barrier) first spins for up to POOL_SPIN_NS, then sleeps on a
 * condition variable. Decoding runs ~80 short loops per token (tens to
 * hundreds of microseconds each) and a sleeping thread takes tens of
 * microseconds to wake: without the spin -T2 was barely faster than -T1 there (a 6 KB file
 * decoded in 12.6 s at -T2, 12.9 s at -T1; 7.8 s with the spin). The pool
 * spins only when every thread has a CPU of its own: with more threads than
 * CPUs a spinning thread takes the CPU from one that has work (-T4 on 2 CPUs
 * ran 10x slower), so there it sleeps at once. Other processes may still
 * want these CPUs (two lmz -T2 on 2 CPUs, parallel make): every 8th turn of
 * a spin is a sched_yield(), which hands the CPU to a waiting thread and
 * costs little when none waits (two such decodes side by side: 14.0 s each
 * sleeping at once, 51 s spinning with pause alone, 12.8 s with the yields).
 * With more runnable threads on the machine than CPUs (Linux: the running
 * count of /proc/loadavg, read at most every POOL_LOAD_NS by the caller)
 * the pool does not spin either: there a spin only takes CPU time from
 * other work (the test suite, 3 model processes on 2 CPUs, ran some tests 2x
 * slower).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

#define POOL_SPIN_NS 200000u
#define POOL_LOAD_NS 20000000u

struct lmz_pool {
    int n;               /* total threads including the caller */
    int cpus;            /* CPUs this process may use */
    atomic_int spin;     /* spin before sleeping: n <= cpus, machine not overloaded */
    uint64_t load_at;    /* caller: when spin was last decided (ns) */
    pthread_t *th;       /* [n-1] */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    /* current job: written by the caller before gen is incremented */
    lmz_task_fn fn;
    void *arg;
    int items;
    int once;            /* a team: each thread runs at most one item */
    atomic_int next;
    atomic_int busy;     /* workers still inside the current job */
    atomic_uint gen;     /* incremented (release) for every job */
    atomic_int quit;
    /* lmz_pool_sync: arrivals, and a generation the last arrival bumps */
    atomic_uint bar_count, bar_gen;
    pthread_cond_t bar;
};

/* ------------------------------------------------------------------------ */
/* Spinning                                                                 */
/* ------------------------------------------------------------------------ */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* One turn of a spin loop (a pause, or every 8th turn a yield): 0 when the
 * caller should stop spinning (the pool does not spin, or POOL_SPIN_NS have
 * passed since turn 0). */
static int spin_turn(lmz_pool *p, unsigned turn, uint64_t *t0) {
    if (!atomic_load_explicit(&p->spin, memory_order_relaxed)) return 0;
    if ((turn & 255) == 0) {
        uint64_t t = now_ns();
        if (turn == 0) *t0 = t;
        else if (t - *t0 > POOL_SPIN_NS) return 0;
    }
    if ((turn & 7) == 7) sched_yield(); /* a thread of another process waiting for this CPU runs */
    else cpu_relax();
    return 1;
}

static int job_is(lmz_pool *p, unsigned seen) {
    return atomic_load(&p->quit) || atomic_load_explicit(&p->gen, memory_order_acquire) != seen;
}

/* Whether the threads running on the machine (Linux: the 4th field of
 * /proc/loadavg, "running/total") fit its CPUs; 1 where that is unknown. */
static int machine_has_room(int cpus) {
    char buf[128];
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0) return 1;
    buf[k] = 0;
    const char *q = buf;
    for (int f = 0; f < 3 && *q; f++) { /* skip the three load averages */
        while (*q && *q != ' ') q++;
        while (*q == ' ') q++;
    }
    long running = 0;
    if (*q < '0' || *q > '9') return 1;
    while (*q >= '0' && *q <= '9' && running < 1000000) running = running * 10 + (*q++ - '0');
    return running <= cpus;
}

/* Caller: decide again, now and then, whether waits spin. */
static void update_spin(lmz_pool *p) {
    if (p->n > p->cpus) return; /* never spins (spin stays 0) */
    uint64_t t = now_ns();
    if (p->load_at && t - p->load_at < POOL_LOAD_NS) return;
    p->load_at = t;
    atomic_store_explicit(&p->spin, machine_has_room(p->cpus), memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                  */
/* ------------------------------------------------------------------------ */

static void run_items(lmz_pool *p) {
    for (;;) {
        int i = atomic_fetch_add(&p->next, 1);
        if (i >= p->items) break;
        p->fn(p->arg, i);
        if (p->once) break;
    }
}

static void *worker(void *vp) {
    lmz_pool *p = vp;
    unsigned seen = 0;
    for (;;) {
        /* the next job: spin, then sleep; gen is re-read under mu, which the
         * caller holds when it broadcasts, so no wake-up is lost */
        uint64_t t0 = 0;
        for (unsigned s = 0; !job_is(p, seen) && spin_turn(p, s, &t0); s++) {}
        if (!job_is(p, seen)) {
            pthread_mutex_lock(&p->mu);
            while (!job_is(p, seen)) pthread_cond_wait(&p->go, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit)) break;
        seen = atomic_load_explicit(&p->gen, memory_order_acquire);
        run_items(p);
        if (atomic_fetch_sub(&p->busy, 1) == 1) { /* the last one out wakes the caller */
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Pool                                                                     */
/* ------------------------------------------------------------------------ */

lmz_pool *lmz_pool_create(int nthreads) {
    lmz_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 256) nthreads = 256;
    p->n = nthreads;
    p->cpus = lmz_cpu_count();
    atomic_store(&p->spin, 0); /* decided by update_spin() at each job */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_cond_init(&p->bar, NULL);
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
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    if (p->th)
        for (int i = 0; i < p->n - 1; i++) pthread_join(p->th[i], NULL);
    free(p->th);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->bar);
    free(p);
}

int lmz_pool_size(const lmz_pool *p) { return p ? p->n : 1; }

/* Hands n items to the workers and takes part; returns when all are done. */
static void dispatch(lmz_pool *p, int n, lmz_task_fn fn, void *arg, int once) {
    update_spin(p);
    /* the previous job is over (busy == 0): no worker reads these now */
    p->fn = fn;
    p->arg = arg;
    p->items = n;
    p->once = once;
    atomic_store(&p->next, 0);
    atomic_store(&p->busy, p->n - 1);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_mutex_lock(&p->mu); /* wakes sleepers; cheap when none sleeps */
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    run_items(p);
    uint64_t t0 = 0;
    for (unsigned s = 0; atomic_load(&p->busy) > 0 && spin_turn(p, s, &t0); s++) {}
    if (atomic_load(&p->busy) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->busy) > 0) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

void lmz_pool_for(lmz_pool *p, int n, lmz_task_fn fn, void *arg) {
    if (n <= 0) return;
    if (!p || p->n == 1 || n == 1) {
        for (int i = 0; i < n; i++) fn(arg, i);
        return;
    }
    dispatch(p, n, fn, arg, 0);
}

/* n items, each thread taking at most one: every thread takes exactly one
 * (the caller first, each worker when it sees the job), so they all run at
 * once and may wait for each other. */
void lmz_pool_team(lmz_pool *p, lmz_task_fn fn, void *arg) {
    if (!p || p->n == 1) {
        fn(arg, 0);
        return;
    }
    dispatch(p, p->n, fn, arg, 1);
}

/* A counting barrier: the last to arrive resets the count and bumps the
 * generation (under mu, so that a sleeper cannot miss it); the others spin
 * as the pool's waits do, then sleep. The counter's read-modify-writes
 * chain every thread's earlier writes to the last arrival, whose release of
 * the generation hands them to all. */
void lmz_pool_sync(lmz_pool *p) {
    if (!p || p->n == 1) return;
    const unsigned g = atomic_load_explicit(&p->bar_gen, memory_order_acquire);
    if (atomic_fetch_add(&p->bar_count, 1) == (unsigned)p->n - 1) {
        atomic_store(&p->bar_count, 0);
        pthread_mutex_lock(&p->mu);
        atomic_fetch_add_explicit(&p->bar_gen, 1, memory_order_release);
        pthread_cond_broadcast(&p->bar);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    uint64_t t0 = 0;
    for (unsigned s = 0; atomic_load_explicit(&p->bar_gen, memory_order_acquire) == g && spin_turn(p, s, &t0); s++) {
    }
    if (atomic_load_explicit(&p->bar_gen, memory_order_acquire) == g) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load_explicit(&p->bar_gen, memory_order_acquire) == g) pthread_cond_wait(&p->bar, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

/* The CPUs this process may run on (taskset, cgroups' cpusets), else the
 * online ones. */
int lmz_cpu_count(void) {
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
