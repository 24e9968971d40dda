/*
 * lib/coder/rangecoder.c — a 64-bit range coder (LZMA-style carry handling).
 *
 * This file is FORMAT SEMANTICS (doc/format.md, "Range coder", restates it).
 *
 * State. The encoder keeps an interval [low, low + range) of a 56-bit window
 * onto an arbitrary-precision number whose base-256 digits are the output
 * bytes. range stays in [2^48, 2^56) between symbols, so with a total of 2^24
 * the quotient r = range >> 24 is >= 2^24 and the truncation loses less than
 * 2^-24 of the interval per symbol (about 1e-7 bit): the coding overhead is
 * essentially the flush byte.
 *
 * Encoding a symbol [cum, cum + freq) of total 2^bits:
 *     r = range >> bits;  low += r * cum;  range = r * freq;
 *     while (range < 2^48) { shift_low(); range <<= 8; }
 *
 * low is 64 bits wide: bits 0..55 are the window, bit 56 is a carry that
 * belongs to bytes already shifted out. shift_low() moves the top window byte
 * (bits 48..55) out. Because a later carry could still increment it, that
 * byte is held back in `cache`, followed by `pending` bytes equal to 0xFF
 * (a carry turns cache+1 and all those 0xFF into 0x00). As soon as a byte
 * other than 0xFF arrives (or a carry does), cache and the pending bytes are
 * final and written.
 *
 * The very first cache is a virtual byte above the initial window; it can
 * never receive a carry (low + range <= 2^56 initially and the interval only
 * shrinks), so it is not written (`first`). The stream therefore starts with
 * the window's top byte, and the decoder starts by reading 7 bytes.
 *
 * Flush (renc_finish): pick V = low rounded up to a multiple of 2^48; V lies
 * in [low, low + range) because range >= 2^48. Emitting V's top byte fixes
 * every symbol; V's 6 lower bytes are zero and are NOT written: the decoder
 * reads zero bytes past the end of the stream. So the encoder writes exactly
 * one byte per shift_low() during coding, plus one for the flush.
 *
 * The decoder mirrors this with code = (stream value - low) in the window:
 *     init: code = first 7 bytes (big-endian), range = 2^56 - 1
 *     target = code / r           (r = range >> bits; must be < 2^bits)
 *     code -= r * cum;  range = r * freq;
 *     while (range < 2^48) { code = (code << 8) | next byte; range <<= 8; }
 *
 * Consistency rule (rdec_finish): a valid stream keeps code < r * total at
 * every step, and after the last symbol the decoder has consumed every byte
 * of the stream and exactly 6 zero bytes beyond it (consumed == size + 6).
 * Since the decoder reads 7 bytes at init and one per normalisation, while
 * the encoder writes one per normalisation plus the flush byte, this holds
 * for every stream our encoder writes and makes valid streams canonical:
 * truncated streams and trailing bytes are both reported.
 */
#include <string.h>

#include "coder/coder.h"

#define RC_TOP_BITS 56
#define RC_BOT_BITS 48
#define RC_TOP ((uint64_t)1 << RC_TOP_BITS) /* window size; bit 56 = carry */
#define RC_BOT ((uint64_t)1 << RC_BOT_BITS) /* range is renormalised to >= this */
#define RC_PHANTOM 6                        /* zero bytes the decoder may read past the end */

/* ------------------------------------------------------------------------ */
/* Encoder                                                                  */
/* ------------------------------------------------------------------------ */

void renc_init(lmz_renc *e, uint8_t *out, size_t cap) {
    e->low = 0;
    e->range = RC_TOP - 1;
    e->cache = 0;
    e->pending = 0;
    e->first = 1;
    e->out = out;
    e->cap = cap;
    e->pos = 0;
    e->overflow = 0;
}

/* Writes one byte, or counts it when the buffer is full. */
static inline void renc_put(lmz_renc *e, uint8_t b) {
    if (e->pos < e->cap)
        e->out[e->pos] = b;
    else
        e->overflow = 1;
    e->pos++;
}

/* Moves the top window byte of low into the cache/pending chain. */
static inline void renc_shift_low(lmz_renc *e) {
    if (e->low < ((uint64_t)0xFF << RC_BOT_BITS) || e->low >= RC_TOP) {
        /* The chain is final: the new byte differs from 0xFF, or a carry
         * arrived. Write cache (+carry) and the 0xFF run (+carry). */
        uint8_t carry = (uint8_t)(e->low >> RC_TOP_BITS); /* 0 or 1 */
        if (!e->first) renc_put(e, (uint8_t)(e->cache + carry));
        e->first = 0;
        for (; e->pending > 0; e->pending--) renc_put(e, (uint8_t)(0xFF + carry));
        e->cache = (uint8_t)(e->low >> RC_BOT_BITS);
    } else {
        /* A 0xFF: it may still become 0x00 through a carry. */
        e->pending++;
    }
    e->low = (e->low & (RC_BOT - 1)) << 8;
}

void renc_encode(lmz_renc *e, uint32_t cum, uint32_t freq, unsigned bits) {
    uint64_t r = e->range >> bits;
    e->low += r * cum;
    e->range = r * freq;
    if (e->range == 0) e->range = 1; /* freq 0 is a caller bug: stay finite */
    while (e->range < RC_BOT) {
        e->range <<= 8;
        renc_shift_low(e);
    }
}

size_t renc_finish(lmz_renc *e) {
    /* V = low rounded up to a multiple of 2^48 (may carry into bit 56). */
    e->low = (e->low + (RC_BOT - 1)) & ~(RC_BOT - 1);
    renc_shift_low(e); /* V's top byte enters the chain                  */
    renc_shift_low(e); /* low is now 0: the chain, V's top byte included, is written */
    /* The second call left a zero byte (V's bits 40..47) as cache: not written. */
    if (e->overflow) return LMZ_ERR(LMZ_error_dst_too_small);
    return e->pos;
}

/* ------------------------------------------------------------------------ */
/* Decoder                                                                  */
/* ------------------------------------------------------------------------ */

/* Next stream byte; zero past the end. Reading more than RC_PHANTOM bytes
 * past the end never happens for a valid stream: flag it. */
static inline uint8_t rdec_byte(lmz_rdec *d) {
    size_t i = d->pos++;
    if (i < d->size) return d->in[i];
    if (i - d->size >= RC_PHANTOM) d->error = 1;
    return 0;
}

void rdec_init(lmz_rdec *d, const uint8_t *in, size_t size) {
    d->in = in;
    d->size = size;
    d->pos = 0;
    d->error = 0;
    d->range = RC_TOP - 1;
    d->r = 1;
    d->code = 0;
    for (int i = 0; i < 7; i++) d->code = (d->code << 8) | rdec_byte(d);
}

uint32_t rdec_target(lmz_rdec *d, unsigned bits) {
    d->r = bits < RC_BOT_BITS ? d->range >> bits : 0;
    if (d->r == 0) { /* bits out of range: caller bug, never divide by 0 */
        d->error = 1;
        d->r = 1;
        return 0;
    }
    uint64_t t = d->code / d->r;
    uint64_t total = (uint64_t)1 << bits;
    if (t >= total) { /* only a corrupt stream gets here */
        d->error = 1;
        t = total - 1;
    }
    return (uint32_t)t;
}

void rdec_consume(lmz_rdec *d, uint32_t cum, uint32_t freq) {
    uint64_t lo = d->r * cum;
    uint64_t range = d->r * freq;
    if (range == 0) { /* freq 0: caller bug */
        d->error = 1;
        range = 1;
    }
    /* Keep code < range even on corrupt input (or a caller passing an
     * interval that does not hold the target), so that the state stays
     * bounded; the error is recorded. */
    if (d->code < lo) {
        d->error = 1;
        d->code = 0;
    } else {
        d->code -= lo;
    }
    if (d->code >= range) {
        d->error = 1;
        d->code = range - 1;
    }
    d->range = range;
    while (d->range < RC_BOT) {
        d->range <<= 8;
        d->code = (d->code << 8) | rdec_byte(d);
    }
}

int rdec_finish(const lmz_rdec *d) {
    if (d->error) return LMZ_IERR(LMZ_error_corrupt);
    /* A valid stream is exactly as long as our flush makes it: the decoder
     * has read every byte and exactly RC_PHANTOM zero bytes past the end.
     * Shorter (truncated) or longer (trailing bytes) streams are rejected,
     * so every valid payload is canonical. */
    if (d->pos != d->size + RC_PHANTOM) return LMZ_IERR(LMZ_error_corrupt);
    return 0;
}
