/*
 * lib/format/frame_info.c — the public frame-inspection API (lmz_frame_info.h
 * and lmz_decompressed_size): frame fields, chunk table and the lossy report,
 * read from the header alone, no model needed.
 */
#include <string.h>
#include <zstd.h>

#include "format/frame.h"

size_t lmz_frame_info(const void *src, size_t size, lmz_frame_info_t *info) {
    lmz_frame_header h;
    size_t need = 0;
    if (!src || !info) return LMZ_ERR(LMZ_error_parameter);
    memset(info, 0, sizeof *info);
    size_t r = frame_parse_header(&h, src, size, &need, NULL);
    if (lmz_get_error_code(r) == LMZ_error_src_size) {
        info->header_size = need > size ? need : size + 1;
        return r;
    }
    if (lmz_is_error(r)) return r;
    info->version = h.version;
    info->flags = h.flags;
    memcpy(info->model_name, h.model_name, sizeof info->model_name);
    memcpy(info->model_sha256, h.model_sha256, 32);
    info->window = h.window;
    info->sink_tokens = h.overlap;
    info->chunk_size = h.chunk_size;
    info->original_size = h.original_size;
    info->content_checksum = h.content_checksum;
    info->n_chunks = h.n_chunks;
    info->header_size = h.header_size;
    info->payload_size = h.payload_size;
    info->frame_size = (uint64_t)h.header_size + h.payload_size;
    memcpy(info->dict_sha256, h.dict_sha256, 32);
    info->id_len = h.id_len;
    memcpy(info->dict_name, h.dict_name, sizeof info->dict_name);
    /* the lossy report: a TLV section of the extra area, tagged by its format */
    if (h.extra_size) {
        uint64_t extra_at = h.header_size - 4 - h.extra_size;
        for (uint32_t off = 0; off + 6 <= h.extra_size;) {
            uint16_t tag = lmz_rd16(h.extra + off);
            uint32_t len = lmz_rd32(h.extra + off + 2);
            if (tag == LMZ_FRAME_REPORT_TEXT || tag == LMZ_FRAME_REPORT_ZSTD) {
                info->report_offset = extra_at + off + 6;
                info->report_size = len;
                info->report_format = tag;
                break;
            }
            off += 6 + len;
        }
    }
    frame_header_free(&h);
    return r;
}

size_t lmz_frame_report(const void *src, size_t size, char *dst, size_t cap) {
    if (!src || (!dst && cap)) return LMZ_ERR(LMZ_error_parameter);
    lmz_frame_info_t fi;
    size_t r = lmz_frame_info(src, size, &fi);
    if (lmz_is_error(r)) return r;
    if (cap) dst[0] = 0;
    if (!fi.report_size) return 0;
    const uint8_t *p = (const uint8_t *)src + fi.report_offset; /* inside the parsed header */
    size_t n = (size_t)fi.report_size;
    if (fi.report_format == LMZ_FRAME_REPORT_ZSTD) {
        unsigned long long want = ZSTD_getFrameContentSize(p, n);
        if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN)
            return LMZ_ERR(LMZ_error_corrupt);
        if (want >= cap) return LMZ_ERR(LMZ_error_dst_too_small);
        size_t d = ZSTD_decompress(dst, cap - 1, p, n);
        if (ZSTD_isError(d) || d != want) return LMZ_ERR(LMZ_error_corrupt);
        dst[d] = 0;
        return d;
    }
    if (n >= cap) return LMZ_ERR(LMZ_error_dst_too_small);
    memcpy(dst, p, n);
    dst[n] = 0;
    return n;
}

size_t lmz_frame_chunks(const void *src, size_t size, lmz_chunk_info_t *chunks, size_t cap) {
    lmz_frame_header h;
    size_t need = 0;
    if (!src || (!chunks && cap)) return LMZ_ERR(LMZ_error_parameter);
    size_t r = frame_parse_header(&h, src, size, &need, NULL);
    if (lmz_is_error(r)) return r;
    size_t n = h.n_chunks;
    if (n && cap) memcpy(chunks, h.chunks, (n < cap ? n : cap) * sizeof *chunks); /* the same struct */
    frame_header_free(&h);
    return n;
}

size_t lmz_decompressed_size(const void *src, size_t src_size) {
    const uint8_t *p = src;
    uint64_t total = 0;
    size_t pos = 0;
    if (!src && src_size) return LMZ_ERR(LMZ_error_parameter);
    while (pos < src_size) {
        lmz_frame_info_t fi;
        size_t r = lmz_frame_info(p + pos, src_size - pos, &fi);
        if (lmz_is_error(r)) return r;
        if (fi.frame_size > src_size - pos) return LMZ_ERR(LMZ_error_src_size);
        total += fi.original_size;
        if (total > (uint64_t)SIZE_MAX / 2) return LMZ_ERR(LMZ_error_src_size);
        pos += (size_t)fi.frame_size;
    }
    return (size_t)total;
}
