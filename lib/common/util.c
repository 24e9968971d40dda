/*
 * lib/common/util.c — half floats, aligned allocation, xxhash wrappers.
 */
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <xxhash.h>

#include "common/common.h"

float lmz_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, man = h & 1023, u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 1024));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 1023) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Buffers of at least HUGE_MIN bytes (the model's weights, KV caches) are
 * aligned to 2 MiB and, on Linux, marked for transparent huge pages: every
 * forward pass reads all 76 MB of weights and each chunk's 12 MB cache, and
 * with 4 KiB pages the TLB misses on that stream cost more than the reads'
 * arithmetic. Only a hint: where the kernel says no, nothing changes. */
#define HUGE_MIN ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

void *lmz_amalloc(size_t n) {
    void *p = NULL;
    if (n == 0) n = 64;
    size_t r = (n + 63) & ~(size_t)63;
    if (r < n) return NULL;
    if (r >= HUGE_MIN) {
        if (posix_memalign(&p, HUGE_ALIGN, r) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, r, MADV_HUGEPAGE);
#endif
        return p;
    }
    if (posix_memalign(&p, 64, r) != 0) return NULL;
    return p;
}
void lmz_afree(void *p) { free(p); }

uint64_t lmz_xxh64(const void *data, size_t n) { return XXH64(data, n, 0); }

struct lmz_xxh64_state {
    XXH64_state_t *s;
};
lmz_xxh64_state *lmz_xxh64_create(void) {
    lmz_xxh64_state *s = malloc(sizeof *s);
    if (!s) return NULL;
    s->s = XXH64_createState();
    if (!s->s) { free(s); return NULL; }
    XXH64_reset(s->s, 0);
    return s;
}
void lmz_xxh64_free(lmz_xxh64_state *s) {
    if (!s) return;
    XXH64_freeState(s->s);
    free(s);
}
void lmz_xxh64_update(lmz_xxh64_state *s, const void *data, size_t n) { XXH64_update(s->s, data, n); }
uint64_t lmz_xxh64_digest(const lmz_xxh64_state *s) { return XXH64_digest(s->s); }
