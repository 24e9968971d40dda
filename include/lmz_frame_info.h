/*
 * lmz_frame_info.h — read the header of an .lmz frame without decoding it.
 *
 * Used by `lmz -l` and by anyone who wants to inspect a frame: which model
 * made it, how big it is, how it is cut into chunks, and how each chunk was
 * coded. Nothing here needs a model or decodes any payload.
 *
 * Conventions are those of lmz.h: functions return a size or an error code
 * (test with lmz_is_error()); the input is untrusted and fully validated
 * (magic, version, header checksum, consistency of the chunk table) before
 * any field is handed out; nothing is allocated, nothing is kept.
 *
 * Typical use, reading a file of concatenated frames:
 *
 *     pos = 0;
 *     while (pos < file_size) {
 *         read some bytes at pos into buf (n of them);
 *         r = lmz_frame_info(buf, n, &fi);
 *         if (lmz_get_error_code(r) == LMZ_error_src_size)
 *             read fi.header_size bytes instead, try again;
 *         ...use fi, lmz_frame_chunks(buf, n, chunks, fi.n_chunks)...
 *         pos += fi.frame_size;
 *     }
 */
#ifndef LMZ_FRAME_INFO_H
#define LMZ_FRAME_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "lmz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Frame flags (lmz_frame_info_t.flags). Unknown bits are rejected. */
#define LMZ_FRAME_FLAG_LOSSY 0x01u /* content is a lossy reconstruction */
#define LMZ_FRAME_FLAG_EXT 0x02u   /* some chunk uses a method >= 5 (lmz 0.3.1+) */
#define LMZ_FRAME_FLAG_DICT 0x04u  /* model-coded chunks need a dictionary (lmz 0.3.1+) */

/* Chunk coding methods (lmz_chunk_info_t.method). */
typedef enum {
    LMZ_METHOD_STORED = 0, /* raw bytes */
    LMZ_METHOD_LM = 1,     /* range-coded tokens under the model */
    LMZ_METHOD_ZSTD = 2,   /* classical fallback: zstd */
    LMZ_METHOD_XZ = 3,     /* classical fallback: xz */
    LMZ_METHOD_LM_MIX = 4, /* model + adaptive mixing */
    LMZ_METHOD_SEG = 5,    /* text and binary segments, each part coded by one of 0-4 */
    LMZ_METHOD_UTF16 = 6   /* UTF-16 text coded as its UTF-8 form by one of 0-4 */
} lmz_method;

#define LMZ_FRAME_MODEL_NAME_MAX 255

/* Formats of the lossy fidelity report (lmz_frame_info_t.report_format),
 * which are also its extra-section tags in the frame header. */
#define LMZ_FRAME_REPORT_TEXT 1 /* UTF-8 text */
#define LMZ_FRAME_REPORT_ZSTD 2 /* that text as one zstd frame */
/* The extra-section tag naming a frame's dictionary (doc/format.md §2). */
#define LMZ_FRAME_DICT_TAG 3

typedef struct {
    unsigned version;             /* frame format version */
    unsigned flags;               /* LMZ_FRAME_FLAG_* */
    char model_name[LMZ_FRAME_MODEL_NAME_MAX + 1]; /* NUL-terminated */
    uint8_t model_sha256[32];     /* SHA-256 of the model's GGUF bytes */
    uint32_t window;              /* attention span, tokens */
    uint32_t sink_tokens;         /* sink tokens of the sliding attention (1);
                                     the header field `overlap` (0.3: renamed) */
    uint32_t chunk_size;          /* max raw bytes per chunk */
    uint64_t original_size;       /* decompressed size of this frame */
    uint64_t content_checksum;    /* checksum of the original bytes */
    uint32_t n_chunks;
    /* Sizes, in bytes. On LMZ_error_src_size, header_size is the number of
     * bytes lmz_frame_info() needs (exact when known, else a lower bound
     * greater than the size given). */
    uint64_t header_size;         /* from frame start to the first payload byte */
    uint64_t payload_size;        /* sum of the chunks' coded sizes */
    uint64_t frame_size;          /* whole frame: where the next frame starts */
    /* The lossy fidelity report (frames flagged LMZ_FRAME_FLAG_LOSSY): the
     * bytes src[report_offset .. report_offset + report_size) of the header,
     * stored as report_format says: LMZ_FRAME_REPORT_TEXT = UTF-8 text,
     * LMZ_FRAME_REPORT_ZSTD = that text as one zstd frame (doc/format.md
     * §6.1). report_size == 0 when the frame has none. lmz_frame_report()
     * gives the text in both cases. */
    uint64_t report_offset;
    uint64_t report_size;
    unsigned report_format;       /* LMZ_FRAME_REPORT_* */
    /* The dictionary the frame needs (flags & LMZ_FRAME_FLAG_DICT): its
     * SHA-256 (lmz_dict_sha256) and name, "" and zeros otherwise. */
    uint8_t dict_sha256[32];
    char dict_name[256];
    /* Bytes of model_sha256 and dict_sha256 the frame records: 32, or 4 in
     * a compact frame (version 2 or 3, doc/format.md §2.2-2.3: one chunk, no
     * model name, the rest of the identities zero; a version 3 frame that
     * names lmz-base by its descriptor has all 32 bytes of model_sha256). */
    unsigned id_len;
} lmz_frame_info_t;

typedef struct {
    uint32_t raw_size;            /* original bytes in this chunk */
    uint32_t coded_size;          /* payload bytes in the frame */
    unsigned method;              /* lmz_method (LMZ_METHOD_*) */
    uint32_t checksum;            /* checksum of the chunk's original bytes */
    uint64_t offset;              /* payload offset from the frame start */
} lmz_chunk_info_t;

/* Parses the frame header at the start of src[0..size). src needs to hold
 * the header only (not the payload). Returns the header size on success and
 * fills *info; LMZ_error_src_size if src is too short (info->header_size then
 * says how many bytes are needed; other fields are unspecified); another
 * error (bad_magic, version, header_checksum, corrupt) otherwise. */
LMZ_API size_t lmz_frame_info(const void *src, size_t size, lmz_frame_info_t *info);

/* The fidelity report of the frame at the start of src (same bytes as for
 * lmz_frame_info()), as text: writes it to dst[0 .. n) and a NUL at dst[n],
 * returns n (0: the frame has no report). LMZ_error_dst_too_small when the
 * text and its NUL do not fit in cap bytes; LMZ_error_corrupt when a
 * compressed report does not decompress (the frame's content is still
 * valid: the report is informative). src is untrusted: nothing is read
 * outside src[0..size) and at most cap bytes are written. */
LMZ_API size_t lmz_frame_report(const void *src, size_t size, char *dst, size_t cap);

/* Fills chunks[0 .. min(cap, n_chunks)) from the chunk table of the frame
 * at the start of src (same bytes as for lmz_frame_info()). Returns n_chunks
 * (which may exceed cap: then only cap entries are written), or an error. */
LMZ_API size_t lmz_frame_chunks(const void *src, size_t size, lmz_chunk_info_t *chunks, size_t cap);

/* What a chunk of method LMZ_METHOD_SEG or LMZ_METHOD_UTF16 holds. */
typedef struct {
    unsigned n_parts;             /* seg: 2 (text, binary); utf16: 1 (the UTF-8 form) */
    unsigned part_method[2];      /* a plain method (0-4) per part */
    uint32_t part_raw[2];         /* bytes each part decodes to */
    uint32_t part_coded[2];       /* bytes of each part's payload */
    uint32_t n_runs;              /* seg: runs (text, binary, base64) */
    uint32_t base64_runs;         /* seg: base64 runs among them */
    unsigned utf16_order;         /* utf16: 0 little-endian, 1 big-endian */
} lmz_chunk_layout_t;

/* Reads the layout of a `seg` or `utf16` chunk from its whole payload
 * (payload[0 .. chunk->coded_size), size >= coded_size). Returns 0 and fills
 * *out, LMZ_error_parameter for another method, LMZ_error_corrupt for a
 * payload that fails doc/format.md's checks. payload is untrusted. */
LMZ_API size_t lmz_chunk_layout(const void *payload, size_t size, const lmz_chunk_info_t *chunk, lmz_chunk_layout_t *out);

#ifdef __cplusplus
}
#endif
#endif /* LMZ_FRAME_INFO_H */
