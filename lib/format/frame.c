/*
 * lib/format/frame.c — the .lmz v1 frame header: writer and defensive parser.
 *
 * doc/format.md is the specification; this file implements exactly it.
 * All integers are little-endian. Layout (offsets from the frame start):
 *
 *     0  u32  magic 0x1A5A4D4C ("LMZ\x1A")
 *     4  u8   version = 1
 *     5  u8   flags (bit 0: lossy; bit 1: methods >= 5 in use; others must be 0)
 *     6  u32  header_size: bytes from the frame start to the first payload
 *    10  u8[32] model_sha256
 *    42  u8   model_name_len L, then L bytes of name (UTF-8, no NUL)
 *  43+L  u16 window, u16 overlap, u32 chunk_size,
 *        u64 original_size, u64 content_checksum, u32 n_chunks
 *  71+L  chunk table: n_chunks x { u32 raw_size, u32 coded_size, u8 method,
 *                                  u32 checksum }            (13 bytes each)
 *        u32 extra_size E, then E bytes of TLV sections (u16 tag, u32 len, data)
 *        u32 header_checksum = low 32 bits of XXH64 (seed 0) of all the
 *            header bytes before it
 *        then the chunk payloads, back to back in table order.
 *
 * So header_size == 79 + L + 13 * n_chunks + E exactly.
 *
 * Parsing order (the input is untrusted):
 *   1. magic, version: checked as soon as their bytes are there;
 *   2. header_size: bounds [79, LMZ_FRAME_HEADER_MAX] before anything uses it;
 *      if fewer bytes are available, ask for header_size bytes;
 *   3. header checksum, before any other field is believed (so a damaged
 *      header is reported as such, not as whatever field the damage hit);
 *   4. every field and the chunk table, for consistency.
 */
#include <stdlib.h>
#include <string.h>

#include "format/frame.h"

#define FRAME_HEADER_MAX (64u * 1024 * 1024) /* no header may claim more */
#define FRAME_PREFIX 10u                     /* magic + version + flags + header_size */

/* ------------------------------------------------------------------------ */
/* Field validation shared by the writer and the parser                     */
/* ------------------------------------------------------------------------ */

/* Checks every field except magic/version/sizes; returns 0 or -code with a
 * message naming the field. The parser reports these codes; the writer turns
 * them into LMZ_error_parameter (it must never write what the parser would
 * reject). */
/* out: where the parser wants the dictionary section's fields (NULL: the writer) */
static int check_fields(const lmz_frame_header *h, lmz_msg *msg, lmz_frame_header *out) {
    RETURN_ERROR_IF(h->flags & ~(unsigned)LMZ_F_KNOWN, LMZ_error_unsupported, msg, "frame header: unknown flags 0x%02x",
                    h->flags);
    RETURN_ERROR_IF(h->window < 2, LMZ_error_corrupt, msg, "frame header: window %u < 2", h->window);
    RETURN_ERROR_IF(h->overlap >= h->window, LMZ_error_corrupt, msg, "frame header: overlap %u >= window %u",
                    h->overlap, h->window);
    RETURN_ERROR_IF(h->chunk_size < 1 || h->chunk_size > LMZ_MAX_CHUNK_SIZE, LMZ_error_corrupt, msg,
                    "frame header: chunk_size %u out of range [1, %u]", h->chunk_size, LMZ_MAX_CHUNK_SIZE);
    RETURN_ERROR_IF(h->n_chunks > LMZ_MAX_CHUNKS_PER_FRAME, LMZ_error_corrupt, msg, "frame header: n_chunks %u > %u",
                    h->n_chunks, LMZ_MAX_CHUNKS_PER_FRAME);
    RETURN_ERROR_IF(h->n_chunks > 0 && !h->chunks, LMZ_error_parameter, msg, "frame header: no chunk table");
    uint64_t raw_sum = 0; /* <= 65536 * 2^26: no overflow */
    for (uint32_t i = 0; i < h->n_chunks; i++) {
        const lmz_chunk_info *c = &h->chunks[i];
        RETURN_ERROR_IF(c->raw_size < 1 || c->raw_size > h->chunk_size, LMZ_error_corrupt, msg,
                        "chunk %u: raw_size %u out of range [1, chunk_size %u]", i, c->raw_size, h->chunk_size);
        /* a method this version does not know passed the header checksum:
         * a newer writer's frame, not damage */
        RETURN_ERROR_IF(c->method >= LMZ_M_COUNT, LMZ_error_unsupported, msg,
                        "chunk %u: method %u is not known to this version", i, c->method);
        RETURN_ERROR_IF(c->method >= LMZ_M_FIRST_EXT && !(h->flags & LMZ_F_EXT), LMZ_error_corrupt, msg,
                        "chunk %u: method %u in a frame without the extended-methods flag", i, c->method);
        RETURN_ERROR_IF(c->coded_size < 1, LMZ_error_corrupt, msg, "chunk %u: coded_size 0", i);
        RETURN_ERROR_IF(c->method == LMZ_M_STORED && c->coded_size != c->raw_size, LMZ_error_corrupt, msg,
                        "chunk %u: stored, but coded_size %u != raw_size %u", i, c->coded_size, c->raw_size);
        raw_sum += c->raw_size;
    }
    RETURN_ERROR_IF(raw_sum != h->original_size, LMZ_error_corrupt, msg,
                    "frame header: original_size %llu != sum of chunk raw sizes %llu",
                    (unsigned long long)h->original_size, (unsigned long long)raw_sum);
    /* The extra area is a sequence of whole TLV sections. */
    RETURN_ERROR_IF(h->extra_size > 0 && !h->extra, LMZ_error_parameter, msg, "frame header: no extra bytes");
    uint64_t off = 0;
    int dict = 0;
    while (off < h->extra_size) {
        RETURN_ERROR_IF(h->extra_size - off < 6, LMZ_error_corrupt, msg, "extra section at %llu: truncated tag/len",
                        (unsigned long long)off);
        uint32_t len = lmz_rd32(h->extra + off + 2);
        RETURN_ERROR_IF(len > h->extra_size - off - 6, LMZ_error_corrupt, msg,
                        "extra section at %llu (tag %u): len %u overruns extra_size %u", (unsigned long long)off,
                        lmz_rd16(h->extra + off), len, h->extra_size);
        const uint16_t tag = lmz_rd16(h->extra + off);
        if (tag == LMZ_FRAME_DICT_TAG && !dict) { /* SHA-256, u8 L, L bytes of name */
            const uint8_t *d = h->extra + off + 6;
            RETURN_ERROR_IF(len < 33 || len != 33u + d[32], LMZ_error_corrupt, msg,
                            "dictionary section: %u bytes, not 33 + its name", len);
            RETURN_ERROR_IF(memchr(d + 33, 0, d[32]), LMZ_error_corrupt, msg, "dictionary section: NUL in the name");
            if (out) {
                memcpy(out->dict_sha256, d, 32);
                memcpy(out->dict_name, d + 33, d[32]);
                out->dict_name[d[32]] = 0;
            }
            dict = 1;
        }
        off += 6 + (uint64_t)len;
    }
    if (frame_is_compact(h->version)) return 0; /* its dictionary identity is inline */
    RETURN_ERROR_IF(dict != !!(h->flags & LMZ_F_DICT), LMZ_error_corrupt, msg,
                    dict ? "frame header: a dictionary section without the dictionary flag"
                         : "frame header: the dictionary flag without a dictionary section");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

static size_t name_len(const lmz_frame_header *h) {
    size_t L = 0;
    while (L <= LMZ_FRAME_MODEL_NAME_MAX && h->model_name[L]) L++;
    return L; /* LMZ_FRAME_MODEL_NAME_MAX + 1 means "not terminated in time" */
}

const uint8_t frame_known_model[32] = {
    0xe5, 0xf0, 0xbd, 0x38, 0xef, 0x84, 0xcd, 0xda, 0x94, 0x29, 0x44, 0x56, 0x9c, 0xac, 0xd9, 0x7e,
    0x4f, 0x1a, 0x4d, 0xf3, 0x59, 0x2d, 0x2e, 0xcf, 0x64, 0x57, 0xca, 0xf9, 0x13, 0xf4, 0x0a, 0x17,
};

/* v3's descriptor byte for h (doc/format.md §2.3) */
static uint8_t c3_desc(const lmz_frame_header *h) {
    uint8_t d = h->n_chunks ? h->chunks[0].method & LMZ_C3_METHOD : 0;
    if (h->flags & LMZ_F_DICT) d |= LMZ_C3_DICT;
    if (h->window != LMZ_COMPACT_WINDOW) d |= LMZ_C3_WINDOW;
    if (!memcmp(h->model_sha256, frame_known_model, 32)) d |= LMZ_C3_BASE;
    return d;
}

static size_t compact_size(const lmz_frame_header *h) {
    if (h->n_chunks > 1 || h->extra_size || (h->flags & LMZ_F_LOSSY) || h->original_size > UINT32_MAX)
        return LMZ_ERR(LMZ_error_parameter);
    const size_t sizes = lmz_varint_len((uint32_t)h->original_size) +
                         (h->n_chunks ? lmz_varint_len(h->chunks[0].coded_size) : 0) + 4 + 2;
    if (h->version == LMZ_FORMAT_COMPACT_V2)
        return 7 + LMZ_COMPACT_ID * (1 + !!(h->flags & LMZ_F_DICT)) + lmz_varint_len(h->window) + sizes;
    if (h->n_chunks && h->chunks[0].method > LMZ_C3_METHOD) return LMZ_ERR(LMZ_error_parameter);
    const uint8_t d = c3_desc(h);
    return 6 + (d & LMZ_C3_BASE ? 0 : LMZ_COMPACT_ID) + (d & LMZ_C3_DICT ? LMZ_COMPACT_ID : 0) +
           (d & LMZ_C3_WINDOW ? lmz_varint_len(h->window) : 0) + sizes;
}

size_t frame_header_size(const lmz_frame_header *h) {
    if (frame_is_compact(h->version)) return compact_size(h);
    size_t L = name_len(h);
    if (L > LMZ_FRAME_MODEL_NAME_MAX) return LMZ_ERR(LMZ_error_parameter);
    if (h->n_chunks > LMZ_MAX_CHUNKS_PER_FRAME) return LMZ_ERR(LMZ_error_parameter);
    uint64_t size = LMZ_FRAME_FIXED + (uint64_t)L + (uint64_t)LMZ_FRAME_CHUNK_ENTRY * h->n_chunks + h->extra_size;
    if (size > FRAME_HEADER_MAX) return LMZ_ERR(LMZ_error_parameter);
    return (size_t)size;
}

/* The version written is always LMZ_FORMAT_VERSION (h->version is ignored:
 * this code writes only the v1 layout). */
size_t frame_write_header(const lmz_frame_header *h, uint8_t *dst, size_t cap) {
    size_t size = frame_header_size(h);
    if (lmz_is_error(size)) return size;
    if (check_fields(h, NULL, NULL) != 0) return LMZ_ERR(LMZ_error_parameter);
    if (frame_is_compact(h->version)) {
        if (cap < size) return LMZ_ERR(LMZ_error_dst_too_small);
        uint8_t *p = dst;
        lmz_wr32(p, LMZ_MAGIC);
        p[4] = h->version;
        if (h->version == LMZ_FORMAT_COMPACT_V2) {
            p[5] = h->flags;
            p[6] = h->n_chunks ? h->chunks[0].method : 0;
            p += 7;
            memcpy(p, h->model_sha256, LMZ_COMPACT_ID), p += LMZ_COMPACT_ID;
            if (h->flags & LMZ_F_DICT) memcpy(p, h->dict_sha256, LMZ_COMPACT_ID), p += LMZ_COMPACT_ID;
            p += lmz_varint_put(p, h->window);
        } else {
            const uint8_t d = c3_desc(h);
            p[5] = d;
            p += 6;
            if (!(d & LMZ_C3_BASE)) memcpy(p, h->model_sha256, LMZ_COMPACT_ID), p += LMZ_COMPACT_ID;
            if (d & LMZ_C3_DICT) memcpy(p, h->dict_sha256, LMZ_COMPACT_ID), p += LMZ_COMPACT_ID;
            if (d & LMZ_C3_WINDOW) p += lmz_varint_put(p, h->window);
        }
        p += lmz_varint_put(p, (uint32_t)h->original_size);
        if (h->n_chunks) p += lmz_varint_put(p, h->chunks[0].coded_size);
        lmz_wr32(p, (uint32_t)h->content_checksum), p += 4;
        lmz_wr16(p, (uint16_t)lmz_xxh64(dst, (size_t)(p - dst))), p += 2;
        return (size_t)(p - dst);
    }
    if (cap < size) return LMZ_ERR(LMZ_error_dst_too_small);
    size_t L = name_len(h);

    uint8_t *p = dst;
    lmz_wr32(p, LMZ_MAGIC), p += 4;
    *p++ = LMZ_FORMAT_VERSION;
    *p++ = h->flags;
    lmz_wr32(p, (uint32_t)size), p += 4;
    memcpy(p, h->model_sha256, 32), p += 32;
    *p++ = (uint8_t)L;
    memcpy(p, h->model_name, L), p += L;
    lmz_wr16(p, h->window), p += 2;
    lmz_wr16(p, h->overlap), p += 2;
    lmz_wr32(p, h->chunk_size), p += 4;
    lmz_wr64(p, h->original_size), p += 8;
    lmz_wr64(p, h->content_checksum), p += 8;
    lmz_wr32(p, h->n_chunks), p += 4;
    for (uint32_t i = 0; i < h->n_chunks; i++) {
        const lmz_chunk_info *c = &h->chunks[i];
        lmz_wr32(p, c->raw_size), p += 4;
        lmz_wr32(p, c->coded_size), p += 4;
        *p++ = c->method;
        lmz_wr32(p, c->checksum), p += 4;
    }
    lmz_wr32(p, h->extra_size), p += 4;
    if (h->extra_size) memcpy(p, h->extra, h->extra_size), p += h->extra_size;
    lmz_wr32(p, (uint32_t)lmz_xxh64(dst, (size_t)(p - dst)));
    p += 4;
    return (size_t)(p - dst); /* == size */
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                   */
/* ------------------------------------------------------------------------ */

void frame_header_free(lmz_frame_header *h) {
    if (!h) return;
    free(h->chunks);
    free(h->extra);
    h->chunks = NULL;
    h->extra = NULL;
    h->n_chunks = 0;
    h->extra_size = 0;
}

static size_t need_more(size_t *need, size_t n, lmz_msg *msg, size_t want) {
    if (need) *need = want;
    RETURN_ERROR_SIZE(LMZ_error_src_size, msg, "frame header: %zu bytes available, need %zu", n, want);
}

/* The compact header (doc/format.md §2.2, §2.3): the structure, its
 * checksum, then the fields, as for v1. */
static size_t compact_parse(lmz_frame_header *h, const uint8_t *src, size_t n, size_t *need, lmz_msg *msg) {
    /* needs: lower bounds (a stream reader waits for that many bytes): the
     * fixed part, then at least a byte per size, the checksums */
    const int v3 = src[4] == LMZ_FORMAT_COMPACT;
    if (n < 7) return need_more(need, n, msg, v3 ? LMZ_COMPACT_MIN : LMZ_COMPACT_V2_MIN);
    /* v2: flags, method, model id, [dict id], window; v3: descriptor, [model id], [dict id], [window] */
    const uint8_t b5 = src[5], d = v3 ? b5 : 0;
    const int has_model = !v3 || !(d & LMZ_C3_BASE), has_dict = v3 ? !!(d & LMZ_C3_DICT) : !!(b5 & LMZ_F_DICT);
    const int has_window = !v3 || (d & LMZ_C3_WINDOW);
    size_t at = (v3 ? 6 : 7) + (has_model ? LMZ_COMPACT_ID : 0) + (has_dict ? LMZ_COMPACT_ID : 0);
    const size_t ids = at;
    if (n < at) return need_more(need, n, msg, at + 1 + 6 + has_window);
    uint32_t f[3] = {LMZ_COMPACT_WINDOW, 0, 0}; /* window, raw_size, coded_size (only when raw_size > 0) */
    for (int i = has_window ? 0 : 1; i < 3 && (i < 2 || f[1]); i++) {
        int truncated = 0;
        const size_t k = lmz_varint_get(src + at, n - at, &f[i], &truncated);
        if (!k && truncated) return need_more(need, n, msg, n + 1);
        RETURN_ERROR_SIZE_IF(!k, LMZ_error_corrupt, msg, "compact frame header: a size longer than 5 bytes");
        at += k;
    }
    const uint32_t window = f[0], orig = f[1], coded = f[2];
    const size_t hsize = at + 6;
    if (n < hsize) return need_more(need, n, msg, hsize);
    const uint16_t stored = lmz_rd16(src + at + 4), actual = (uint16_t)lmz_xxh64(src, at + 4);
    RETURN_ERROR_SIZE_IF(stored != actual, LMZ_error_header_checksum, msg,
                         "compact frame header checksum mismatch (stored %04x, computed %04x)", stored, actual);
    const uint8_t method = v3 ? d & LMZ_C3_METHOD : src[6];
    h->version = src[4];
    h->id_len = LMZ_COMPACT_ID;
    if (v3) {
        RETURN_ERROR_SIZE_IF(d & ~LMZ_C3_KNOWN, LMZ_error_unsupported, msg,
                             "compact frame header: unknown descriptor bits 0x%02x", d & ~LMZ_C3_KNOWN);
        h->flags = (uint8_t)((has_dict ? LMZ_F_DICT : 0) | (method >= LMZ_M_FIRST_EXT ? LMZ_F_EXT : 0));
        RETURN_ERROR_SIZE_IF(!orig && has_dict, LMZ_error_corrupt, msg, "empty compact frame with a dictionary");
    } else
        h->flags = b5;
    if (has_model) memcpy(h->model_sha256, src + (v3 ? 6 : 7), LMZ_COMPACT_ID);
    else { /* the descriptor names lmz-base: its hash and name are the format's */
        memcpy(h->model_sha256, frame_known_model, 32);
        memcpy(h->model_name, "lmz-base", sizeof "lmz-base");
    }
    if (has_dict) memcpy(h->dict_sha256, src + ids - LMZ_COMPACT_ID, LMZ_COMPACT_ID);
    RETURN_ERROR_SIZE_IF(window > 0xFFFF, LMZ_error_corrupt, msg, "compact frame header: window %u > 65535", window);
    RETURN_ERROR_SIZE_IF(orig > LMZ_MAX_CHUNK_SIZE, LMZ_error_corrupt, msg,
                         "compact frame header: size %u above the chunk limit", orig);
    RETURN_ERROR_SIZE_IF(h->flags & LMZ_F_LOSSY, LMZ_error_corrupt, msg, "compact frame with the lossy flag");
    RETURN_ERROR_SIZE_IF(!orig && method, LMZ_error_corrupt, msg, "empty compact frame with method %u", method);
    h->window = (uint16_t)window;
    h->overlap = 1; /* implied (doc/format.md §4.1) */
    h->chunk_size = orig ? orig : 1;
    h->original_size = orig;
    h->content_checksum = lmz_rd32(src + at);
    h->header_size = (uint32_t)hsize;
    h->payload_size = coded;
    if (orig) {
        h->chunks = malloc(sizeof *h->chunks);
        RETURN_ERROR_SIZE_IF(!h->chunks, LMZ_error_memory, msg, "frame header: out of memory");
        h->n_chunks = 1;
        h->chunks[0].raw_size = orig;
        h->chunks[0].coded_size = coded;
        h->chunks[0].method = method;
        h->chunks[0].checksum = (uint32_t)h->content_checksum; /* the one chunk is the content */
        h->chunks[0].offset = hsize;
    }
    int rc = check_fields(h, msg, NULL);
    if (rc != 0) {
        frame_header_free(h);
        return LMZ_ERR_FROM_INT(rc);
    }
    return hsize;
}

/* h is overwritten (any previous contents are not freed). On error h is left
 * empty (nothing to free). */
size_t frame_parse_header(lmz_frame_header *h, const uint8_t *src, size_t n, size_t *need, lmz_msg *msg) {
    memset(h, 0, sizeof *h);
    if (need) *need = 0;

    /* 1. magic and version, on whatever prefix is there */
    static const uint8_t magic[4] = {0x4C, 0x4D, 0x5A, 0x1A};
    for (size_t i = 0; i < 4 && i < n; i++)
        RETURN_ERROR_SIZE_IF(src[i] != magic[i], LMZ_error_bad_magic, msg, "not an lmz frame (bad magic)");
    RETURN_ERROR_SIZE_IF(n > 4 && src[4] != LMZ_FORMAT_VERSION && !frame_is_compact(src[4]), LMZ_error_version, msg,
                         "frame format version %u (this build reads %u to %u)", src[4], LMZ_FORMAT_VERSION,
                         LMZ_FORMAT_COMPACT);
    if (n > 4 && frame_is_compact(src[4])) return compact_parse(h, src, n, need, msg);
    if (n <= 4) return need_more(need, n, msg, LMZ_COMPACT_MIN); /* the version decides */
    if (n < FRAME_PREFIX) return need_more(need, n, msg, LMZ_FRAME_FIXED);

    /* 2. header_size, bounded before use */
    uint32_t hsize = lmz_rd32(src + 6);
    RETURN_ERROR_SIZE_IF(hsize < LMZ_FRAME_FIXED || hsize > FRAME_HEADER_MAX, LMZ_error_corrupt, msg,
                         "frame header: header_size %u out of range [%u, %u]", hsize, LMZ_FRAME_FIXED,
                         FRAME_HEADER_MAX);
    if (n < hsize) return need_more(need, n, msg, hsize);

    /* 3. the checksum, before any other field is believed */
    uint32_t stored = lmz_rd32(src + hsize - 4);
    uint32_t actual = (uint32_t)lmz_xxh64(src, hsize - 4);
    RETURN_ERROR_SIZE_IF(stored != actual, LMZ_error_header_checksum, msg,
                         "frame header checksum mismatch (stored %08x, computed %08x)", stored, actual);

    /* 4. the fields. Every read below stays inside [0, hsize - 4): the fixed
     *    part fits (hsize >= 79), and the variable parts are checked against
     *    hsize before they are read. */
    const uint8_t *p = src + FRAME_PREFIX;
    const uint8_t *end = src + hsize - 4; /* the checksum */
    h->version = src[4];
    h->id_len = 32;
    h->flags = src[5];
    h->header_size = hsize;
    memcpy(h->model_sha256, p, 32), p += 32;
    size_t L = *p++;
    RETURN_ERROR_SIZE_IF(LMZ_FRAME_FIXED + L > hsize, LMZ_error_corrupt, msg,
                         "frame header: model_name_len %zu does not fit header_size %u", L, hsize);
    RETURN_ERROR_SIZE_IF(memchr(p, 0, L), LMZ_error_corrupt, msg, "frame header: model_name contains a NUL byte");
    memcpy(h->model_name, p, L), p += L;
    h->model_name[L] = 0;
    h->window = lmz_rd16(p), p += 2;
    h->overlap = lmz_rd16(p), p += 2;
    h->chunk_size = lmz_rd32(p), p += 4;
    h->original_size = lmz_rd64(p), p += 8;
    h->content_checksum = lmz_rd64(p), p += 8;
    h->n_chunks = lmz_rd32(p), p += 4;
    if (h->n_chunks > LMZ_MAX_CHUNKS_PER_FRAME) {
        uint32_t nc = h->n_chunks;
        h->n_chunks = 0;
        RETURN_ERROR_SIZE(LMZ_error_corrupt, msg, "frame header: n_chunks %u > %u", nc, LMZ_MAX_CHUNKS_PER_FRAME);
    }
    /* table + extra_size field must fit before the checksum */
    uint64_t table = (uint64_t)LMZ_FRAME_CHUNK_ENTRY * h->n_chunks;
    if (table + 4 > (uint64_t)(end - p)) {
        uint32_t nc = h->n_chunks;
        h->n_chunks = 0;
        RETURN_ERROR_SIZE(LMZ_error_corrupt, msg, "frame header: n_chunks %u does not fit header_size %u", nc, hsize);
    }
    const uint8_t *tab = p;
    p += table;
    uint32_t E = lmz_rd32(p);
    p += 4;
    if ((uint64_t)E != (uint64_t)(end - p)) {
        h->n_chunks = 0;
        RETURN_ERROR_SIZE(LMZ_error_corrupt, msg, "frame header: extra_size %u inconsistent with header_size %u", E,
                          hsize);
    }

    if (h->n_chunks) {
        h->chunks = malloc((size_t)h->n_chunks * sizeof *h->chunks);
        if (!h->chunks) {
            uint32_t nc = h->n_chunks;
            h->n_chunks = 0;
            RETURN_ERROR_SIZE(LMZ_error_memory, msg, "frame header: no memory for %u chunks", nc);
        }
    }
    uint64_t off = hsize;
    for (uint32_t i = 0; i < h->n_chunks; i++, tab += LMZ_FRAME_CHUNK_ENTRY) {
        lmz_chunk_info *c = &h->chunks[i];
        c->raw_size = lmz_rd32(tab);
        c->coded_size = lmz_rd32(tab + 4);
        c->method = tab[8];
        c->checksum = lmz_rd32(tab + 9);
        c->offset = off;
        off += c->coded_size; /* <= 64 MiB + 65536 * (2^32 - 1): no overflow */
    }
    h->payload_size = off - hsize;
    if (E) {
        h->extra = malloc(E);
        if (!h->extra) {
            frame_header_free(h);
            RETURN_ERROR_SIZE(LMZ_error_memory, msg, "frame header: no memory for %u extra bytes", E);
        }
        memcpy(h->extra, p, E);
    }
    h->extra_size = E;

    int rc = check_fields(h, msg, h);
    if (rc != 0) {
        frame_header_free(h);
        return LMZ_ERR_FROM_INT(rc);
    }
    return hsize;
}
