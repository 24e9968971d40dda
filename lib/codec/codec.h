/*
 * lib/codec/codec.h — what the compressor and the decompressor share:
 * parameter defaults (params.c), the model's sliding-window rule and the
 * classical methods (classic.c). Both sides include it; it includes neither
 * (doc/design.md, Layers), so decompression never depends on compression-only code.
 */
#ifndef LMZ_CODEC_H
#define LMZ_CODEC_H

#include "coder/coder.h"
#include "common/common.h"
#include "format/frame.h"
#include "lmz.h"
#include "model/model.h"

/* ------------------------------------------------------------------------ */
/* Defaults                                                                 */
/* ------------------------------------------------------------------------ */

#define LMZ_DEFAULT_CHUNK (64u << 10)        /* bytes per chunk (see bench/chunks.md) */
#define LMZ_DEFAULT_WINDOW 1024u             /* attention window when neither the level nor the user sets one: min(this, the model's context) */
#define LMZ_CHUNKS_PER_FRAME 16u             /* a frame holds at most this many chunks */
#define LMZ_DEFAULT_MEMLIMIT (1ull << 30)    /* decoder refuses frames needing more */
#define LMZ_MAX_ACTIVE 16u                   /* chunks decoded together as one batch */

/* The level a params value stands for: 0 -> LMZ_LEVEL_DEFAULT, others
 * clamped to [LMZ_LEVEL_MIN, LMZ_LEVEL_MAX]. */
int lmz_level_clamp(int level);

/* Resolves zeros in *p to defaults for model m (the level's window and
 * chunk size where those are 0). */
void lmz_params_resolve(lmz_params *out, const lmz_params *in, const lmz_model *m);

/* ------------------------------------------------------------------------ */
/* The model's context (frame fields `window` W and `sink` S = 1)           */
/* ------------------------------------------------------------------------ */
/* A chunk's token sequence is ids[0] = BOS, ids[1..n] = the chunk's tokens,
 * at positions 0..n. Token ids[i] is predicted from the logits of the model
 * after ids[0..i-1] with sliding-window attention of span W: each query sees
 * the last W-1 positions and the sink ids[0] (lib/model/llama.h). Nothing is
 * ever recomputed, so both sides run exactly one model row per token.       */
#define LMZ_SINK_TOKENS 1

/* ------------------------------------------------------------------------ */
/* Classical chunk methods                                                  */
/* ------------------------------------------------------------------------ */

/* Method 3's LZMA2 dictionary: the smallest power of two >= max(raw, 4096),
 * at most 64 MiB (the chunk size limit). */
static inline uint32_t lzma2_dict_size(uint64_t raw) {
    uint32_t d = 4096;
    while (d < raw && d < (1u << 26)) d *= 2;
    return d;
}

/* Classical methods: zstd and xz. Return 0 when dst got exactly raw bytes. */
int classic_decode(uint8_t method, const uint8_t *src, size_t n, uint8_t *dst, size_t raw, lmz_msg *msg);

/* ------------------------------------------------------------------------ */
/* Methods that hold other methods' payloads (layout.c, doc/format.md 3.1-3.2) */
/* ------------------------------------------------------------------------ */

/* One part of a `seg` or `utf16` chunk: a plain method (0-4) payload. */
typedef struct {
    uint8_t method;
    const uint8_t *payload;
    uint32_t coded_size, raw_size;
} lmz_part;

/* A `seg` run's kind (doc/format.md 3.1): its bytes are the next bytes of
 * the text part (SEG_TEXT) or of the binary part (SEG_BINARY), or the base64
 * encoding, in lines, of the next bytes of the binary or of the text part. */
enum { SEG_TEXT = 0, SEG_BINARY = 1, SEG_B64_BINARY = 2, SEG_B64_TEXT = 3 };
#define SEG_B64_MAX_W 4096u /* longest base64 line */

typedef struct {
    uint8_t kind;  /* SEG_* */
    uint8_t crlf;  /* base64: lines end with \r\n (else \n) */
    uint32_t w;    /* base64: characters per line (a multiple of 4; the last line may be shorter) */
    uint32_t v;    /* bytes taken from the run's part (>= 1) */
    uint64_t len;  /* bytes of the chunk: v, or the base64 text of v bytes with its line ends */
} seg_run;

/* The part (0 text, 1 binary) a run's bytes come from. */
static inline int seg_run_part(int kind) { return kind == SEG_TEXT || kind == SEG_B64_TEXT ? 0 : 1; }

typedef struct {
    uint8_t method;     /* LMZ_M_SEG or LMZ_M_UTF16 */
    uint32_t n_parts;   /* seg: 2 (text, binary; either may be empty); utf16: 1 (the UTF-8 form) */
    lmz_part part[2];
    /* seg */
    uint32_t n_runs;    /* >= 1 */
    uint32_t n_b64;     /* base64 runs among them */
    const uint8_t *runs; /* the run table (read with chunk_layout_next) */
    /* utf16 */
    uint8_t order;      /* 0 little-endian, 1 big-endian */
} chunk_layout;

/* Parses the payload p[0..coded) of a chunk of method LMZ_M_SEG or
 * LMZ_M_UTF16 holding raw bytes. Checks every size: runs non-empty and
 * covering exactly raw, parts of plain methods inside the payload, stored
 * parts as long as their raw size, empty parts stored and empty, UTF-8
 * sizes possible for raw. Returns 0 or -LMZ_error_corrupt (msg says what). */
int chunk_layout_parse(uint8_t method, const uint8_t *p, uint32_t coded, uint32_t raw, chunk_layout *L, lmz_msg *msg);
/* The next run of a parsed table (start with cursor = L->runs). */
void chunk_layout_next(const uint8_t **cursor, seg_run *r);

/* Base64 in lines of w characters (the last may be shorter), each ended by
 * \n or \r\n: the length of d bytes' text, and the text itself (dst needs
 * b64_run_len bytes). */
uint64_t b64_run_len(uint64_t d, uint32_t w, int crlf);
size_t b64_encode_lines(const uint8_t *src, size_t d, uint32_t w, int crlf, uint8_t *dst);

/* Writers: the head of a payload (the parts follow it); return its size.
 * seg: dst needs SEG_HEAD_MAX(n_runs) bytes at most. */
size_t chunk_layout_seg_head(uint8_t *dst, uint8_t text_method, uint8_t bin_method, const seg_run *runs,
                             uint32_t n_runs, uint32_t text_coded);
#define SEG_HEAD_MAX(n_runs) (2u + 5u + 11u * (size_t)(n_runs) + 4u)
size_t chunk_layout_utf16_head(uint8_t *dst, uint8_t order, uint8_t method, uint32_t utf8_size);
#define UTF16_HEAD 6u

#endif /* LMZ_CODEC_H */
