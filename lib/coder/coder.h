/*
 * lib/coder/coder.h — logits -> integer frequencies -> range coder.
 *
 * Knows nothing about tokens' meaning. Everything that decides a frequency is
 * integer-exact or an IEEE binary32 basic operation in a fixed order, so the
 * encoder and the decoder build the same table bit for bit on any machine.
 */
#ifndef LMZ_CODER_H
#define LMZ_CODER_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ------------------------------------------------------------------------ */
/* Frequency tables                                                         */
/* ------------------------------------------------------------------------ */

#define LMZ_FREQ_BITS 24
#define LMZ_FREQ_TOTAL (1u << LMZ_FREQ_BITS)

/* A table of n symbols: freq[i] >= 1, sum == LMZ_FREQ_TOTAL. cum[i] is the
 * sum of freq[0..i) (cum has n+1 entries, cum[n] == total), built lazily. */
typedef struct {
    uint32_t n;
    uint32_t *freq; /* [n] */
    uint32_t *cum;  /* [n+1] */
    int cum_valid;
} lmz_freqs;

int freqs_init(lmz_freqs *f, uint32_t n);
void freqs_free(lmz_freqs *f);

/* logits[n] -> freq: p_i = exp(l_i - max) (lmz_expf), sum in the fixed
 * 16-lane order, freq_i = 1 + floor(p_i * scale) with the remainder given to
 * the most probable symbol (lowest id on ties). Integer-exact after the float
 * products, identical on every platform. */
void freqs_from_logits(lmz_freqs *f, const float *logits);
/* Only symbol s's interval of that table (s < n): *cum = the sum of the
 * frequencies below s, *freq = s's; the table itself is not written (the
 * encoder of a stream without a mixer needs no more). */
void freqs_interval(lmz_freqs *f, const float *logits, uint32_t s, uint32_t *cum, uint32_t *freq);
void freqs_build_cum(lmz_freqs *f);
/* Symbol s with cum[s] <= target < cum[s+1]; needs cum. */
uint32_t freqs_find(const lmz_freqs *f, uint32_t target);

/* ------------------------------------------------------------------------ */
/* Range coder: 64-bit low, 56-bit range, byte-wise output with carry        */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t low, range;
    uint8_t cache;
    uint64_t pending; /* 0xFF bytes waiting for a possible carry */
    int first;
    uint8_t *out;
    size_t cap, pos;
    int overflow; /* set when out would overflow; the encoder keeps counting */
} lmz_renc;

void renc_init(lmz_renc *e, uint8_t *out, size_t cap);
/* Encode [cum, cum+freq) of total 2^bits. */
void renc_encode(lmz_renc *e, uint32_t cum, uint32_t freq, unsigned bits);
/* Flush; returns bytes written or LMZ_ERR(LMZ_error_dst_too_small). */
size_t renc_finish(lmz_renc *e);

typedef struct {
    uint64_t code, range, r;
    const uint8_t *in;
    size_t size, pos;
    int error; /* set when the stream is inconsistent (corrupt input) */
} lmz_rdec;

void rdec_init(lmz_rdec *d, const uint8_t *in, size_t size);
/* Returns the target in [0, 2^bits) to look up; then call rdec_consume. */
uint32_t rdec_target(lmz_rdec *d, unsigned bits);
void rdec_consume(lmz_rdec *d, uint32_t cum, uint32_t freq);
/* After the last symbol: 0 if the stream was consumed consistently. */
int rdec_finish(const lmz_rdec *d);

#endif /* LMZ_CODER_H */
