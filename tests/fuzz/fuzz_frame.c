/*
 * tests/fuzz/fuzz_frame.c — the frame header parser on arbitrary bytes:
 * lmz_frame_info(), lmz_frame_chunks(), lmz_decompressed_size().
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
 * original_size, known methods, the report inside the header), and any
 * shorter prefix asks for more bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"

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
    FUZZ_ASSERT(r == fi.header_size && r >= 79 && r <= n, "header size %zu (info %llu, input %zu)", r,
                (unsigned long long)fi.header_size, n);
    FUZZ_ASSERT(fi.version == 1 && (fi.flags & ~1u) == 0, "version %u flags %u", fi.version, fi.flags);
    FUZZ_ASSERT(fi.n_chunks <= 65536, "n_chunks %u", fi.n_chunks);
    FUZZ_ASSERT(fi.window >= 2 && fi.sink_tokens < fi.window, "window %u overlap %u", fi.window, fi.sink_tokens);
    FUZZ_ASSERT(fi.chunk_size >= 1 && fi.chunk_size <= (1u << 26), "chunk_size %u", fi.chunk_size);
    FUZZ_ASSERT(fi.frame_size == fi.header_size + fi.payload_size, "frame size");
    FUZZ_ASSERT(strlen(fi.model_name) <= LMZ_FRAME_MODEL_NAME_MAX, "name");
    FUZZ_ASSERT(fi.header_size >= 79 + strlen(fi.model_name) + 13ull * fi.n_chunks, "header_size %llu too small for "
                "the name and %u chunks", (unsigned long long)fi.header_size, fi.n_chunks);
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
        FUZZ_ASSERT(ch[i].method <= LMZ_METHOD_LM_MIX, "chunk %u method %u", i, ch[i].method);
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
