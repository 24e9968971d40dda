/*
 * lib/codec/classic.c — the classical chunk methods (zstd, raw LZMA2) on the
 * decoding side; the compressor uses classic_decode to verify its own output.
 */
#include <lzma.h>
#include <string.h>
#include <zstd.h>

#include "codec/codec.h"

/* ======================================================================== */
/* Classical chunk methods                                                   */
/* ======================================================================== */

int classic_decode(uint8_t method, const uint8_t *src, size_t n, uint8_t *dst, size_t raw, lmz_msg *msg) {
    if (method == LMZ_M_ZSTD) {
        unsigned long long want = ZSTD_getFrameContentSize(src, n);
        RETURN_ERROR_IF(want != raw, LMZ_error_corrupt, msg, "zstd chunk: content size does not match the table");
        size_t r = ZSTD_decompress(dst, raw, src, n);
        RETURN_ERROR_IF(ZSTD_isError(r) || r != raw, LMZ_error_corrupt, msg, "zstd chunk: %s",
                        ZSTD_isError(r) ? ZSTD_getErrorName(r) : "size");
        return 0;
    }
    if (method == LMZ_M_XZ) { /* raw LZMA2, dictionary from raw_size */
        lzma_options_lzma opt;
        memset(&opt, 0, sizeof opt);
        opt.dict_size = lzma2_dict_size(raw);
        lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
        size_t in_pos = 0, out_pos = 0;
        lzma_ret r = lzma_raw_buffer_decode(filters, NULL, src, &in_pos, n, dst, &out_pos, raw);
        RETURN_ERROR_IF(r != LZMA_OK || in_pos != n || out_pos != raw, LMZ_error_corrupt, msg,
                        "xz chunk: decoding failed (liblzma code %d)", (int)r);
        return 0;
    }
    RETURN_ERROR(LMZ_error_unsupported, msg, "unknown chunk method %u", method);
}
