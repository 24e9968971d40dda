/*
 * tests/fuzz/fuzz_layout.c — the payload layouts of the chunk methods that
 * hold other methods' payloads (doc/format.md §3.1 `seg`, §3.2 `utf16`):
 * chunk_layout_parse() (lib/codec/layout.c, what the decoder uses) and the
 * public lmz_chunk_layout() (lmz_frame_info.h) on arbitrary payloads, raw
 * sizes and methods; optionally the whole decoder on a frame made around
 * the payload.
 *
 * Input:
 *   byte 0     mode
 *     bit 0      method: 0 seg (5), 1 utf16 (6)
 *     bit 1      raw_size from the payload: the bytes of the seg runs (or
 *                2 x utf8_size for utf16) when the table reads, so that the
 *                checks behind the run table are reached; else bytes 1-4
 *     bit 2      raw_size from bytes 1-4 over the whole 32-bit range (else
 *                reduced to at most 64 MiB, what a frame's chunk can hold)
 *     bit 3      decode: a one-chunk frame (flag bit 1) around the payload,
 *                decompressed with the fuzz tiny model (raw_size <= 16 KiB,
 *                model-coded parts <= 128 bytes: the model is slow)
 *     bits 4-6   when not 0: the method passed is this value - 1 (0-6), to
 *                check that other methods are refused as parameters
 *   bytes 1-4  raw_size (u32 LE), see bits 1 and 2
 *   bytes 5..  the payload (coded_size = its length)
 *
 * Checks:
 *   - chunk_layout_parse and lmz_chunk_layout agree (accept / refuse, and
 *     every field), and refuse with "corrupt" (methods 0-4: "parameter");
 *   - both agree with an independent reading of doc/format.md (ref_check
 *     below): what the spec allows is accepted and nothing else, for raw
 *     sizes a frame can hold (<= 64 MiB); above that, accepted implies
 *     allowed;
 *   - on success: the parts lie inside the payload, back to back after the
 *     head up to its end, of plain methods, stored parts as long as their
 *     raw size, empty parts stored and empty, others not empty; seg:
 *     1 <= n_runs <= raw_size, the runs read with chunk_layout_next (the
 *     decoder's reader) are those read here, every run >= 1 byte of its
 *     part, base64 runs with a line width in [4, 4096], a multiple of 4,
 *     and the length doc/format.md gives; their bytes make raw_size, their
 *     parts' bytes the parts' raw sizes, and the table ends where
 *     text_coded starts; utf16: raw_size even, raw_size / 2 <= utf8_size
 *     <= raw_size / 2 * 3;
 *   - decode: never success with other bytes than the payload describes
 *     (stored parts: the bytes are computed here, base64 lines included,
 *     and must come out; other parts: the chunk checksum is unknown, so
 *     success is impossible unless it matches).
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "common/common.h"
#include "format/frame.h"
#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"

/* ------------------------------------------------------------------------ */
/* doc/format.md §3.1 / §3.2, read independently                            */
/* ------------------------------------------------------------------------ */

/* LEB128, at most 5 bytes and 2^32 - 1, inside p[0..n): bytes read or 0. */
static size_t ref_varint(const uint8_t *p, size_t n, uint64_t *v) {
    *v = 0;
    for (size_t i = 0; i < n && i < 5; i++) {
        *v |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) return *v <= 0xFFFFFFFFull ? i + 1 : 0;
    }
    return 0;
}

/* A part: a plain method; empty (no run takes bytes from it): stored and no
 * bytes; else some bytes, and stored parts exactly their raw size. */
static int ref_part(unsigned m, uint64_t coded, uint64_t raw) {
    if (m > 4) return 0;
    if (raw == 0) return m == 0 && coded == 0;
    return coded >= 1 && (m != 0 || coded == raw);
}

/* A run table entry at p[0..n): bytes read (0: malformed), the run in
 * *kind, *v, *w, *eol and its bytes in the chunk in *len. */
static size_t ref_entry(const uint8_t *p, size_t n, unsigned *kind, uint64_t *v, uint64_t *w, unsigned *eol,
                        uint64_t *len) {
    uint64_t h;
    size_t k = ref_varint(p, n, &h);
    if (!k) return 0;
    *kind = (unsigned)(h & 3), *v = h >> 2, *w = 0, *eol = 0, *len = *v;
    if (*kind < 2) return k;
    size_t k2 = ref_varint(p + k, n - k, w);
    if (!k2 || k + k2 >= n) return 0;
    *eol = p[k + k2];
    if (*eol > 1 || *w < 4 || *w > 4096 || *w % 4) return 0;
    const uint64_t c = (*v + 2) / 3 * 4; /* characters, then one line end per w of them */
    *len = c + (c + *w - 1) / *w * (1 + *eol);
    return k + k2 + 1;
}

/* 1 when the spec allows payload p[0..n) for a chunk of method m holding raw
 * bytes. */
static int ref_check(unsigned m, const uint8_t *p, size_t n, uint64_t raw) {
    if (m == LMZ_METHOD_UTF16) {
        if (n < 6 || p[0] > 1 || raw % 2) return 0;
        const uint64_t u = lmz_rd32(p + 2);
        return u * 2 >= raw && u * 2 <= raw * 3 && u >= 1 && ref_part(p[1], n - 6, u);
    }
    if (m != LMZ_METHOD_SEG || n < 3) return 0;
    uint64_t runs, part[2] = {0, 0}, covered = 0;
    size_t at = 2, k = ref_varint(p + at, n - at, &runs);
    if (!k || runs < 1 || runs > raw) return 0;
    at += k;
    for (uint64_t r = 0; r < runs; r++) {
        unsigned kind, eol;
        uint64_t v, w, len;
        k = ref_entry(p + at, n - at, &kind, &v, &w, &eol, &len);
        if (!k || v == 0) return 0;
        covered += len;
        if (covered > raw) return 0;
        part[kind == 0 || kind == 3 ? 0 : 1] += v;
        at += k;
    }
    if (covered != raw || n - at < 4) return 0;
    const uint64_t t = lmz_rd32(p + at);
    at += 4;
    if (t > n - at) return 0;
    return ref_part(p[0], t, part[0]) && ref_part(p[1], n - at - t, part[1]);
}

/* raw_size that makes the table add up (mode bit 1), 0 when there is none */
static uint64_t derived_raw(unsigned m, const uint8_t *p, size_t n) {
    if (m == LMZ_METHOD_UTF16) return n >= 6 ? 2ull * lmz_rd32(p + 2) : 0;
    uint64_t runs, sum = 0;
    size_t at = 2, k;
    if (n < 3 || !(k = ref_varint(p + at, n - at, &runs)) || runs > 1u << 20) return 0;
    at += k;
    for (uint64_t r = 0; r < runs; r++) {
        unsigned kind, eol;
        uint64_t v, w, len;
        if (!(k = ref_entry(p + at, n - at, &kind, &v, &w, &eol, &len))) return 0;
        sum += len;
        at += k;
    }
    return sum;
}

/* Base64 of src[0..v) in lines of w characters ended by \n or \r\n, as
 * doc/format.md §3.1 says (written here, not the library's encoder). */
static size_t ref_b64(const uint8_t *src, uint64_t v, uint64_t w, unsigned eol, uint8_t *dst) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t chars[4];
    size_t o = 0, col = 0;
    for (uint64_t i = 0; i < v; i += 3) {
        const unsigned b1 = i + 1 < v ? src[i + 1] : 0, b2 = i + 2 < v ? src[i + 2] : 0;
        chars[0] = (uint8_t)a[src[i] >> 2];
        chars[1] = (uint8_t)a[(src[i] & 3) << 4 | b1 >> 4];
        chars[2] = i + 1 < v ? (uint8_t)a[(b1 & 15) << 2 | b2 >> 6] : '=';
        chars[3] = i + 2 < v ? (uint8_t)a[b2 & 63] : '=';
        for (int j = 0; j < 4; j++) {
            dst[o++] = chars[j];
            if (++col == w) {
                if (eol) dst[o++] = '\r';
                dst[o++] = '\n';
                col = 0;
            }
        }
    }
    if (col) {
        if (eol) dst[o++] = '\r';
        dst[o++] = '\n';
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/* Invariants of an accepted layout                                          */
/* ------------------------------------------------------------------------ */

static void check_layout(unsigned m, const uint8_t *p, uint32_t coded, uint32_t raw, const chunk_layout *L) {
    FUZZ_ASSERT(L->method == m, "method %u != %u", L->method, m);
    FUZZ_ASSERT(L->n_parts == (m == LMZ_METHOD_SEG ? 2u : 1u), "n_parts %u", L->n_parts);
    for (uint32_t k = 0; k < L->n_parts; k++) {
        const lmz_part *pt = &L->part[k];
        FUZZ_ASSERT(pt->method <= LMZ_METHOD_LM_MIX, "part %u: method %u", k, pt->method);
        FUZZ_ASSERT(pt->raw_size ? pt->coded_size >= 1 : pt->coded_size == 0 && pt->method == LMZ_METHOD_STORED,
                    "part %u: %u -> %u bytes, method %u", k, pt->raw_size, pt->coded_size, pt->method);
        FUZZ_ASSERT(pt->payload >= p && pt->payload + pt->coded_size <= p + coded, "part %u outside the payload", k);
        FUZZ_ASSERT(pt->method != LMZ_METHOD_STORED || pt->coded_size == pt->raw_size, "part %u: stored %u != %u", k,
                    pt->coded_size, pt->raw_size);
    }
    if (m == LMZ_METHOD_UTF16) {
        const lmz_part *pt = &L->part[0];
        FUZZ_ASSERT(raw % 2 == 0 && L->order <= 1, "utf16: raw %u, order %u", raw, L->order);
        FUZZ_ASSERT(pt->raw_size >= 1 && pt->payload == p + 6 && pt->coded_size == coded - 6,
                    "utf16: the part is not the rest");
        FUZZ_ASSERT((uint64_t)pt->raw_size * 2 >= raw && (uint64_t)pt->raw_size * 2 <= (uint64_t)raw * 3,
                    "utf16: %u UTF-8 bytes for %u UTF-16 bytes", pt->raw_size, raw);
        return;
    }
    FUZZ_ASSERT(L->n_runs >= 1 && L->n_runs <= raw && L->n_b64 <= L->n_runs, "seg: %u runs (%u base64) for %u bytes",
                L->n_runs, L->n_b64, raw);
    FUZZ_ASSERT(L->part[0].payload + L->part[0].coded_size == L->part[1].payload &&
                    L->part[1].payload + L->part[1].coded_size == p + coded,
                "seg: the parts are not back to back up to the end");
    FUZZ_ASSERT(L->runs > p && L->runs + 4 <= L->part[0].payload, "seg: run table outside the head");
    const uint8_t *cur = L->runs;
    uint64_t part[2] = {0, 0}, covered = 0;
    uint32_t b64 = 0;
    for (uint32_t r = 0; r < L->n_runs; r++) {
        unsigned kind, eol;
        uint64_t v, w, len;
        const size_t k = ref_entry(cur, (size_t)(L->part[0].payload - 4 - cur), &kind, &v, &w, &eol, &len);
        FUZZ_ASSERT(k && v >= 1, "seg: run %u: entry of %zu bytes, %llu bytes", r, k, (unsigned long long)v);
        const uint8_t *before = cur;
        seg_run run;
        chunk_layout_next(&cur, &run); /* the decoder's reader agrees */
        FUZZ_ASSERT(cur == before + k && run.kind == kind && run.v == v && run.len == len &&
                        (kind < 2 || (run.w == w && run.crlf == eol)),
                    "seg: run %u: chunk_layout_next read %u/%u/%llu, here %u/%llu/%llu", r, run.kind, run.v,
                    (unsigned long long)run.len, kind, (unsigned long long)v, (unsigned long long)len);
        FUZZ_ASSERT(kind < 2 || run.len == b64_run_len(v, (uint32_t)w, (int)eol), "seg: run %u: b64_run_len", r);
        part[kind == SEG_TEXT || kind == SEG_B64_TEXT ? 0 : 1] += v;
        covered += len;
        b64 += kind >= 2;
    }
    FUZZ_ASSERT(cur == L->part[0].payload - 4, "seg: the run table does not end at text_coded");
    FUZZ_ASSERT(covered == raw, "seg: runs make %llu bytes, raw %u", (unsigned long long)covered, raw);
    FUZZ_ASSERT(part[0] == L->part[0].raw_size && part[1] == L->part[1].raw_size && b64 == L->n_b64,
                "seg: runs take %llu + %llu, parts %u + %u", (unsigned long long)part[0], (unsigned long long)part[1],
                L->part[0].raw_size, L->part[1].raw_size);
}

/* ------------------------------------------------------------------------ */
/* Decoding a frame around the payload                                       */
/* ------------------------------------------------------------------------ */

#define DECODE_MAX_RAW (16u << 10)
#define DECODE_MAX_LM 128u /* model-coded parts: ~10 us per byte (50 under ASan); fuzz_decompress has big ones */

/* What the chunk decodes to when all its parts are stored (else 0). */
static int expected_bytes(unsigned m, const chunk_layout *L, uint32_t raw, uint8_t *dst) {
    for (uint32_t k = 0; k < L->n_parts; k++)
        if (L->part[k].method != LMZ_METHOD_STORED) return 0;
    if (m == LMZ_METHOD_UTF16)
        return lmz_utf8_to_utf16(L->part[0].payload, L->part[0].raw_size, L->order, dst, raw) == raw;
    const uint8_t *src[2] = {L->part[0].payload, L->part[1].payload}, *cur = L->runs;
    for (uint32_t r = 0; r < L->n_runs; r++) {
        unsigned kind, eol;
        uint64_t v, w, len;
        cur += ref_entry(cur, 16, &kind, &v, &w, &eol, &len); /* checked by check_layout */
        const int part = kind == SEG_TEXT || kind == SEG_B64_TEXT ? 0 : 1;
        if (kind < 2) memcpy(dst, src[part], v);
        else FUZZ_ASSERT(ref_b64(src[part], v, w, eol, dst) == len, "base64 length");
        src[part] += v;
        dst += len;
    }
    return 1;
}

static void decode_frame(unsigned m, const uint8_t *p, uint32_t coded, uint32_t raw, const chunk_layout *L, int ok) {
    if (raw == 0 || raw > DECODE_MAX_RAW) return;
    for (uint32_t k = 0; ok && k < L->n_parts; k++)
        if ((L->part[k].method == LMZ_METHOD_LM || L->part[k].method == LMZ_METHOD_LM_MIX) &&
            L->part[k].raw_size > DECODE_MAX_LM)
            return;
    uint8_t *want = malloc(raw), *out = malloc(raw);
    FUZZ_ASSERT(want && out, "oom");
    const int known = ok && expected_bytes(m, L, raw, want);
    lmz_chunk_info ci = {raw, coded, (uint8_t)m, known ? (uint32_t)lmz_xxh64(want, raw) : 0x5EED5EEDu, 0};
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    h.flags = LMZ_F_EXT;
    lmz_model_sha256(fuzz_tiny_model(), h.model_sha256);
    strcpy(h.model_name, "fuzz");
    h.window = 64;
    h.overlap = LMZ_SINK_TOKENS;
    h.chunk_size = raw;
    h.original_size = raw;
    h.content_checksum = known ? lmz_xxh64(want, raw) : 0;
    h.n_chunks = 1;
    h.chunks = &ci;
    const size_t hs = frame_header_size(&h);
    FUZZ_ASSERT(!lmz_is_error(hs), "header size");
    uint8_t *f = malloc(hs + coded);
    FUZZ_ASSERT(f, "oom");
    FUZZ_ASSERT(frame_write_header(&h, f, hs) == hs, "frame_write_header");
    memcpy(f + hs, p, coded);
    lmz_params par;
    lmz_params_default(&par);
    par.threads = 1;
    par.memory_limit = FUZZ_MEMORY_LIMIT;
    size_t r = lmz_decompress(fuzz_tiny_model(), out, raw, f, hs + coded, &par);
    if (!ok) FUZZ_ASSERT(lmz_is_error(r), "a refused layout decoded (%zu bytes)", r);
    if (known) FUZZ_ASSERT(r == raw && memcmp(out, want, raw) == 0, "stored parts: %s", lmz_error_name(r));
    if (!lmz_is_error(r)) FUZZ_ASSERT(r == raw && lmz_xxh64(out, raw) == h.content_checksum, "wrong bytes");
    free(f);
    free(want);
    free(out);
}

/* ------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    const uint8_t mode = data[0];
    const unsigned sel = (mode >> 4) & 7;
    const unsigned m = sel ? sel - 1 : (mode & 1 ? LMZ_METHOD_UTF16 : LMZ_METHOD_SEG);
    const uint32_t coded = (uint32_t)(size - 5);
    uint8_t *p = malloc(coded ? coded : 1); /* exact size: overreads are caught */
    FUZZ_ASSERT(p, "oom");
    if (coded) memcpy(p, data + 5, coded);
    uint64_t raw = lmz_rd32(data + 1);
    if (!(mode & 4)) raw %= LMZ_MAX_CHUNK_SIZE + 1ull;
    if (mode & 2) {
        uint64_t d = derived_raw(m, p, coded);
        if (d && d <= 0xFFFFFFFFull) raw = d;
    }

    chunk_layout L;
    lmz_msg msg;
    msg.text[0] = 0;
    const int rc = chunk_layout_parse((uint8_t)m, p, coded, (uint32_t)raw, &L, &msg);
    const int ok = rc == 0;
    if (m != LMZ_METHOD_SEG && m != LMZ_METHOD_UTF16) {
        FUZZ_ASSERT(LMZ_ICODE(rc) == LMZ_error_parameter, "method %u: %d", m, rc);
    } else if (!ok) {
        FUZZ_ASSERT(LMZ_ICODE(rc) == LMZ_error_corrupt && msg.text[0], "refused with %d, message '%s'", rc, msg.text);
    }
    if (m == LMZ_METHOD_SEG || m == LMZ_METHOD_UTF16) {
        const int spec = ref_check(m, p, coded, raw);
        if (raw <= LMZ_MAX_CHUNK_SIZE)
            FUZZ_ASSERT(ok == spec, "method %u, %u bytes for %llu: parser %s (%s), doc/format.md %s", m, coded,
                        (unsigned long long)raw, ok ? "accepts" : "refuses", msg.text, spec ? "allows" : "does not");
        else
            FUZZ_ASSERT(!ok || spec, "method %u, raw %llu: parser accepts what doc/format.md does not", m,
                        (unsigned long long)raw);
    }
    if (ok) check_layout(m, p, coded, (uint32_t)raw, &L);

    /* the public reader agrees */
    lmz_chunk_info_t ci = {(uint32_t)raw, coded, m, 0, 0};
    lmz_chunk_layout_t out;
    size_t pr = lmz_chunk_layout(p, coded, &ci, &out);
    if (m != LMZ_METHOD_SEG && m != LMZ_METHOD_UTF16)
        FUZZ_ASSERT(lmz_get_error_code(pr) == LMZ_error_parameter, "public: method %u: %s", m, lmz_error_name(pr));
    else if (raw == 0)
        FUZZ_ASSERT(lmz_is_error(pr), "public: raw_size 0 accepted");
    else
        FUZZ_ASSERT(ok ? pr == 0 : lmz_get_error_code(pr) == LMZ_error_corrupt, "public: %s, parser %d",
                    lmz_error_name(pr), rc);
    if (ok && pr == 0) {
        FUZZ_ASSERT(out.n_parts == L.n_parts && out.n_runs == L.n_runs && out.base64_runs == L.n_b64 &&
                        out.utf16_order == L.order,
                    "public: fields differ");
        for (uint32_t k = 0; k < L.n_parts; k++)
            FUZZ_ASSERT(out.part_method[k] == L.part[k].method && out.part_raw[k] == L.part[k].raw_size &&
                            out.part_coded[k] == L.part[k].coded_size,
                        "public: part %u differs", k);
    }
    /* a shorter buffer than coded_size is refused, not read past */
    if (coded > 0) {
        pr = lmz_chunk_layout(p, coded - 1, &ci, &out);
        FUZZ_ASSERT(lmz_is_error(pr), "public: buffer shorter than coded_size accepted");
    }

    if ((mode & 8) && (m == LMZ_METHOD_SEG || m == LMZ_METHOD_UTF16) && coded > 0)
        decode_frame(m, p, coded, (uint32_t)raw, &L, ok);
    free(p);
    return 0;
}
