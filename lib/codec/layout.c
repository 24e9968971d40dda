/*
 * lib/codec/layout.c — the payloads of the chunk methods that hold other
 * methods' payloads (doc/format.md §3.1, §3.2): `seg` (5), a chunk cut into
 * text, binary and base64 runs, and `utf16` (6), UTF-16 text coded as its UTF-8
 * form. The compressor writes them (chunk_layout_write_*), the decompressor
 * reads them (chunk_layout_parse); the payloads are untrusted, so the parser
 * checks every size before anything is used.
 */
#include <string.h>

#include "codec/codec.h"

/* A part's method: any of the plain methods; stored parts are their raw
 * bytes; an empty part (a `seg` chunk all text or all binary) has no bytes
 * and is stored. */
static int part_check(const lmz_part *pt, const char *what, lmz_msg *msg) {
    RETURN_ERROR_IF(pt->method >= LMZ_M_FIRST_EXT, LMZ_error_corrupt, msg, "%s part: method %u is not a plain method",
                    what, pt->method);
    RETURN_ERROR_IF(pt->raw_size == 0 && (pt->coded_size != 0 || pt->method != LMZ_M_STORED), LMZ_error_corrupt, msg,
                    "%s part: empty, but %u coded bytes of method %u", what, pt->coded_size, pt->method);
    RETURN_ERROR_IF(pt->raw_size > 0 && pt->coded_size < 1, LMZ_error_corrupt, msg, "%s part: no coded bytes", what);
    RETURN_ERROR_IF(pt->method == LMZ_M_STORED && pt->coded_size != pt->raw_size, LMZ_error_corrupt, msg,
                    "%s part: stored, but %u coded bytes for %u", what, pt->coded_size, pt->raw_size);
    return 0;
}

/* ======================================================================== */
/* Base64 runs                                                               */
/* ======================================================================== */

static const char b64_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint64_t b64_run_len(uint64_t d, uint32_t w, int crlf) {
    const uint64_t c = (d + 2) / 3 * 4, lines = (c + w - 1) / w;
    return c + lines * (crlf ? 2u : 1u);
}

size_t b64_encode_lines(const uint8_t *src, size_t d, uint32_t w, int crlf, uint8_t *dst) {
    size_t o = 0, col = 0;
    for (size_t i = 0; i < d; i += 3) {
        const uint32_t k = d - i < 3 ? (uint32_t)(d - i) : 3u;
        const uint32_t v = (uint32_t)src[i] << 16 | (k > 1 ? (uint32_t)src[i + 1] << 8 : 0u) | (k > 2 ? src[i + 2] : 0u);
        const char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                           k > 1 ? b64_alphabet[(v >> 6) & 63] : '=', k > 2 ? b64_alphabet[v & 63] : '='};
        for (int j = 0; j < 4; j++) {
            dst[o++] = (uint8_t)q[j];
            if (++col == w) {
                if (crlf) dst[o++] = '\r';
                dst[o++] = '\n';
                col = 0;
            }
        }
    }
    if (col) {
        if (crlf) dst[o++] = '\r';
        dst[o++] = '\n';
    }
    return o;
}

/* ======================================================================== */
/* Reading                                                                   */
/* ======================================================================== */

/* One run table entry at p[0..n): returns the bytes read, 0 when malformed. */
static size_t run_get(const uint8_t *p, size_t n, seg_run *r) {
    uint32_t h;
    size_t k = lmz_varint_get(p, n, &h, NULL);
    if (!k) return 0;
    memset(r, 0, sizeof *r);
    r->kind = (uint8_t)(h & 3);
    r->v = h >> 2;
    if (r->kind < SEG_B64_BINARY) {
        r->len = r->v;
        return k;
    }
    uint32_t w;
    size_t k2 = lmz_varint_get(p + k, n - k, &w, NULL);
    if (!k2 || k + k2 >= n) return 0;
    r->w = w;
    r->crlf = p[k + k2];
    if (r->crlf > 1 || w < 4 || w % 4 || w > SEG_B64_MAX_W) return 0;
    r->len = b64_run_len(r->v, w, r->crlf);
    return k + k2 + 1;
}

int chunk_layout_parse(uint8_t method, const uint8_t *p, uint32_t coded, uint32_t raw, chunk_layout *L,
                       lmz_msg *msg) {
    memset(L, 0, sizeof *L);
    L->method = method;
    if (method == LMZ_M_UTF16) {
        /* u8 order, u8 method, u32 utf8_size, payload */
        RETURN_ERROR_IF(coded < 7, LMZ_error_corrupt, msg, "utf16 chunk: payload of %u bytes", coded);
        RETURN_ERROR_IF(p[0] > 1, LMZ_error_corrupt, msg, "utf16 chunk: byte order %u", p[0]);
        RETURN_ERROR_IF(raw % 2, LMZ_error_corrupt, msg, "utf16 chunk: odd raw size %u", raw);
        L->order = p[0];
        L->n_parts = 1;
        L->part[0].method = p[1];
        L->part[0].raw_size = lmz_rd32(p + 2);
        L->part[0].payload = p + 6;
        L->part[0].coded_size = coded - 6;
        /* UTF-16 -> UTF-8: 2 bytes become 1..3, 4 bytes become 4 */
        RETURN_ERROR_IF(L->part[0].raw_size < raw / 2 || L->part[0].raw_size > (uint64_t)raw / 2 * 3, LMZ_error_corrupt, msg,
                        "utf16 chunk: %u UTF-8 bytes cannot make %u UTF-16 bytes", L->part[0].raw_size, raw);
        RETURN_ERROR_IF(L->part[0].method == LMZ_M_STORED && L->part[0].coded_size != L->part[0].raw_size,
                        LMZ_error_corrupt, msg, "utf16 chunk: stored, but %u coded bytes for %u",
                        L->part[0].coded_size, L->part[0].raw_size);
        return part_check(&L->part[0], "utf16", msg);
    }
    RETURN_ERROR_IF(method != LMZ_M_SEG, LMZ_error_parameter, msg, "method %u has no layout", method);
    /* u8 text method, u8 binary method, varint n_runs, the runs, u32 text
     * coded size, text payload, binary payload */
    RETURN_ERROR_IF(coded < 3, LMZ_error_corrupt, msg, "seg chunk: payload of %u bytes", coded);
    L->part[0].method = p[0];
    L->part[1].method = p[1];
    size_t at = 2, k = lmz_varint_get(p + at, coded - at, &L->n_runs, NULL);
    RETURN_ERROR_IF(!k, LMZ_error_corrupt, msg, "seg chunk: bad run count");
    RETURN_ERROR_IF(L->n_runs < 1 || L->n_runs > raw, LMZ_error_corrupt, msg, "seg chunk: %u runs for %u bytes",
                    L->n_runs, raw);
    at += k;
    L->runs = p + at;
    uint64_t part[2] = {0, 0}, covered = 0;
    for (uint32_t r = 0; r < L->n_runs; r++) {
        seg_run run;
        k = run_get(p + at, coded - at, &run);
        RETURN_ERROR_IF(!k, LMZ_error_corrupt, msg, "seg chunk: run %u: bad table entry", r);
        RETURN_ERROR_IF(run.v == 0, LMZ_error_corrupt, msg, "seg chunk: run %u has length 0", r);
        covered += run.len;
        RETURN_ERROR_IF(covered > raw, LMZ_error_corrupt, msg, "seg chunk: run %u ends past the chunk (%u bytes)", r,
                        raw);
        part[seg_run_part(run.kind)] += run.v;
        if (run.kind >= SEG_B64_BINARY) L->n_b64++;
        at += k;
    }
    RETURN_ERROR_IF(covered != raw, LMZ_error_corrupt, msg, "seg chunk: runs cover %llu of %u bytes",
                    (unsigned long long)covered, raw);
    RETURN_ERROR_IF(coded - at < 4, LMZ_error_corrupt, msg, "seg chunk: truncated after the run table");
    const uint32_t tc = lmz_rd32(p + at);
    at += 4;
    RETURN_ERROR_IF(tc > coded - at, LMZ_error_corrupt, msg, "seg chunk: text part of %u bytes runs past the payload",
                    tc);
    L->part[0].raw_size = (uint32_t)part[0];
    L->part[0].payload = p + at;
    L->part[0].coded_size = tc;
    L->part[1].raw_size = (uint32_t)part[1];
    L->part[1].payload = p + at + tc;
    L->part[1].coded_size = (uint32_t)(coded - at - tc);
    L->n_parts = 2;
    FORWARD_IF_ERROR(part_check(&L->part[0], "text", msg));
    return part_check(&L->part[1], "binary", msg);
}

void chunk_layout_next(const uint8_t **cursor, seg_run *r) {
    *cursor += run_get(*cursor, 16, r); /* checked by chunk_layout_parse: complete and in the payload */
}

/* ======================================================================== */
/* Writing                                                                   */
/* ======================================================================== */

size_t chunk_layout_seg_head(uint8_t *dst, uint8_t text_method, uint8_t bin_method, const seg_run *runs,
                             uint32_t n_runs, uint32_t text_coded) {
    size_t at = 0;
    dst[at++] = text_method;
    dst[at++] = bin_method;
    at += lmz_varint_put(dst + at, n_runs);
    for (uint32_t r = 0; r < n_runs; r++) {
        at += lmz_varint_put(dst + at, runs[r].v << 2 | runs[r].kind);
        if (runs[r].kind >= SEG_B64_BINARY) {
            at += lmz_varint_put(dst + at, runs[r].w);
            dst[at++] = runs[r].crlf;
        }
    }
    lmz_wr32(dst + at, text_coded);
    return at + 4;
}

size_t chunk_layout_utf16_head(uint8_t *dst, uint8_t order, uint8_t method, uint32_t utf8_size) {
    dst[0] = order;
    dst[1] = method;
    lmz_wr32(dst + 2, utf8_size);
    return 6;
}

/* ======================================================================== */
/* Public: the layout of a chunk (lmz_frame_info.h)                          */
/* ======================================================================== */

size_t lmz_chunk_layout(const void *payload, size_t size, const lmz_chunk_info_t *chunk, lmz_chunk_layout_t *out) {
    if (!payload || !chunk || !out) return LMZ_ERR(LMZ_error_parameter);
    if (chunk->method != LMZ_M_SEG && chunk->method != LMZ_M_UTF16) return LMZ_ERR(LMZ_error_parameter);
    if (chunk->raw_size == 0) return LMZ_ERR(LMZ_error_corrupt);
    if (size < chunk->coded_size) return LMZ_ERR(LMZ_error_src_size);
    chunk_layout L;
    lmz_msg msg;
    int rc = chunk_layout_parse((uint8_t)chunk->method, payload, chunk->coded_size, chunk->raw_size, &L, &msg);
    if (rc) return LMZ_ERR(LMZ_ICODE(rc));
    memset(out, 0, sizeof *out);
    out->n_parts = L.n_parts;
    for (uint32_t k = 0; k < L.n_parts; k++) {
        out->part_method[k] = L.part[k].method;
        out->part_raw[k] = L.part[k].raw_size;
        out->part_coded[k] = L.part[k].coded_size;
    }
    out->n_runs = L.n_runs;
    out->base64_runs = L.n_b64;
    out->utf16_order = L.order;
    return 0;
}
