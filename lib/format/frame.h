/*
 * lib/format/frame.h — the .lmz frame (v1): header, chunk table, checksums.
 * The byte-level specification is doc/format.md; this is its only codec.
 *
 * Parsing is defensive: the input is untrusted. frame_parse_header() checks
 * magic, version, sizes, counts and the header checksum before it hands out
 * any field, and checks that the chunk table is consistent (sum of raw sizes
 * == original size, each raw size <= chunk_size, coded sizes summing to the
 * payload size, methods known, stored chunks coded == raw).
 */
#ifndef LMZ_FRAME_H
#define LMZ_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "lmz_frame_info.h" /* methods, flags, name limit, report formats, chunk info: public */

#define LMZ_MAGIC 0x1A5A4D4Cu /* "LMZ\x1A" little-endian */
#define LMZ_FORMAT_VERSION 1
/* The compact frame (doc/format.md §2.2): version 2, one chunk at most, no
 * chunk table, variable-length sizes, the model's and the dictionary's
 * SHA-256 shortened to LMZ_COMPACT_ID bytes (the full ones are those of the
 * model and dictionary in use, which the reader compares). */
#define LMZ_FORMAT_COMPACT_V2 2 /* read, and written only when asked (tests) */
/* Version 3 (doc/format.md §2.3, lmz 0.3.1; what the compressor writes):
 * one descriptor byte (method, which fields follow), no model identity for
 * the well-known default model, no window when it is 1024, the same sizes
 * and checksums: 16 bytes for a typical small file, 20 with a dictionary. */
#define LMZ_FORMAT_COMPACT 3
#define LMZ_COMPACT_ID 4
#define LMZ_COMPACT_MAX 35u /* the largest compact header (v2; v3's is 32) */
#define LMZ_COMPACT_MIN 13u /* the smallest (an empty v3 frame): also the least any frame needs */
#define LMZ_COMPACT_V2_MIN 19u /* the smallest v2 frame */
#define LMZ_COMPACT_WINDOW 1024u /* v3: the window when the frame does not record one */
/* v3 descriptor bits */
#define LMZ_C3_METHOD 0x07u /* the chunk's method */
#define LMZ_C3_DICT 0x08u   /* a dictionary identity follows (flag LMZ_F_DICT) */
#define LMZ_C3_WINDOW 0x10u /* a window follows (else LMZ_COMPACT_WINDOW) */
#define LMZ_C3_BASE 0x20u   /* the model is lmz-base (frame_known_model): no model identity */
#define LMZ_C3_KNOWN 0x3Fu  /* bits this version knows */
/* The SHA-256 of the model a v3 descriptor's LMZ_C3_BASE names (lmz-base,
 * models/lmz-base.gguf; a test checks it against the embedded model). */
extern const uint8_t frame_known_model[32];
/* Is h a compact frame (version 2 or 3)? */
static inline int frame_is_compact(uint8_t version) {
    return version == LMZ_FORMAT_COMPACT_V2 || version == LMZ_FORMAT_COMPACT;
}

/* Chunk methods: the public lmz_method (lmz_frame_info.h), short names. */
enum {
    LMZ_M_STORED = LMZ_METHOD_STORED,
    LMZ_M_LM = LMZ_METHOD_LM,         /* range-coded tokens under the model */
    LMZ_M_ZSTD = LMZ_METHOD_ZSTD,     /* libzstd frame */
    LMZ_M_XZ = LMZ_METHOD_XZ,         /* raw LZMA2 */
    LMZ_M_LM_MIX = LMZ_METHOD_LM_MIX, /* model + adaptive mixing */
    LMZ_M_SEG = LMZ_METHOD_SEG,       /* text + binary segments (codec/layout.c) */
    LMZ_M_UTF16 = LMZ_METHOD_UTF16,   /* UTF-16 as UTF-8 (codec/layout.c) */
    LMZ_M_COUNT                       /* methods known to this version */
};

/* Frame flags: the public LMZ_FRAME_FLAG_* (lmz_frame_info.h). */
#define LMZ_F_LOSSY LMZ_FRAME_FLAG_LOSSY
#define LMZ_F_EXT LMZ_FRAME_FLAG_EXT /* methods >= LMZ_M_FIRST_EXT in use: older readers say "unsupported" */
#define LMZ_F_DICT LMZ_FRAME_FLAG_DICT /* model-coded chunks need the dictionary the extra section names */
#define LMZ_F_KNOWN (LMZ_FRAME_FLAG_LOSSY | LMZ_FRAME_FLAG_EXT | LMZ_FRAME_FLAG_DICT) /* every flag bit this version knows */
#define LMZ_M_FIRST_EXT LMZ_M_SEG /* the first method that needs LMZ_F_EXT */

#define LMZ_MAX_CHUNKS_PER_FRAME 65536u
#define LMZ_MAX_CHUNK_SIZE (1u << 26)  /* 64 MiB: no chunk may claim more */
#define LMZ_MODEL_NAME_MAX LMZ_FRAME_MODEL_NAME_MAX /* short name (tests) */

/* Header sizes (doc/format.md §2): header_size == LMZ_FRAME_FIXED + L
 * + LMZ_FRAME_CHUNK_ENTRY * n_chunks + E, L the name's length, E the extra
 * sections' size. */
#define LMZ_FRAME_FIXED 79u       /* header bytes besides name, table, extra */
#define LMZ_FRAME_CHUNK_ENTRY 13u /* bytes per chunk table entry */

/* A chunk table entry: the public lmz_chunk_info_t (offset filled by the
 * parser: payload offset from the frame start). */
typedef lmz_chunk_info_t lmz_chunk_info;

typedef struct {
    uint8_t version;           /* LMZ_FORMAT_VERSION, LMZ_FORMAT_COMPACT_V2 or LMZ_FORMAT_COMPACT */
    uint8_t flags;
    uint8_t id_len;            /* bytes of model_sha256 / dict_sha256 recorded: 32, or LMZ_COMPACT_ID */
    uint8_t model_sha256[32];
    char model_name[LMZ_FRAME_MODEL_NAME_MAX + 1]; /* NUL-terminated */
    uint16_t window;                         /* attention span, tokens */
    uint16_t overlap;                        /* sink tokens (doc/format.md 4.1; public: sink_tokens) */
    uint32_t chunk_size;                     /* max raw bytes per chunk */
    uint64_t original_size;
    uint64_t content_checksum;               /* XXH64 of the frame's original bytes */
    uint32_t n_chunks;
    lmz_chunk_info *chunks;                  /* [n_chunks], owned */
    /* optional sections (TLV), kept raw: e.g. the lossy fidelity report
     * (tag LMZ_FRAME_REPORT_TEXT or LMZ_FRAME_REPORT_ZSTD) */
    uint8_t *extra;
    uint32_t extra_size;
    /* the dictionary (flags & LMZ_F_DICT; set by the parser from the extra
     * section LMZ_FRAME_DICT_TAG, which a writer puts in extra itself) */
    uint8_t dict_sha256[32];
    char dict_name[256];
    uint32_t header_size;                    /* bytes from frame start to first payload */
    uint64_t payload_size;                   /* sum of coded sizes */
} lmz_frame_header;

/* Serialises h (chunks filled in) into dst. Returns the header size or an
 * error (LMZ_ERR(..)). h->version LMZ_FORMAT_COMPACT (or _V2) writes the compact
 * header (then n_chunks <= 1, no extra section: the dictionary's identity,
 * dict_sha256, is written inline when flags has LMZ_F_DICT). */
size_t frame_write_header(const lmz_frame_header *h, uint8_t *dst, size_t cap);
size_t frame_header_size(const lmz_frame_header *h);

/* Parses a header from src[0..n). Returns:
 *  - the header size (> 0) on success (h filled; free with frame_header_free),
 *  - LMZ_ERR(LMZ_error_src_size) if more bytes are needed; *need is set to the
 *    number of bytes the header needs (when known, else a lower bound),
 *  - another error with msg describing the problem.                          */
size_t frame_parse_header(lmz_frame_header *h, const uint8_t *src, size_t n, size_t *need, lmz_msg *msg);
void frame_header_free(lmz_frame_header *h);

#endif /* LMZ_FRAME_H */
