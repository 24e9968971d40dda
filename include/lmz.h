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

/* Exported from the shared library (liblmz.so is built with hidden
 * visibility: only what is declared LMZ_API in these headers is public). */
#if defined(__GNUC__) && __GNUC__ >= 4
#define LMZ_API __attribute__((visibility("default")))
#else
#define LMZ_API
#endif

#define LMZ_VERSION_MAJOR 0
#define LMZ_VERSION_MINOR 3
#define LMZ_VERSION_PATCH 0
#define LMZ_VERSION_STRING "0.3.0"
LMZ_API unsigned lmz_version_number(void); /* MAJOR*10000 + MINOR*100 + PATCH */
LMZ_API const char *lmz_version_string(void);
/* The kernel path in use: "scalar", "avx2" or "avx512" (chosen once from the
 * CPU, or forced with the environment variable LMZ_SIMD). Never changes any
 * output; reported for diagnostics and tests. */
LMZ_API const char *lmz_simd_path(void);

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
    LMZ_error_dict_invalid,       /* dictionary file malformed or damaged */
    LMZ_error_dict_mismatch,      /* frame needs a dictionary that was not given (or another one) */
    LMZ_error_maxCode
} lmz_error_code;

LMZ_API unsigned lmz_is_error(size_t code);          /* non-zero if code is an error */
LMZ_API const char *lmz_error_name(size_t code);     /* static string, never NULL */
LMZ_API lmz_error_code lmz_get_error_code(size_t code);

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct lmz_model lmz_model;

/* The default model, embedded in the library at build time (its SHA-256 is
 * recorded at build time too, so loading it costs ~0.05 s, not a hash of
 * its 38 MB; the other loaders hash what they load). */
LMZ_API lmz_model *lmz_model_load_default(size_t *err);
/* Memory-maps a GGUF file read-only and converts its weights (architectures
 * llama, qwen2, qwen3; SentencePiece or byte-level BPE vocabularies; F32,
 * F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K: doc/models.md).
 * On failure returns NULL, sets *err (if non-NULL; LMZ_error_unsupported for
 * what lmz does not read, named in msg) and writes a description into msg
 * (if non-NULL, msg_cap bytes). */
LMZ_API lmz_model *lmz_model_load_file(const char *path, size_t *err, char *msg, size_t msg_cap);
/* Loads from a caller-owned buffer that must outlive the model. */
LMZ_API lmz_model *lmz_model_load_buffer(const void *gguf, size_t size, size_t *err, char *msg, size_t msg_cap);
LMZ_API void lmz_model_free(lmz_model *m);
LMZ_API const char *lmz_model_name(const lmz_model *m);
LMZ_API void lmz_model_sha256(const lmz_model *m, uint8_t out[32]);
LMZ_API uint32_t lmz_model_vocab_size(const lmz_model *m);
LMZ_API uint32_t lmz_model_context(const lmz_model *m);

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
    uint32_t window;        /* attention span in tokens (sliding window); 0 = the level's, else min(1024, model context) */
    uint64_t memory_limit;  /* decoder: refuse frames needing more; 0 = default */
    int mix;                /* compressor: allow adaptive mixing (lm+mix); -1 = default */
    int fallback;           /* compressor: try classical methods per chunk; -1 = default */
    int fast;               /* compressor: 1 = no model, zstd (level 3) per chunk: for
                               inputs too large for the model's speed (~1 KB/s) */
    int compact;            /* compressor: -1 (default) or 1 = a frame of at most one chunk gets the
                               compact header (doc/format.md §2.3, 16-20 bytes; lmz 0.3.1 and later
                               read it); 0 = always the full header, which lmz 0.2-0.3.0 also read */
    const struct lmz_dict *dict; /* a dictionary (lmz_dict_load), or NULL. Compressor: model-coded
                               chunks are coded with it and the frame names it. Decoder: the
                               dictionary frames that name one need (any other frame ignores it).
                               Borrowed: must outlive the contexts that use it. */
    /* decoder: finds the dictionary a frame names when `dict` is not it (for
       instance by searching directories): the first id_len bytes of its
       SHA-256 (32, or 4 in a compact frame) and its name ("" in a compact
       frame); may return NULL. Called from the
       calling thread; what it returns must outlive the context. */
    const struct lmz_dict *(*dict_find)(void *opaque, const uint8_t *sha256, size_t id_len, const char *name);
    void *dict_find_opaque;
    /* progress: called from the calling thread with bytes done so far */
    void (*progress)(void *opaque, uint64_t in_done, uint64_t out_done);
    void *progress_opaque;
} lmz_params;

LMZ_API void lmz_params_default(lmz_params *p);

/* ------------------------------------------------------------------------ */
/* Dictionaries (doc/format.md §9; `lmz --train`, `lmz -D`)                 */
/* ------------------------------------------------------------------------ */

/* A dictionary primes every model-coded chunk with a domain: a token history
 * that virtually precedes the chunk (the model sees up to its last 511
 * tokens, the mixer all of it) and the mixer's learned state after it.
 * Frames coded with one record its SHA-256 and name and cannot be decoded
 * without it. A dictionary belongs to one model (its SHA-256 is in the file).
 * Dictionary files are untrusted input: every field is checked. */
typedef struct lmz_dict lmz_dict;

/* Loads a dictionary for model m from buf[0..size) (copied: buf may be freed
 * after the call). NULL on failure, with *err (if non-NULL) set to
 * LMZ_error_dict_invalid, LMZ_error_unsupported (a newer version),
 * LMZ_error_model_mismatch (made for another model) or LMZ_error_memory, and
 * msg (if non-NULL) describing it. A loaded dictionary is immutable to its
 * users and may be shared by any number of contexts and threads at once; m
 * must outlive it. */
LMZ_API lmz_dict *lmz_dict_load(const lmz_model *m, const void *buf, size_t size, size_t *err, char *msg, size_t msg_cap);
LMZ_API void lmz_dict_free(lmz_dict *d); /* accepts NULL */
LMZ_API const char *lmz_dict_name(const lmz_dict *d);
LMZ_API void lmz_dict_sha256(const lmz_dict *d, uint8_t out[32]); /* SHA-256 of the file: its identity */

/* What a dictionary file says, without a model. */
typedef struct {
    uint8_t sha256[32];       /* of the whole file: the identity frames record */
    uint8_t model_sha256[32]; /* the model it belongs to */
    char name[256];
    uint32_t n_vocab, history_tokens, prefix_tokens;
} lmz_dict_info_t;
/* 0 and *info filled, or an error (dict_invalid, unsupported). */
LMZ_API size_t lmz_dict_info(const void *buf, size_t size, lmz_dict_info_t *info);

/* Trains a dictionary for model m from n samples (sample i is
 * samples[off_i .. off_i + sizes[i]), the samples back to back), into
 * dst[0..cap). Returns the dictionary's size or an error; msg (if non-NULL)
 * says what went wrong. Compression side only. */
typedef struct {
    size_t max_size;    /* bound on the whole file (0: 112640 bytes, zstd's default) */
    const char *name;   /* recorded in the file (NULL: "dict") */
    int threads;        /* 0: one per CPU. Never changes the result */
    void (*progress)(void *opaque, uint64_t done, uint64_t total);
    void *progress_opaque;
} lmz_train_params;
LMZ_API size_t lmz_train_dict(const lmz_model *m, void *dst, size_t cap, const void *samples, const size_t *sizes,
                      unsigned n, const lmz_train_params *p, char *msg, size_t msg_cap);

/* ------------------------------------------------------------------------ */
/* One-shot buffers                                                         */
/* ------------------------------------------------------------------------ */

/* Upper bound of the compressed size of src_size bytes (never-expand rule). */
LMZ_API size_t lmz_compress_bound(size_t src_size);
/* Returns the compressed size written to dst, or an error. */
LMZ_API size_t lmz_compress(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                    const lmz_params *p);
/* Returns the decompressed size, or an error. src may hold several frames. */
LMZ_API size_t lmz_decompress(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                      const lmz_params *p);
/* Random access: the bytes [start, end) of the content of the frames in
 * src[0..src_size) (a whole .lmz file, e.g. mapped), decoding only the
 * chunks that hold them (the frames' chunk tables give their offsets; the
 * other frames are stepped over by their headers). Returns the number of
 * bytes written (end clamped to the content's size), or an error; msg (if
 * non-NULL) says what went wrong. Every decoded chunk's checksum is
 * verified, a frame's content checksum when all of it was decoded. */
LMZ_API size_t lmz_decompress_range(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                                    uint64_t start, uint64_t end, const lmz_params *p, char *msg, size_t msg_cap);
/* Sum of the original sizes recorded in the frames of src, or an error. */
LMZ_API size_t lmz_decompressed_size(const void *src, size_t src_size);

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
LMZ_API lmz_cstream *lmz_cstream_create(const lmz_model *m, const lmz_params *p);
LMZ_API void lmz_cstream_free(lmz_cstream *s);
/* Consumes input and produces output. With LMZ_e_end, call until it returns 0
 * (everything flushed); otherwise returns an error or a hint > 0. */
LMZ_API size_t lmz_compress_stream(lmz_cstream *s, lmz_out_buffer *out, lmz_in_buffer *in, lmz_end_op op);

typedef struct lmz_dstream lmz_dstream;
LMZ_API lmz_dstream *lmz_dstream_create(const lmz_model *m, const lmz_params *p);
LMZ_API void lmz_dstream_free(lmz_dstream *s);
/* Returns 0 when a frame is completely decoded and flushed and no partial
 * frame is pending, a hint > 0 when more input is expected, or an error. */
LMZ_API size_t lmz_decompress_stream(lmz_dstream *s, lmz_out_buffer *out, lmz_in_buffer *in);
/* Detail for the last error of a stream (never NULL). */
LMZ_API const char *lmz_cstream_message(const lmz_cstream *s);
LMZ_API const char *lmz_dstream_message(const lmz_dstream *s);

#ifdef __cplusplus
}
#endif
#endif /* LMZ_H */
