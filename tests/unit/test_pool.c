/*
 * tests/unit/test_pool.c — the worker pool (lib/common/pool.c).
 *
 * lmz_pool_for(p, n, fn, arg) must run each of the n items exactly once and
 * return only after all of them ran, whatever the thread count, whether the
 * workers spin (threads <= CPUs) or sleep (more threads than CPUs), and
 * whether a job follows the last at once or after a pause longer than the
 * spin (the sleep / wake-up path). lmz_pool_team must run its function
 * once on every thread at the same time, and lmz_pool_sync must hold each
 * thread until all arrived, with the others' writes visible after it. Runs
 * under ASan/UBSan too.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "common/common.h"

enum { MAX_ITEMS = 97 };

typedef struct {
    int runs[MAX_ITEMS];      /* each item writes only its own slot */
    uint32_t work[MAX_ITEMS]; /* busy-loop length per item */
    uint64_t sink[MAX_ITEMS];
} job;

static void item(void *arg, int i) {
    job *j = arg;
    uint64_t x = (uint64_t)i;
    for (uint32_t k = 0; k < j->work[i]; k++) x = x * 6364136223846793005ull + 1442695040888963407ull;
    j->sink[i] = x;
    j->runs[i]++;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void pause_us(long us) {
    struct timespec t = {0, us * 1000};
    nanosleep(&t, NULL);
}

/* jobs jobs of 1..MAX_ITEMS items on a pool of threads; every pause_every-th
 * job waits pause_us first. Returns the number of bad jobs. */
static int run_jobs(int threads, int jobs, int pause_every, long pause) {
    lmz_pool *p = lmz_pool_create(threads);
    if (!p) return jobs;
    int bad = 0;
    static job j;
    for (int t = 0; t < jobs; t++) {
        int n = 1 + (int)(rng() % MAX_ITEMS);
        memset(j.runs, 0, sizeof j.runs);
        for (int i = 0; i < n; i++) j.work[i] = rng() % 2000;
        if (pause_every && t % pause_every == 0) pause_us(pause);
        lmz_pool_for(p, n, item, &j);
        int ok = 1;
        for (int i = 0; i < MAX_ITEMS; i++) ok &= j.runs[i] == (i < n);
        bad += !ok;
    }
    lmz_pool_free(p);
    return bad;
}

/* A team of T threads through many phases: in phase k every member writes
 * its slot of row k % 4 (after a random busy loop), meets the others, then
 * checks that every slot of that row holds phase k's value: a member that
 * left the barrier early, or a write not yet visible, breaks it. */
enum { TEAM_MAX = 64, PHASES = 500 };
typedef struct {
    lmz_pool *p;
    int n;
    _Atomic uint32_t slot[4][TEAM_MAX];
    atomic_int members, seen[TEAM_MAX], bad;
} team_job;

static void team_fn(void *arg, int t) {
    team_job *j = arg;
    atomic_fetch_add(&j->members, 1);
    atomic_fetch_add(&j->seen[t], 1);
    uint64_t x = (uint64_t)t;
    for (uint32_t k = 0; k < PHASES; k++) {
        for (uint32_t i = 0; i < (uint32_t)(x % 300); i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
        atomic_store_explicit(&j->slot[k % 4][t], k + 1, memory_order_relaxed);
        lmz_pool_sync(j->p);
        for (int u = 0; u < j->n; u++)
            if (atomic_load_explicit(&j->slot[k % 4][u], memory_order_relaxed) != k + 1) atomic_fetch_add(&j->bad, 1);
        lmz_pool_sync(j->p); /* nobody writes row k % 4 again before all read it */
    }
}

static int run_team(int threads, int pause) {
    lmz_pool *p = lmz_pool_create(threads);
    if (!p) return 1;
    static team_job j;
    memset(&j, 0, sizeof j);
    j.p = p;
    j.n = lmz_pool_size(p);
    if (pause) pause_us(400); /* the workers asleep when the team starts */
    lmz_pool_team(p, team_fn, &j);
    int bad = atomic_load(&j.bad) + (atomic_load(&j.members) != j.n);
    for (int t = 0; t < j.n; t++) bad += atomic_load(&j.seen[t]) != 1;
    lmz_pool_free(p);
    return bad;
}

int main(void) {
    const int cpus = lmz_cpu_count();
    CHECK(cpus >= 1, "lmz_cpu_count %d", cpus);
    CHECK(lmz_pool_size(NULL) == 1, "size of NULL pool");
    lmz_pool_free(NULL);
    lmz_pool *one = lmz_pool_create(0);
    CHECK(one && lmz_pool_size(one) == 1, "create(0) gives one thread");
    lmz_pool_free(one);

    /* a NULL pool runs the items on the caller */
    static job j0;
    lmz_pool_for(NULL, 5, item, &j0);
    CHECK(j0.runs[0] == 1 && j0.runs[4] == 1 && j0.runs[5] == 0, "NULL pool runs every item once");
    lmz_pool_for(NULL, 0, item, &j0);
    CHECK(j0.runs[0] == 1, "n = 0 runs nothing");

    /* threads: 2 and the CPU count spin (when there are that many CPUs);
     * 2 * CPUs + 1 and 16 have more threads than CPUs and sleep */
    const int counts[] = {1, 2, 3, cpus, 2 * cpus + 1, 16};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        int th = counts[c];
        lmz_pool *p = lmz_pool_create(th);
        CHECK(p && lmz_pool_size(p) == th, "pool of %d has %d threads", th, p ? lmz_pool_size(p) : 0);
        lmz_pool_free(p);
        /* back to back: the workers are still spinning when the next job comes */
        int bad = run_jobs(th, 3000, 0, 0);
        CHECK(bad == 0, "%d threads, back-to-back jobs: %d jobs ran an item not exactly once", th, bad);
        /* pauses longer than the spin: workers asleep when the job comes */
        bad = run_jobs(th, 200, 1, 400);
        CHECK(bad == 0, "%d threads, jobs after 400 us pauses: %d bad", th, bad);
        /* a mix: now and then a pause near the spin's length */
        bad = run_jobs(th, 1500, 7, 150);
        CHECK(bad == 0, "%d threads, mixed pauses: %d bad", th, bad);
    }
    /* teams: NULL (the caller alone), spinning and sleeping thread counts */
    static team_job j1;
    j1.n = 1;
    lmz_pool_team(NULL, team_fn, &j1);
    CHECK(atomic_load(&j1.bad) == 0 && atomic_load(&j1.members) == 1, "NULL pool: a team of one");
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (int pause = 0; pause < 2; pause++) {
            int bad = run_team(counts[c], pause);
            CHECK(bad == 0, "team of %d threads (%s): %d errors", counts[c], pause ? "after a pause" : "at once", bad);
        }
    return check_done("test_pool");
}
