/*
 * lib/compress/segment.h — where a chunk's text, binary and base64 runs are
 * (the `seg` method, doc/format.md §3.1). Shared with tests/unit/test_segment.c.
 * Not format semantics: a decoder reads the runs from the payload.
 *
 * A byte scan with hysteresis, so that neither the model nor the classical
 * coder is handed crumbs:
 *  - text bytes: printable ASCII, \t \n \v \f \r, escape (as looks_binary
 *    in compress.c), and whole strict UTF-8 sequences; every other byte is
 *    binary (NUL, other control bytes, invalid UTF-8);
 *  - a text run may hold gaps of fewer than SEG_GAP binary bytes as long as
 *    they are at most 1/16 of it (tar padding before the next name, a stray
 *    control byte), so a string table (short strings between NULs) stays
 *    binary;
 *  - a text run shorter than SEG_MIN_TEXT bytes is binary (tar header
 *    fields, strings inside executables and spreadsheets);
 *  - inside text, a block of base64 lines (mail attachments) of at least
 *    SEG_MIN_B64 bytes is a run of its own, when its lines are all w
 *    characters but the last, all end the same way (\n or \r\n), it has
 *    upper case, lower case and digits (not hex digits or numbers), and
 *    b64_encode_lines gives it back exactly; its bytes, decoded, go to the
 *    text part when they are text (every byte a text byte), else to the
 *    binary part.
 * Text and binary runs alternate (neighbours of one kind are merged).
 */
#ifndef LMZ_SEGMENT_H
#define LMZ_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "common/common.h"

#define SEG_MIN_TEXT 128u  /* shorter text runs are binary */
#define SEG_GAP 8u         /* binary gaps shorter than this may stay inside text */
#define SEG_MIN_B64 1024u  /* shorter base64 blocks stay text */

/* Runs buf[0..n) can make at most (text runs are >= SEG_MIN_TEXT bytes and
 * alternate with binary ones; a base64 block splits a text run in three). */
static inline size_t seg_runs_max(size_t n) { return 2 * (n / SEG_MIN_TEXT) + 2 * (n / SEG_MIN_B64) + 4; }

/* Length of the text unit at p (1 for ASCII text bytes, the sequence length
 * for strict UTF-8), 0 for a binary byte. */
static inline uint32_t seg_text_unit(const uint8_t *p, size_t n) {
    const uint8_t c = p[0];
    if (c >= 0x20 && c < 0x7F) return 1;
    if ((c >= 0x09 && c <= 0x0D) || c == 0x1B) return 1; /* \t \n \v \f \r, escape */
    if (c < 0x80) return 0;
    return lmz_utf8_len(p, n, 1);
}

/* 1 when every unit of p[0..n) is text. */
static inline int seg_all_text(const uint8_t *p, size_t n) {
    for (size_t k = 0; k < n;) {
        const uint32_t t = seg_text_unit(p + k, n - k);
        if (!t) return 0;
        k += t;
    }
    return 1;
}

/* Appends a run, merging text with text and binary with binary. */
static inline void seg_push(seg_run *runs, uint32_t *nr, int kind, size_t len) {
    if (len == 0) return;
    if (*nr > 0 && runs[*nr - 1].kind == kind && kind <= SEG_BINARY) {
        runs[*nr - 1].v += (uint32_t)len;
        runs[*nr - 1].len += len;
        return;
    }
    seg_run r = {(uint8_t)kind, 0, 0, (uint32_t)len, len};
    runs[(*nr)++] = r;
}

/* ------------------------------------------------------------------------ */
/* Base64 blocks                                                            */
/* ------------------------------------------------------------------------ */

static inline int seg_b64_val(uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* End of line at p[0..n): its length (1 for \n, 2 for \r\n) if it is the
 * kind crlf says, else 0. */
static inline size_t seg_eol(const uint8_t *p, size_t n, int crlf) {
    if (crlf) return n >= 2 && p[0] == '\r' && p[1] == '\n' ? 2 : 0;
    return n >= 1 && p[0] == '\n' ? 1 : 0;
}

/* A base64 block at the start of p[0..n) (a line start): returns its length
 * in bytes (0: none of at least SEG_MIN_B64) and fills r (kind left to the
 * caller). *scanned: the bytes of base64 lines looked at; a block starting
 * at a later line among them would end where this one does and fail the
 * same way, so the caller skips them. */
static inline size_t seg_b64_block(const uint8_t *p, size_t n, seg_run *r, size_t *scanned) {
    *scanned = 0;
    size_t w = 0;
    while (w < n && w <= SEG_B64_MAX_W && seg_b64_val(p[w]) >= 0) w++;
    if (w < 16 || w % 4 || w > SEG_B64_MAX_W || w >= n) return 0;
    const int crlf = p[w] == '\r';
    size_t e = seg_eol(p + w, n - w, crlf);
    if (!e) return 0;
    size_t at = w + e, chars = w, pad = 0;
    for (;;) { /* the next line: w characters, or a shorter last one */
        size_t l = 0;
        while (at + l < n && l < w && seg_b64_val(p[at + l]) >= 0) l++;
        size_t q = 0;
        while (at + l + q < n && q < 2 && p[at + l + q] == '=') q++;
        const size_t eol = seg_eol(p + at + l + q, n - (at + l + q), crlf);
        if (l == w && q == 0 && eol) {
            chars += w;
            at += w + eol;
            continue;
        }
        if (l + q > 0 && l + q <= w && (l + q) % 4 == 0 && eol && l > 0) { /* the last line */
            chars += l + q;
            pad = q;
            at += l + q + eol;
        }
        break;
    }
    *scanned = at;
    if (at < SEG_MIN_B64) return 0;
    /* base64 of data uses upper case, lower case and digits; lines of hex
     * digits (hashes) or of numbers do not */
    int cls = 0;
    for (size_t i = 0; i < at && cls != 7; i++)
        cls |= p[i] >= 'A' && p[i] <= 'Z' ? 1 : p[i] >= 'a' && p[i] <= 'z' ? 2 : p[i] >= '0' && p[i] <= '9' ? 4 : 0;
    if (cls != 7) return 0;
    /* exact: the padding's spare bits must be zero, as the encoder writes them */
    if (pad) {
        const size_t last = at - (crlf ? 2 : 1) - pad - 1; /* the last base64 character */
        const int v = seg_b64_val(p[last]);
        if ((pad == 1 && (v & 3)) || (pad == 2 && (v & 15))) return 0;
    }
    r->w = (uint32_t)w;
    r->crlf = (uint8_t)crlf;
    r->v = (uint32_t)(chars / 4 * 3 - pad);
    r->len = at;
    return b64_run_len(r->v, r->w, crlf) == at ? at : 0;
}

/* Decodes base64 run r at p (r->len bytes) into dst (r->v bytes). */
static inline void seg_b64_decode(const uint8_t *p, const seg_run *r, uint8_t *dst) {
    uint32_t acc = 0, bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < r->len && o < r->v; i++) {
        const int v = seg_b64_val(p[i]);
        if (v < 0) continue; /* line ends, padding */
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (uint8_t)(acc >> bits);
        }
    }
}

/* Pushes the text stretch buf[0..n) with its base64 blocks as runs of their
 * own; *b64 counts their bytes. */
static inline void seg_push_text(const uint8_t *buf, size_t n, seg_run *runs, uint32_t *nr, size_t *b64) {
    size_t start = 0;
    for (size_t i = 0; i < n;) {
        seg_run r;
        size_t scanned = 0;
        const size_t k = (i == 0 || buf[i - 1] == '\n') ? seg_b64_block(buf + i, n - i, &r, &scanned) : 0;
        if (!k) {
            i += scanned > 1 ? scanned : 1; /* linear: no line is scanned twice */
            continue;
        }
        seg_push(runs, nr, SEG_TEXT, i - start);
        r.kind = SEG_B64_BINARY; /* the caller looks at the decoded bytes */
        runs[(*nr)++] = r;
        *b64 += k;
        i += k;
        start = i;
    }
    seg_push(runs, nr, SEG_TEXT, n - start);
}

/* ------------------------------------------------------------------------ */
/* The runs of a chunk                                                      */
/* ------------------------------------------------------------------------ */

/* Cuts buf[0..n) (n < 2^26) into runs: runs[0..return) (room for
 * seg_runs_max(n)); *text the bytes in text runs, *b64 those in base64
 * runs (marked SEG_B64_BINARY: the caller decides their part). */
static inline uint32_t segment_runs(const uint8_t *buf, size_t n, seg_run *runs, size_t *text, size_t *b64) {
    uint32_t nr = 0;
    *text = *b64 = 0;
    size_t i = 0;
    while (i < n) {
        if (!seg_text_unit(buf + i, n - i)) { /* a binary run: up to the next text unit */
            size_t j = i + 1;
            while (j < n && !seg_text_unit(buf + j, n - j)) j++;
            seg_push(runs, &nr, SEG_BINARY, j - i);
            i = j;
            continue;
        }
        /* a text stretch from i, taking in short gaps while they stay rare */
        size_t j = i, end = i, holes = 0;
        while (j < n) {
            uint32_t u = seg_text_unit(buf + j, n - j);
            if (u) {
                j += u;
                end = j;
                continue;
            }
            size_t g = j + 1;
            while (g < n && g - j < SEG_GAP && !seg_text_unit(buf + g, n - g)) g++;
            if (g - j >= SEG_GAP || g == n || (holes + (g - j)) * 16 > g - i) break;
            holes += g - j;
            j = g;
        }
        if (end - i >= SEG_MIN_TEXT)
            seg_push_text(buf + i, end - i, runs, &nr, b64);
        else
            seg_push(runs, &nr, SEG_BINARY, end - i);
        i = end;
    }
    for (uint32_t r = 0; r < nr; r++) *text += runs[r].kind == SEG_TEXT ? runs[r].len : 0;
    return nr;
}

#endif /* LMZ_SEGMENT_H */
