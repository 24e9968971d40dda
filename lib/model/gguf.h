/*
 * lib/model/gguf.h — GGUF v3 reader. The file is untrusted input.
 *
 * gguf_open_buffer() parses and validates the whole header (metadata of every
 * GGUF value type, tensor infos, alignment, data offsets) against the buffer
 * size. After a successful open, every pointer handed out points inside the
 * buffer and every size has been checked, so later layers never re-validate.
 * Strings are NOT NUL-terminated: they are (pointer, length) views.
 */
#ifndef LMZ_GGUF_H
#define LMZ_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* GGUF metadata value types */
enum {
    GGUF_T_U8 = 0, GGUF_T_I8 = 1, GGUF_T_U16 = 2, GGUF_T_I16 = 3, GGUF_T_U32 = 4, GGUF_T_I32 = 5,
    GGUF_T_F32 = 6, GGUF_T_BOOL = 7, GGUF_T_STRING = 8, GGUF_T_ARRAY = 9, GGUF_T_U64 = 10,
    GGUF_T_I64 = 11, GGUF_T_F64 = 12, GGUF_T_COUNT
};

/* ggml tensor types we know (values from ggml.h) */
enum {
    GGML_T_F32 = 0, GGML_T_F16 = 1, GGML_T_Q4_0 = 2, GGML_T_Q4_1 = 3, GGML_T_Q5_0 = 6, GGML_T_Q5_1 = 7,
    GGML_T_Q8_0 = 8, GGML_T_Q4_K = 12, GGML_T_Q5_K = 13, GGML_T_Q6_K = 14, GGML_T_BF16 = 30
};

typedef struct {
    const char *ptr;
    uint64_t len;
} gguf_str;

typedef struct {
    gguf_str key;
    uint32_t type;      /* GGUF_T_* */
    uint32_t arr_type;  /* element type when type == GGUF_T_ARRAY */
    uint64_t arr_len;   /* element count when type == GGUF_T_ARRAY */
    const uint8_t *val; /* start of the value (for arrays: of the first element) */
    uint64_t val_size;  /* total bytes of the value */
} gguf_kv;

#define GGUF_MAX_DIMS 4
typedef struct {
    gguf_str name;
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS]; /* ne[0] is the contiguous dimension; unused dims = 1 */
    uint32_t type;              /* GGML_T_* */
    uint64_t offset;            /* relative to the data section */
    uint64_t n_elements;
    uint64_t n_bytes;
    const uint8_t *data;        /* validated: data + n_bytes lies inside the buffer */
} gguf_tensor;

typedef struct {
    const uint8_t *buf;
    size_t size;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    gguf_kv *kv;          /* n_kv entries (owned) */
    gguf_tensor *tensors; /* n_tensors entries (owned) */
    uint64_t alignment;
    const uint8_t *data;  /* start of the tensor data section */
} gguf_file;

/* Parse buf[0..size). Returns 0 or -LMZ_error_model_invalid / -LMZ_error_memory /
 * -LMZ_error_unsupported with a message naming what is wrong (field, index,
 * offset). The buffer is borrowed. */
int gguf_open_buffer(gguf_file *g, const void *buf, size_t size, lmz_msg *msg);
void gguf_close(gguf_file *g); /* frees the tables; accepts a zeroed struct */

/* Lookups: return NULL / -1 when absent or of another type. */
const gguf_kv *gguf_find(const gguf_file *g, const char *key);
const gguf_tensor *gguf_find_tensor(const gguf_file *g, const char *name);
/* Integer of any integer type (or bool); -1 if absent, negative or not an int. */
int gguf_get_int(const gguf_file *g, const char *key, int64_t *out);
int gguf_get_f32(const gguf_file *g, const char *key, float *out); /* F32 or F64 */
int gguf_get_str(const gguf_file *g, const char *key, gguf_str *out);
/* Array element access; arrays of strings are walked with gguf_arr_str_next. */
typedef struct {
    const uint8_t *p, *end;
    uint64_t left;
} gguf_str_iter;
int gguf_get_arr(const gguf_file *g, const char *key, uint32_t elem_type, const gguf_kv **out);
void gguf_str_iter_init(gguf_str_iter *it, const gguf_kv *arr);
int gguf_str_iter_next(gguf_str_iter *it, gguf_str *out); /* 0 ok, -1 at end */

/* Dequantizes one row (ne[0] values) of a 2-D tensor to float. Supports
 * F32, F16, Q8_0, Q4_0, Q4_K, Q6_K. Returns 0 or -LMZ_error_unsupported. */
int gguf_tensor_row_f32(const gguf_tensor *t, uint64_t row, float *out);
/* "F32", "Q4_K", ... for the types above, "?" for others. */
const char *gguf_type_name(uint32_t type);

/* Helper for tests and tools: memory-map a file read-only. */
typedef struct {
    void *addr;
    size_t size;
} lmz_mmap;
int lmz_mmap_open(lmz_mmap *m, const char *path, lmz_msg *msg);
void lmz_mmap_close(lmz_mmap *m);

#endif /* LMZ_GGUF_H */
