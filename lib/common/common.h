/*
 * lib/common/common.h — errors, allocation, endian helpers, checksums, threads.
 *
 * The bottom layer: knows nothing about models, coding or the file format.
 * Every function reports failure through a return value; nothing here calls
 * exit() or abort().
 */
#ifndef LMZ_COMMON_H
#define LMZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lmz.h" /* error codes are public */

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Two conventions, one place that converts between them:
 *   size_t functions (the public API, like zstd): a size, or LMZ_ERR(code);
 *   int functions (internal): 0, or LMZ_IERR(code), which is -code.
 * Code never flips signs by hand: it uses these macros and those below. */
#define LMZ_ERR(code) ((size_t) - (size_t)(code))
#define LMZ_IERR(code)       (-(int)(code))
#define LMZ_ICODE(rc)        ((int)-(rc))           /* int error -> its lmz_error_code */
#define LMZ_ERR_FROM_INT(rc) LMZ_ERR(LMZ_ICODE(rc)) /* int error -> size_t error */
static inline int lmz_err_code(size_t r) { return lmz_is_error(r) ? (int)(0 - r) : 0; }

/* A human-readable detail for the last error of a context (what was wrong,
 * where). Fixed size so that it can live inside any struct. */
#define LMZ_MSG_MAX 256
typedef struct {
    char text[LMZ_MSG_MAX];
} lmz_msg;
/* printf-style; always NUL-terminates; returns -code so callers can write
 * `return lmz_fail(msg, LMZ_error_corrupt, "bad %s", what);` */
int lmz_fail(lmz_msg *msg, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Returning errors (zstd's RETURN_ERROR_IF / FORWARD_IF_ERROR), with a
 * printf-style message written to msg (may be NULL). In int functions: */
#define RETURN_ERROR(code, msg, ...) return lmz_fail((msg), (code), __VA_ARGS__)
#define RETURN_ERROR_IF(cond, code, msg, ...)           \
    do {                                                \
        if (cond) RETURN_ERROR(code, msg, __VA_ARGS__); \
    } while (0)
#define FORWARD_IF_ERROR(expr)       \
    do {                             \
        int lmz_rc_ = (expr);        \
        if (lmz_rc_) return lmz_rc_; \
    } while (0)
/* ... and in size_t functions: */
#define RETURN_ERROR_SIZE(code, msg, ...) return LMZ_ERR_FROM_INT(lmz_fail((msg), (code), __VA_ARGS__))
#define RETURN_ERROR_SIZE_IF(cond, code, msg, ...)           \
    do {                                                     \
        if (cond) RETURN_ERROR_SIZE(code, msg, __VA_ARGS__); \
    } while (0)
#define FORWARD_IF_ERROR_SIZE(expr)              \
    do {                                         \
        size_t lmz_r_ = (expr);                  \
        if (lmz_is_error(lmz_r_)) return lmz_r_; \
    } while (0)

/* A stream context's sticky error and the message that explains it. */
typedef struct {
    lmz_msg msg;
    size_t error; /* 0, or the LMZ_ERR code every later call returns */
} lmz_status;
static inline size_t lmz_status_set(lmz_status *st, int code) {
    st->error = LMZ_ERR(code);
    return st->error;
}
/* The same from an int error (LMZ_IERR(code)). */
static inline size_t lmz_status_set_int(lmz_status *st, int rc) { return lmz_status_set(st, LMZ_ICODE(rc)); }
static inline const char *lmz_status_text(const lmz_status *st) {
    if (st->msg.text[0]) return st->msg.text;
    return st->error ? lmz_error_name(st->error) : "";
}

/* Copies what is left of buf[*pos, len) into out (as much as fits); returns
 * the number of bytes still pending. */
static inline size_t lmz_drain(const uint8_t *buf, size_t len, size_t *pos, lmz_out_buffer *out) {
    size_t k = len - *pos, room = out->size - out->pos;
    if (k > room) k = room;
    if (k) memcpy((uint8_t *)out->dst + out->pos, buf + *pos, k);
    out->pos += k;
    *pos += k;
    return len - *pos;
}

/* ------------------------------------------------------------------------ */
/* Overflow-checked arithmetic                                              */
/* ------------------------------------------------------------------------ */

/* Return 0 on success, -1 on overflow. */
static inline int lmz_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}
static inline int lmz_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return -1;
    *out = a + b;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Little-endian loads and stores (unaligned-safe)                          */
/* ------------------------------------------------------------------------ */

static inline uint16_t lmz_rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t lmz_rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t lmz_rd64(const uint8_t *p) { return (uint64_t)lmz_rd32(p) | ((uint64_t)lmz_rd32(p + 4) << 32); }
static inline void lmz_wr16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void lmz_wr32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void lmz_wr64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline float lmz_rdf32(const uint8_t *p) {
    uint32_t u = lmz_rd32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Varints (doc/format.md §2.2, §3.1): LEB128 (7 bits per byte, low groups
 * first, the high bit on every byte but the last), at most 5 bytes, values
 * below 2^32. */
static inline size_t lmz_varint_len(uint32_t v) {
    size_t k = 1;
    while (v >= 0x80) v >>= 7, k++;
    return k;
}
/* Writes v at p; returns the bytes written (lmz_varint_len(v)). */
static inline size_t lmz_varint_put(uint8_t *p, uint32_t v) {
    size_t i = 0;
    while (v >= 0x80) p[i++] = (uint8_t)(v | 0x80), v >>= 7;
    p[i++] = (uint8_t)v;
    return i;
}
/* Reads one from p[0..n) into *v; returns the bytes read, or 0 when it is
 * longer than 5 bytes, is 2^32 or more, or runs past n (then *truncated, if
 * not NULL, is set to 1: more input could complete it). */
static inline size_t lmz_varint_get(const uint8_t *p, size_t n, uint32_t *v, int *truncated) {
    uint64_t x = 0;
    for (size_t i = 0; i < 5; i++) {
        if (i == n) {
            if (truncated) *truncated = 1;
            return 0;
        }
        x |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (x > 0xFFFFFFFFu) return 0;
            *v = (uint32_t)x;
            return i + 1;
        }
    }
    return 0;
}

/* IEEE half -> single, exact (every half is representable as a float). */
float lmz_f16_to_f32(uint16_t h);

/* ------------------------------------------------------------------------ */
/* UTF-8 and hex                                                            */
/* ------------------------------------------------------------------------ */

/* Length (1-4) of the UTF-8 character at p, n >= 1 bytes available, or 0 if
 * p does not start one. strict = 1: well-formed only (RFC 3629: no overlongs,
 * surrogates or code points > U+10FFFF), the tokenizer's rule. strict = 0:
 * the lead byte (C2..F4) and its continuation bytes only, the compressor's
 * binary-chunk heuristic (frozen: changing it changes compressed output). */
uint32_t lmz_utf8_len(const uint8_t *p, size_t n, int strict);
/* 1 if p[0..n) is well-formed UTF-8 (strict), else 0. */
int lmz_utf8_valid(const uint8_t *p, size_t n);

/* Lower-case hex of d[0..n) into out (2n digits and a NUL). */
void lmz_hex(const uint8_t *d, size_t n, char *out);

/* ------------------------------------------------------------------------ */
/* UTF-16 <-> UTF-8, exact both ways                                        */
/* ------------------------------------------------------------------------ */

#define LMZ_UTF16_BAD ((size_t)-1)

/* UTF-16 (be: 0 little-endian, 1 big-endian) src[0..n) -> UTF-8 in dst (cap bytes).
 * Returns the UTF-8 length, or LMZ_UTF16_BAD when n is odd, src holds an unpaired
 * surrogate, or dst is too small. A BOM is an ordinary character (U+FEFF -> EF BB BF).
 * Whatever it accepts, lmz_utf8_to_utf16 turns back into exactly src. */
size_t lmz_utf16_to_utf8(const uint8_t *src, size_t n, int be, uint8_t *dst, size_t cap);
/* Strict UTF-8 (lmz_utf8_len(...,1): no overlong forms, no surrogates, <= U+10FFFF) src[0..n)
 * -> UTF-16 in dst (cap bytes). Returns the UTF-16 byte length or LMZ_UTF16_BAD. */
size_t lmz_utf8_to_utf16(const uint8_t *src, size_t n, int be, uint8_t *dst, size_t cap);
/* UTF-16 bytes that strict UTF-8 src[0..n) becomes (2 per 1-3 byte sequence, 4 per 4-byte one),
 * LMZ_UTF16_BAD if invalid. */
size_t lmz_utf8_utf16_size(const uint8_t *src, size_t n);
/* Does p[0..n) look like UTF-16 text? 0: no, 1: little-endian, 2: big-endian.
 * A BOM (FF FE / FE FF) at p[0] decides the byte order; without one, the order whose
 * high bytes are zero in at least 3/4 of the code units (and whose low bytes are not:
 * zero in under 3/4 of them) among the first min(n/2, 32768) units. n must be even and
 * >= 4; decides only the byte order and plausibility, the caller still converts and checks. */
int lmz_utf16_detect(const uint8_t *p, size_t n);

/* ------------------------------------------------------------------------ */
/* Checksums                                                                */
/* ------------------------------------------------------------------------ */

/* SHA-256 (FIPS 180-4), incremental. */
typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t nbuf;
} lmz_sha256;
void lmz_sha256_init(lmz_sha256 *s);
void lmz_sha256_update(lmz_sha256 *s, const void *data, size_t n);
void lmz_sha256_final(lmz_sha256 *s, uint8_t out[32]);

/* XXH64 from libxxhash (seed 0). */
uint64_t lmz_xxh64(const void *data, size_t n);
typedef struct lmz_xxh64_state lmz_xxh64_state;
lmz_xxh64_state *lmz_xxh64_create(void);
void lmz_xxh64_free(lmz_xxh64_state *s);
void lmz_xxh64_update(lmz_xxh64_state *s, const void *data, size_t n);
uint64_t lmz_xxh64_digest(const lmz_xxh64_state *s);

/* ------------------------------------------------------------------------ */
/* Threads: a fixed pool running parallel-for loops                         */
/* ------------------------------------------------------------------------ */

/* fn(arg, i) is called once for every i in [0, n). Which worker runs which i
 * is unspecified, so fn must write only to memory owned by index i: then the
 * result never depends on the thread count. */
typedef void (*lmz_task_fn)(void *arg, int i);
typedef struct lmz_pool lmz_pool;
/* nthreads <= 1 gives a pool that runs everything on the caller's thread. */
lmz_pool *lmz_pool_create(int nthreads);
void lmz_pool_free(lmz_pool *p); /* accepts NULL */
int lmz_pool_size(const lmz_pool *p);  /* NULL -> 1 */
void lmz_pool_for(lmz_pool *p, int n, lmz_task_fn fn, void *arg); /* p may be NULL */
/* A team: fn(arg, t) runs once on each of the pool's threads at the same
 * time, t = 0 .. lmz_pool_size(p) - 1 (the caller is one of them), and the
 * threads meet inside with lmz_pool_sync. Many short parallel loops in a
 * row (a forward pass of the model) cost one dispatch instead of one each.
 * p may be NULL: fn(arg, 0) on the caller. */
void lmz_pool_team(lmz_pool *p, lmz_task_fn fn, void *arg);
/* Inside a team's fn: returns once every thread of the team has called it
 * as many times; what each wrote before it is then visible to all. Returns
 * at once for a NULL pool or a pool of one thread. */
void lmz_pool_sync(lmz_pool *p);
int lmz_cpu_count(void);

/* Allocation aligned to 64 bytes; free with lmz_afree (accepts NULL). */
void *lmz_amalloc(size_t n);
void lmz_afree(void *p);

#endif /* LMZ_COMMON_H */
