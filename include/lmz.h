/*
 * lmz.h — public API of lmz, a lossless compressor driven by a language model.
 *
 * Conventions (as in zstd and liblzma):
 *  - Opaque contexts with create/free pairs. Every *_free accepts NULL.
 *  - Functions returning size_t return either a size or an error code;
 *    test with lmz_is_error(), describe with lmz_error_name().
 *  - The library never calls exit() or abort() and never writes to stdout or
 *    stderr; it reports everything through return values.
 *  - Untrusted input: compressed frames and GGUF model files may come from
 *    strangers. Every parser validates sizes, counts and offsets before use;
 *    a damaged input yields an error, never a crash, an out-of-bounds access
 *    or wrong output (each frame and chunk carries a checksum).
 *  - Ownership: buffers passed in remain the caller's. A model loaded from a
 *    buffer borrows that buffer, which must outlive the model. A model is
 *    immutable once loaded and may be shared by any number of contexts and
 *    threads at once.
 *  - Determinism: the compressed bytes depend only on the input, the model
 *    and the parameters below that are recorded in the frame; never on the
 *    thread count, the SIMD path or the machine.
 */
#ifndef LMZ_H
#define LMZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LMZ_VERSION_MAJOR 0
#define LMZ_VERSION_MINOR 3
#define LMZ_VERSION_PATCH 0
#define LMZ_VERSION_STRING "0.3.0"
unsigned lmz_version_number(void); /* MAJOR*10000 + MINOR*100 + PATCH */
const char *lmz_version_string(void);
/* The kernel path in use: "scalar", "avx2" or "avx512" (chosen once from the
 * CPU, or forced with the environment variable LMZ_SIMD). Never changes any
 * output; reported for diagnostics and tests. */
const char *lmz_simd_path(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum {
    LMZ_error_none = 0,
    LMZ_error_generic,
    LMZ_error_memory,             /* allocation failed */
    LMZ_error_memory_limit,       /* would exceed the configured memory limit */
    LMZ_error_io,                 /* reading or writing a file failed */
    LMZ_error_parameter,          /* an argument is out of range */
    LMZ_error_dst_too_small,      /* output buffer too small */
    LMZ_error_src_size,           /* input size wrong / truncated input */
    LMZ_error_bad_magic,          /* not an .lmz frame */
    LMZ_error_version,            /* frame format version not supported */
    LMZ_error_header_checksum,    /* frame header damaged */
    LMZ_error_corrupt,            /* frame structure invalid */
    LMZ_error_chunk_checksum,     /* a chunk decoded to the wrong bytes */
    LMZ_error_content_checksum,   /* the whole content has the wrong checksum */
    LMZ_error_model_mismatch,     /* frame was made with another model */
    LMZ_error_model_invalid,      /* GGUF file malformed or unsupported */
    LMZ_error_unsupported,        /* a feature (method, tensor type) not supported */
    LMZ_error_maxCode
} lmz_error_code;

unsigned lmz_is_error(size_t code);          /* non-zero if code is an error */
const char *lmz_error_name(size_t code);     /* static string, never NULL */
lmz_error_code lmz_get_error_code(size_t code);

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct lmz_model lmz_model;

/* The default model, embedded in the library at build time (its SHA-256 is
 * recorded at build time too, so loading it costs ~0.05 s, not a hash of
 * its 38 MB; the other loaders hash what they load). */
lmz_model *lmz_model_load_default(size_t *err);
/* Memory-maps a GGUF file read-only. On failure returns NULL, sets *err (if
 * non-NULL) and writes a description into msg (if non-NULL, msg_cap bytes). */
lmz_model *lmz_model_load_file(const char *path, size_t *err, char *msg, size_t msg_cap);
/* Loads from a caller-owned buffer that must outlive the model. */
lmz_model *lmz_model_load_buffer(const void *gguf, size_t size, size_t *err, char *msg, size_t msg_cap);
void lmz_model_free(lmz_model *m);
const char *lmz_model_name(const lmz_model *m);
void lmz_model_sha256(const lmz_model *m, uint8_t out[32]);
uint32_t lmz_model_vocab_size(const lmz_model *m);
uint32_t lmz_model_context(const lmz_model *m);

/* ------------------------------------------------------------------------ */
/* Parameters                                                               */
/* ------------------------------------------------------------------------ */

/* Compression levels, zstd's convention: 1 (fastest) .. 9 (smallest). A
 * level chooses the attention window and the chunk size (doc/format.md,
 * "Levels"); both are recorded in every frame, so a frame of any level
 * decodes with any lmz that reads its format version. The default level
 * keeps lmz 0.2's settings and output exactly. */
#define LMZ_LEVEL_MIN 1
#define LMZ_LEVEL_DEFAULT 6
#define LMZ_LEVEL_MAX 9

typedef struct {
    int threads;            /* worker threads; 0 = one per CPU this process may use. Never changes output. */
    int level;              /* compressor: LMZ_LEVEL_MIN..LMZ_LEVEL_MAX; 0 = LMZ_LEVEL_DEFAULT. Sets chunk_size
                               and window where those are 0; ignored by the decoder (the frame says) */
    uint32_t chunk_size;    /* bytes per independent chunk; 0 = default */
    uint32_t window;        /* attention span in tokens (sliding window); 0 = model context */
    uint64_t memory_limit;  /* decoder: refuse frames needing more; 0 = default */
    int mix;                /* compressor: allow adaptive mixing (lm+mix); -1 = default */
    int fallback;           /* compressor: try classical methods per chunk; -1 = default */
    int fast;               /* compressor: 1 = no model, zstd (level 3) per chunk: for
                               inputs too large for the model's speed (~1 KB/s) */
    /* progress: called from the calling thread with bytes done so far */
    void (*progress)(void *opaque, uint64_t in_done, uint64_t out_done);
    void *progress_opaque;
} lmz_params;

void lmz_params_default(lmz_params *p);

/* ------------------------------------------------------------------------ */
/* One-shot buffers                                                         */
/* ------------------------------------------------------------------------ */

/* Upper bound of the compressed size of src_size bytes (never-expand rule). */
size_t lmz_compress_bound(size_t src_size);
/* Returns the compressed size written to dst, or an error. */
size_t lmz_compress(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                    const lmz_params *p);
/* Returns the decompressed size, or an error. src may hold several frames. */
size_t lmz_decompress(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                      const lmz_params *p);
/* Sum of the original sizes recorded in the frames of src, or an error. */
size_t lmz_decompressed_size(const void *src, size_t src_size);

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    const void *src;
    size_t size;
    size_t pos;
} lmz_in_buffer;
typedef struct {
    void *dst;
    size_t size;
    size_t pos;
} lmz_out_buffer;

typedef enum { LMZ_e_continue = 0, LMZ_e_end = 1 } lmz_end_op;

typedef struct lmz_cstream lmz_cstream;
lmz_cstream *lmz_cstream_create(const lmz_model *m, const lmz_params *p);
void lmz_cstream_free(lmz_cstream *s);
/* Consumes input and produces output. With LMZ_e_end, call until it returns 0
 * (everything flushed); otherwise returns an error or a hint > 0. */
size_t lmz_compress_stream(lmz_cstream *s, lmz_out_buffer *out, lmz_in_buffer *in, lmz_end_op op);

typedef struct lmz_dstream lmz_dstream;
lmz_dstream *lmz_dstream_create(const lmz_model *m, const lmz_params *p);
void lmz_dstream_free(lmz_dstream *s);
/* Returns 0 when a frame is completely decoded and flushed and no partial
 * frame is pending, a hint > 0 when more input is expected, or an error. */
size_t lmz_decompress_stream(lmz_dstream *s, lmz_out_buffer *out, lmz_in_buffer *in);
/* Detail for the last error of a stream (never NULL). */
const char *lmz_cstream_message(const lmz_cstream *s);
const char *lmz_dstream_message(const lmz_dstream *s);

#ifdef __cplusplus
}
#endif
#endif /* LMZ_H */
