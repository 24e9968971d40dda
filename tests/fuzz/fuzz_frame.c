/*
 * tests/fuzz/fuzz_frame.c — the frame header parser on arbitrary bytes:
 * lmz_frame_info(), lmz_frame_chunks(), lmz_decompressed_size(), and
 * lmz_chunk_layout() on the payloads of `seg` / `utf16` chunks.
 *
 * Input: byte 0 selects the mode, the rest is the frame.
 *   bit 0 clear: the bytes as they are (magic, version and the header
 *                checksum reject almost everything);
 *   bit 0 set:   "sealed": magic and version are forced and, when the
 *                header_size field fits the input, the header checksum is
 *                recomputed, so that the field checks behind it are reached.
 *
 * Invariants checked on success: sizes and offsets agree with each other and
 * with doc/format.md (header_size <= input, payload = sum of coded sizes,
 * offsets contiguous from header_size, 1 <= raw <= chunk_size, sum of raw ==
 * original_size, known methods, methods 5-6 only with flag bit 1, the
 * report inside the header), any shorter prefix asks for more bytes, and a
 * seg/utf16 chunk's layout, when its payload is there, either is refused as
 * corrupt or has its parts inside the payload with raw sizes that fit the
 * chunk's.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"

/* The layout of a seg/utf16 chunk whose payload is in src[0..n). */
static void check_layout(const uint8_t *src, size_t n, const lmz_chunk_info_t *c, uint32_t i) {
    lmz_chunk_layout_t lay;
    size_t r = lmz_chunk_layout(src + c->offset, n - c->offset, c, &lay);
    if (lmz_is_error(r)) {
        FUZZ_ASSERT(lmz_get_error_code(r) == LMZ_error_corrupt, "chunk %u: layout: %s", i, lmz_error_name(r));
        return;
    }
    const unsigned want = c->method == LMZ_METHOD_SEG ? 2 : 1;
    FUZZ_ASSERT(lay.n_parts == want, "chunk %u: %u parts", i, lay.n_parts);
    uint64_t coded = 0, raw = 0;
    for (unsigned k = 0; k < lay.n_parts; k++) {
        FUZZ_ASSERT(lay.part_method[k] <= LMZ_METHOD_LM_MIX &&
                        (lay.part_raw[k] ? lay.part_coded[k] >= 1
                                         : lay.part_coded[k] == 0 && lay.part_method[k] == LMZ_METHOD_STORED),
                    "chunk %u part %u: method %u, %u -> %u", i, k, lay.part_method[k], lay.part_raw[k],
                    lay.part_coded[k]);
        coded += lay.part_coded[k];
        raw += lay.part_raw[k];
    }
    FUZZ_ASSERT(coded < c->coded_size, "chunk %u: parts of %llu coded bytes in %u", i, (unsigned long long)coded,
                c->coded_size);
    if (c->method == LMZ_METHOD_SEG) /* base64 runs take fewer bytes from their part than they make */
        FUZZ_ASSERT(raw >= 1 && raw <= c->raw_size && lay.n_runs >= 1 && lay.n_runs <= c->raw_size &&
                        lay.base64_runs <= lay.n_runs && (raw == c->raw_size || lay.base64_runs > 0),
                    "chunk %u: seg parts of %llu bytes for %u, %u runs (%u base64)", i, (unsigned long long)raw,
                    c->raw_size, lay.n_runs, lay.base64_runs);
    else
        FUZZ_ASSERT(c->raw_size % 2 == 0 && raw * 2 >= c->raw_size && raw * 2 <= 3ull * c->raw_size &&
                        lay.utf16_order <= 1 && coded + 6 == c->coded_size,
                    "chunk %u: utf16 part of %llu bytes for %u", i, (unsigned long long)raw, c->raw_size);
}

static void check_frame(const uint8_t *src, size_t n) {
    lmz_frame_info_t fi;
    size_t r = lmz_frame_info(src, n, &fi);
    if (lmz_is_error(r)) {
        if (lmz_get_error_code(r) == LMZ_error_src_size)
            FUZZ_ASSERT(fi.header_size > n, "src_size but header_size %llu <= %zu", (unsigned long long)fi.header_size,
                        n);
        size_t rc = lmz_frame_chunks(src, n, NULL, 0);
        FUZZ_ASSERT(lmz_is_error(rc), "frame_chunks accepts what frame_info rejects");
        return;
    }
    /* v1: the full header; v2: the compact one (doc/format.md §2.2) */
    const int compact = fi.version >= 2;
    FUZZ_ASSERT(r == fi.header_size && r >= (compact ? 15u : 79u) && r <= n && (!compact || r <= 35),
                "header size %zu (info %llu, input %zu)", r, (unsigned long long)fi.header_size, n);
    FUZZ_ASSERT((fi.version == 1 || compact) &&
                    (fi.flags & ~(unsigned)(LMZ_FRAME_FLAG_LOSSY | LMZ_FRAME_FLAG_EXT | LMZ_FRAME_FLAG_DICT)) == 0,
                "version %u flags %u", fi.version, fi.flags);
    FUZZ_ASSERT(fi.id_len == (compact ? 4u : 32u), "id_len %u", fi.id_len);
    if (compact)
        FUZZ_ASSERT(fi.n_chunks <= 1 && !(fi.flags & LMZ_FRAME_FLAG_LOSSY) && !fi.report_size && !fi.model_name[0] &&
                        !fi.dict_name[0],
                    "compact frame: %u chunks, flags %u", fi.n_chunks, fi.flags);
    FUZZ_ASSERT(fi.n_chunks <= 65536, "n_chunks %u", fi.n_chunks);
    FUZZ_ASSERT(fi.window >= 2 && fi.sink_tokens < fi.window, "window %u overlap %u", fi.window, fi.sink_tokens);
    FUZZ_ASSERT(fi.chunk_size >= 1 && fi.chunk_size <= (1u << 26), "chunk_size %u", fi.chunk_size);
    FUZZ_ASSERT(fi.frame_size == fi.header_size + fi.payload_size, "frame size");
    FUZZ_ASSERT(strlen(fi.model_name) <= LMZ_FRAME_MODEL_NAME_MAX, "name");
    FUZZ_ASSERT(compact || fi.header_size >= 79 + strlen(fi.model_name) + 13ull * fi.n_chunks,
                "header_size %llu too small for the name and %u chunks", (unsigned long long)fi.header_size,
                fi.n_chunks);
    if (fi.report_size)
        FUZZ_ASSERT(fi.report_offset >= 79 && fi.report_offset + fi.report_size <= fi.header_size - 4,
                    "report [%llu, +%llu) outside the header", (unsigned long long)fi.report_offset,
                    (unsigned long long)fi.report_size);
    {
        /* the report as text: within the buffer given, NUL-terminated */
        char rep[512];
        size_t rn = lmz_frame_report(src, n, rep, sizeof rep);
        if (!lmz_is_error(rn)) {
            FUZZ_ASSERT(rn < sizeof rep && rep[rn] == 0, "report text %zu not terminated", rn);
            FUZZ_ASSERT(fi.report_size || rn == 0, "report text without a report");
        } else {
            size_t e = lmz_get_error_code(rn);
            FUZZ_ASSERT(e == LMZ_error_dst_too_small || (e == LMZ_error_corrupt && fi.report_format == 2),
                        "report: %s", lmz_error_name(rn));
        }
    }

    lmz_chunk_info_t *ch = malloc((fi.n_chunks ? fi.n_chunks : 1) * sizeof *ch);
    FUZZ_ASSERT(ch, "oom");
    size_t nc = lmz_frame_chunks(src, n, ch, fi.n_chunks);
    FUZZ_ASSERT(nc == fi.n_chunks, "frame_chunks %zu != n_chunks %u", nc, fi.n_chunks);
    FUZZ_ASSERT(lmz_frame_chunks(src, n, NULL, 0) == fi.n_chunks, "count-only call");
    uint64_t off = fi.header_size, raw = 0;
    for (uint32_t i = 0; i < fi.n_chunks; i++) {
        FUZZ_ASSERT(ch[i].offset == off, "chunk %u offset %llu != %llu", i, (unsigned long long)ch[i].offset,
                    (unsigned long long)off);
        FUZZ_ASSERT(ch[i].raw_size >= 1 && ch[i].raw_size <= fi.chunk_size, "chunk %u raw %u", i, ch[i].raw_size);
        FUZZ_ASSERT(ch[i].coded_size >= 1, "chunk %u coded 0", i);
        FUZZ_ASSERT(ch[i].method <= LMZ_METHOD_UTF16, "chunk %u method %u", i, ch[i].method);
        FUZZ_ASSERT(ch[i].method < LMZ_METHOD_SEG || (fi.flags & LMZ_FRAME_FLAG_EXT), "chunk %u: method %u without "
                    "flag bit 1", i, ch[i].method);
        if (ch[i].method >= LMZ_METHOD_SEG && ch[i].offset + ch[i].coded_size <= n) check_layout(src, n, &ch[i], i);
        FUZZ_ASSERT(ch[i].method != LMZ_METHOD_STORED || ch[i].coded_size == ch[i].raw_size, "stored sizes");
        off += ch[i].coded_size;
        raw += ch[i].raw_size;
    }
    FUZZ_ASSERT(off == fi.frame_size, "sum of coded sizes");
    FUZZ_ASSERT(raw == fi.original_size, "sum of raw sizes %llu != original %llu", (unsigned long long)raw,
                (unsigned long long)fi.original_size);
    if (fi.n_chunks > 1) { /* a short array gets the first entries only */
        lmz_chunk_info_t one;
        FUZZ_ASSERT(lmz_frame_chunks(src, n, &one, 1) == fi.n_chunks && one.offset == ch[0].offset, "cap 1");
    }
    free(ch);

    /* every shorter prefix of the header asks for more bytes (sampled) */
    size_t cuts[4] = {0, 9, fi.header_size / 2, fi.header_size - 1};
    for (int i = 0; i < 4; i++) {
        if (cuts[i] >= fi.header_size) continue;
        lmz_frame_info_t pi;
        size_t pr = lmz_frame_info(src, cuts[i], &pi);
        FUZZ_ASSERT(lmz_get_error_code(pr) == LMZ_error_src_size && pi.header_size > cuts[i],
                    "prefix %zu of a %llu-byte header: %s", cuts[i], (unsigned long long)fi.header_size,
                    lmz_error_name(pr));
    }

    /* the sizes of all the frames in the input */
    size_t ds = lmz_decompressed_size(src, n);
    if (!lmz_is_error(ds) && fi.frame_size == n) FUZZ_ASSERT(ds == fi.original_size, "decompressed_size");
    if (fi.frame_size > n) FUZZ_ASSERT(lmz_is_error(ds), "decompressed_size of a truncated frame");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    size_t n = size - 1;
    uint8_t *b = malloc(n ? n : 1); /* exact size: overreads are caught */
    if (!b) return 0;
    if (n) memcpy(b, data + 1, n);
    if (mode & 1) {
        static const uint8_t magic[5] = {0x4C, 0x4D, 0x5A, 0x1A, 1};
        memcpy(b, magic, n < 5 ? n : 5);
        if (n >= 10) {
            uint32_t hs = lmz_rd32(b + 6);
            if (hs >= 79 && hs <= n) lmz_wr32(b + hs - 4, (uint32_t)lmz_xxh64(b, hs - 4));
        }
    }
    check_frame(b, n);
    free(b);
    return 0;
}
