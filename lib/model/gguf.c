/*
 * lib/model/gguf.c — GGUF v2/v3 reader for untrusted input.
 *
 * A GGUF file is laid out as
 *
 *     "GGUF" u32 version  u64 n_tensors  u64 n_kv
 *     n_kv      x  { string key, u32 type, value }
 *     n_tensors x  { string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset }
 *     padding up to general.alignment (default 32)
 *     tensor data: tensor i lives at data + offset_i (offset_i aligned)
 *
 * where a string is { u64 length, bytes } and an array value is
 * { u32 element type, u64 count, elements }. Everything is little-endian.
 *
 * The file is untrusted: every count, length and offset is checked against
 * the bytes that remain before it is used, all arithmetic is overflow-checked,
 * and no pointer is formed past the end of the buffer. Once gguf_open_buffer()
 * succeeds, every view it hands out (strings, arrays, tensor data) lies inside
 * the buffer, so later layers can use them without re-validating.
 */
#include "model/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

#define GGUF_MAX_NEST 4              /* arrays of arrays of ... at most this deep */
#define GGUF_MAX_ALIGN (1u << 16)    /* general.alignment must be <= 64 KiB */
#define GGUF_DEFAULT_ALIGN 32
#define GGUF_MAX_NAME 256            /* tensor names (ggml itself allows 64) */
#define GGUF_MAX_KEY 65536           /* metadata keys */

/* Smallest possible encodings, used to bound counts before allocating:
 * a key/value is at least a key length (8) + type (4) + 1 byte of value;
 * a tensor info is at least name length (8) + n_dims (4) + one ne (8) +
 * type (4) + offset (8). */
#define GGUF_MIN_KV_BYTES 13
#define GGUF_MIN_TENSOR_BYTES 32

/* ------------------------------------------------------------------------ */
/* ggml tensor types: block size (values per block) and bytes per block     */
/* ------------------------------------------------------------------------ */

#define QK_K 256

static int type_layout(uint32_t type, uint64_t *blck, uint64_t *bytes) {
    switch (type) {
    case GGML_T_F32: *blck = 1; *bytes = 4; return 0;
    case GGML_T_F16: *blck = 1; *bytes = 2; return 0;
    case GGML_T_Q4_0: *blck = 32; *bytes = 2 + 16; return 0;        /* d, 32 nibbles */
    case GGML_T_Q4_1: *blck = 32; *bytes = 2 + 2 + 16; return 0;    /* d, m, 32 nibbles */
    case GGML_T_Q5_0: *blck = 32; *bytes = 2 + 4 + 16; return 0;    /* d, high bits, 32 nibbles */
    case GGML_T_Q5_1: *blck = 32; *bytes = 2 + 2 + 4 + 16; return 0; /* d, m, high bits, 32 nibbles */
    case GGML_T_Q8_0: *blck = 32; *bytes = 2 + 32; return 0;        /* d, 32 int8 */
    case GGML_T_Q4_K: *blck = QK_K; *bytes = 2 + 2 + 12 + 128; return 0; /* d, dmin, scales, nibbles */
    case GGML_T_Q5_K: *blck = QK_K; *bytes = 2 + 2 + 12 + 32 + 128; return 0; /* d, dmin, scales, high bits, nibbles */
    case GGML_T_BF16: *blck = 1; *bytes = 2; return 0;
    case GGML_T_Q6_K: *blck = QK_K; *bytes = 128 + 64 + 16 + 2; return 0; /* ql, qh, scales, d */
    default: return -1;
    }
}

const char *gguf_type_name(uint32_t type) {
    /* ggml's names, also for the types lmz does not read (error messages) */
    static const char *const names[] = {
        "F32",  "F16",     "Q4_0",   "Q4_1",    "Q4_2",  "Q4_3",   "Q5_0",   "Q5_1",   "Q8_0",  "Q8_1",  "Q2_K",
        "Q3_K", "Q4_K",    "Q5_K",   "Q6_K",    "Q8_K",  "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",
        "IQ2_S", "IQ4_XS", "I8",     "I16",     "I32",   "I64",    "F64",    "IQ1_M",  "BF16",  "Q4_0_4_4", "Q4_0_4_8",
        "Q4_0_8_8", "TQ1_0", "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
    return type < sizeof names / sizeof *names ? names[type] : "?";
}

/* Size in bytes of one scalar metadata value, 0 for string/array/unknown. */
static uint64_t scalar_size(uint32_t t) {
    switch (t) {
    case GGUF_T_U8: case GGUF_T_I8: case GGUF_T_BOOL: return 1;
    case GGUF_T_U16: case GGUF_T_I16: return 2;
    case GGUF_T_U32: case GGUF_T_I32: case GGUF_T_F32: return 4;
    case GGUF_T_U64: case GGUF_T_I64: case GGUF_T_F64: return 8;
    default: return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Bounded reader                                                           */
/* ------------------------------------------------------------------------ */

/* A cursor over the buffer. Positions are offsets (never pointers past the
 * end); every read checks that enough bytes remain. */
typedef struct {
    const uint8_t *buf;
    uint64_t size, pos;
    lmz_msg *msg;
} reader;

static uint64_t left(const reader *r) { return r->size - r->pos; }

/* Error out with the byte offset where things went wrong. */
#define BAD(r, ...) lmz_fail((r)->msg, LMZ_error_model_invalid, __VA_ARGS__)

static int need(reader *r, uint64_t n, const char *what) {
    if (n > left(r))
        return BAD(r, "gguf: %s at offset %llu needs %llu bytes, only %llu left (file size %llu)", what,
                   (unsigned long long)r->pos, (unsigned long long)n, (unsigned long long)left(r),
                   (unsigned long long)r->size);
    return 0;
}

static int rd_u32(reader *r, uint32_t *v, const char *what) {
    int e = need(r, 4, what);
    if (e) return e;
    *v = lmz_rd32(r->buf + r->pos);
    r->pos += 4;
    return 0;
}

static int rd_u64(reader *r, uint64_t *v, const char *what) {
    int e = need(r, 8, what);
    if (e) return e;
    *v = lmz_rd64(r->buf + r->pos);
    r->pos += 8;
    return 0;
}

/* A string: u64 length then that many bytes (not NUL-terminated). */
static int rd_str(reader *r, gguf_str *s, const char *what) {
    uint64_t start = r->pos, n;
    int e = rd_u64(r, &n, what);
    if (e) return e;
    if (n > left(r))
        return BAD(r, "gguf: %s at offset %llu: string length %llu past end of file (%llu bytes left)", what,
                   (unsigned long long)start, (unsigned long long)n, (unsigned long long)left(r));
    s->ptr = (const char *)r->buf + r->pos;
    s->len = n;
    r->pos += n;
    return 0;
}

/* Copies a name into a printable, bounded form for error messages. */
static const char *printable(const gguf_str *s, char *out, size_t cap) {
    size_t n = 0;
    for (uint64_t i = 0; i < s->len && n + 4 < cap; i++) {
        unsigned char c = (unsigned char)s->ptr[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s->len > n && n + 4 <= cap) {
        out[n++] = '.';
        out[n++] = '.';
        out[n++] = '.';
    }
    out[n] = 0;
    return out;
}

/* ------------------------------------------------------------------------ */
/* Metadata values                                                          */
/* ------------------------------------------------------------------------ */

/* Skips over one value of type `type` (already read), checking it.
 * depth counts enclosing arrays. Every element consumes at least one byte
 * (or 12 for nested arrays), so the work is bounded by the file size. */
static int skip_value(reader *r, uint32_t type, int depth, const char *what) {
    uint64_t sz = scalar_size(type);
    if (sz) {
        int e = need(r, sz, what);
        if (e) return e;
        if (type == GGUF_T_BOOL && r->buf[r->pos] > 1)
            return BAD(r, "gguf: %s at offset %llu: bool value %u is not 0 or 1", what, (unsigned long long)r->pos,
                       r->buf[r->pos]);
        r->pos += sz;
        return 0;
    }
    if (type == GGUF_T_STRING) {
        gguf_str s;
        return rd_str(r, &s, what);
    }
    if (type == GGUF_T_ARRAY) {
        uint32_t et;
        uint64_t n, start = r->pos;
        if (depth >= GGUF_MAX_NEST)
            return BAD(r, "gguf: %s at offset %llu: arrays nested deeper than %d", what, (unsigned long long)start,
                       GGUF_MAX_NEST);
        FORWARD_IF_ERROR(rd_u32(r, &et, what));
        FORWARD_IF_ERROR(rd_u64(r, &n, what));
        if (et >= GGUF_T_COUNT)
            return BAD(r, "gguf: %s at offset %llu: unknown array element type %u", what, (unsigned long long)start,
                       et);
        uint64_t esz = scalar_size(et);
        if (esz) {
            if (n > left(r) / esz)
                return BAD(r, "gguf: %s at offset %llu: array of %llu x %llu-byte elements past end of file", what,
                           (unsigned long long)start, (unsigned long long)n, (unsigned long long)esz);
            if (et == GGUF_T_BOOL) {
                for (uint64_t i = 0; i < n; i++)
                    if (r->buf[r->pos + i] > 1)
                        return BAD(r, "gguf: %s: bool element %llu is not 0 or 1", what, (unsigned long long)i);
            }
            r->pos += n * esz;
            return 0;
        }
        /* strings need >= 8 bytes each, nested arrays >= 12 */
        uint64_t min = et == GGUF_T_STRING ? 8 : 12;
        if (n > left(r) / min)
            return BAD(r, "gguf: %s at offset %llu: array count %llu too large for the %llu bytes left", what,
                       (unsigned long long)start, (unsigned long long)n, (unsigned long long)left(r));
        for (uint64_t i = 0; i < n; i++) FORWARD_IF_ERROR(skip_value(r, et, depth + 1, what));
        return 0;
    }
    return BAD(r, "gguf: %s at offset %llu: unknown value type %u", what, (unsigned long long)r->pos, type);
}

/* ------------------------------------------------------------------------ */
/* Duplicate detection: a small open-addressing set of strings              */
/* ------------------------------------------------------------------------ */

typedef struct {
    const gguf_str **slot;
    uint64_t mask;
} strset;

static uint64_t str_hash(const gguf_str *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (uint64_t i = 0; i < s->len; i++) h = (h ^ (uint8_t)s->ptr[i]) * 1099511628211ull;
    return h;
}

static int strset_init(strset *s, uint64_t n) {
    uint64_t cap = 16;
    while (cap < 2 * n) cap <<= 1; /* n is bounded by file size / 13 */
    s->slot = calloc((size_t)cap, sizeof *s->slot);
    s->mask = cap - 1;
    return s->slot ? 0 : -1;
}

/* Returns 1 if already present, 0 if inserted. */
static int strset_add(strset *s, const gguf_str *k) {
    for (uint64_t i = str_hash(k) & s->mask;; i = (i + 1) & s->mask) {
        const gguf_str *o = s->slot[i];
        if (!o) {
            s->slot[i] = k;
            return 0;
        }
        if (o->len == k->len && memcmp(o->ptr, k->ptr, (size_t)k->len) == 0) return 1;
    }
}

/* ------------------------------------------------------------------------ */
/* Open / close                                                             */
/* ------------------------------------------------------------------------ */

static int parse_kvs(gguf_file *g, reader *r) {
    strset seen;
    RETURN_ERROR_IF(strset_init(&seen, g->n_kv), LMZ_error_memory, r->msg, "gguf: out of memory (%llu keys)",
                    (unsigned long long)g->n_kv);
    int e = 0;
    for (uint64_t i = 0; i < g->n_kv && !e; i++) {
        gguf_kv *kv = &g->kv[i];
        char what[128], nb[80];
        snprintf(what, sizeof what, "key %llu", (unsigned long long)i);
        if ((e = rd_str(r, &kv->key, what))) break;
        if (kv->key.len == 0 || kv->key.len > GGUF_MAX_KEY) {
            e = BAD(r, "gguf: key %llu: bad key length %llu", (unsigned long long)i, (unsigned long long)kv->key.len);
            break;
        }
        if (memchr(kv->key.ptr, 0, (size_t)kv->key.len)) {
            e = BAD(r, "gguf: key %llu '%s' contains a NUL byte", (unsigned long long)i,
                    printable(&kv->key, nb, sizeof nb));
            break;
        }
        if (strset_add(&seen, &kv->key)) {
            e = BAD(r, "gguf: key %llu '%s' is a duplicate", (unsigned long long)i, printable(&kv->key, nb, sizeof nb));
            break;
        }
        snprintf(what, sizeof what, "value of key '%s'", printable(&kv->key, nb, 32));
        if ((e = rd_u32(r, &kv->type, what))) break;
        if (kv->type >= GGUF_T_COUNT) {
            e = BAD(r, "gguf: %s: unknown type %u", what, kv->type);
            break;
        }
        uint64_t start = r->pos;
        if ((e = skip_value(r, kv->type, 0, what))) break;
        if (kv->type == GGUF_T_ARRAY) {
            /* re-read the (validated) header to expose element type and count */
            kv->arr_type = lmz_rd32(r->buf + start);
            kv->arr_len = lmz_rd64(r->buf + start + 4);
            kv->val = r->buf + start + 12;
            kv->val_size = r->pos - start - 12;
        } else {
            kv->val = r->buf + start;
            kv->val_size = r->pos - start;
        }
    }
    free(seen.slot);
    return e;
}

/* general.alignment: optional, u32 in the spec (any integer type accepted),
 * a non-zero power of two no larger than GGUF_MAX_ALIGN. */
static int parse_alignment(gguf_file *g, lmz_msg *msg) {
    g->alignment = GGUF_DEFAULT_ALIGN;
    const gguf_kv *kv = gguf_find(g, "general.alignment");
    if (!kv) return 0;
    int64_t a;
    RETURN_ERROR_IF(gguf_get_int(g, "general.alignment", &a) || kv->type == GGUF_T_BOOL, LMZ_error_model_invalid, msg,
                    "gguf: general.alignment has type %u, not an integer >= 0", kv->type);
    RETURN_ERROR_IF(a == 0 || a > (int64_t)GGUF_MAX_ALIGN || (a & (a - 1)) != 0, LMZ_error_model_invalid, msg,
                    "gguf: general.alignment %lld is not a power of two in [1, %u]", (long long)a, GGUF_MAX_ALIGN);
    g->alignment = (uint64_t)a;
    return 0;
}

static int parse_tensor_infos(gguf_file *g, reader *r) {
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        gguf_tensor *t = &g->tensors[i];
        char what[128], nb[80];
        snprintf(what, sizeof what, "tensor %llu name", (unsigned long long)i);
        FORWARD_IF_ERROR(rd_str(r, &t->name, what));
        if (t->name.len == 0 || t->name.len > GGUF_MAX_NAME)
            return BAD(r, "gguf: tensor %llu: bad name length %llu (1..%d)", (unsigned long long)i,
                       (unsigned long long)t->name.len, GGUF_MAX_NAME);
        printable(&t->name, nb, sizeof nb);
        snprintf(what, sizeof what, "tensor %llu info", (unsigned long long)i);
        FORWARD_IF_ERROR(rd_u32(r, &t->n_dims, what));
        if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
            return BAD(r, "gguf: tensor %llu '%s': n_dims %u not in [1, %d]", (unsigned long long)i, nb, t->n_dims,
                       GGUF_MAX_DIMS);
        uint64_t n = 1;
        for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            FORWARD_IF_ERROR(rd_u64(r, &t->ne[d], what));
            if (t->ne[d] == 0 || t->ne[d] > (uint64_t)INT64_MAX)
                return BAD(r, "gguf: tensor %llu '%s': ne[%u] = %llu out of range", (unsigned long long)i, nb, d,
                           (unsigned long long)t->ne[d]);
            if (n > (uint64_t)INT64_MAX / t->ne[d])
                return BAD(r, "gguf: tensor %llu '%s': element count overflows", (unsigned long long)i, nb);
            n *= t->ne[d];
        }
        t->n_elements = n;
        FORWARD_IF_ERROR(rd_u32(r, &t->type, what));
        FORWARD_IF_ERROR(rd_u64(r, &t->offset, what));
        uint64_t blck, bsz;
        RETURN_ERROR_IF(type_layout(t->type, &blck, &bsz), LMZ_error_unsupported, r->msg,
                        "gguf: tensor %llu '%s': tensor type %s (%u) is not supported (supported: F32, F16, BF16, Q8_0, "
                        "Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
                        (unsigned long long)i, nb, gguf_type_name(t->type), t->type);
        if (t->ne[0] % blck)
            return BAD(r, "gguf: tensor %llu '%s': ne[0] = %llu not a multiple of the %s block size %llu",
                       (unsigned long long)i, nb, (unsigned long long)t->ne[0], gguf_type_name(t->type),
                       (unsigned long long)blck);
        /* n / blck * bsz: n < 2^63, bsz <= 210, so check before multiplying */
        uint64_t nb_blocks = n / blck;
        if (nb_blocks > UINT64_MAX / bsz)
            return BAD(r, "gguf: tensor %llu '%s': byte size overflows", (unsigned long long)i, nb);
        t->n_bytes = nb_blocks * bsz;
        if (t->offset % g->alignment)
            return BAD(r, "gguf: tensor %llu '%s': offset %llu not a multiple of the alignment %llu",
                       (unsigned long long)i, nb, (unsigned long long)t->offset, (unsigned long long)g->alignment);
    }
    return 0;
}

static int place_tensors(gguf_file *g, reader *r) {
    /* data section: right after the tensor infos, aligned up */
    uint64_t pad = (g->alignment - r->pos % g->alignment) % g->alignment;
    uint64_t data_off = r->pos + pad; /* pos <= size < 2^63: no overflow */
    if (data_off > r->size) {
        if (g->n_tensors)
            return BAD(r, "gguf: data section at offset %llu past end of file (size %llu)",
                       (unsigned long long)data_off, (unsigned long long)r->size);
        data_off = r->size; /* no tensors: an absent data section is fine */
    }
    g->data = r->buf + data_off;
    uint64_t avail = r->size - data_off;

    strset seen;
    RETURN_ERROR_IF(strset_init(&seen, g->n_tensors), LMZ_error_memory, r->msg, "gguf: out of memory (%llu tensors)",
                    (unsigned long long)g->n_tensors);
    int e = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        gguf_tensor *t = &g->tensors[i];
        char nb[80];
        printable(&t->name, nb, sizeof nb);
        if (strset_add(&seen, &t->name)) {
            e = BAD(r, "gguf: tensor %llu '%s': duplicate tensor name", (unsigned long long)i, nb);
            break;
        }
        if (t->offset > avail || t->n_bytes > avail - t->offset) {
            e = BAD(r, "gguf: tensor %llu '%s': data [%llu, %llu%s) past end of file (size %llu, data at %llu)",
                    (unsigned long long)i, nb, (unsigned long long)t->offset,
                    (unsigned long long)(t->offset + t->n_bytes),
                    t->offset + t->n_bytes < t->offset ? " overflow" : "", (unsigned long long)r->size,
                    (unsigned long long)data_off);
            break;
        }
        t->data = g->data + t->offset;
    }
    free(seen.slot);
    return e;
}

int gguf_open_buffer(gguf_file *g, const void *buf, size_t size, lmz_msg *msg) {
    memset(g, 0, sizeof *g);
    RETURN_ERROR_IF(!buf && size, LMZ_error_parameter, msg, "gguf: NULL buffer");
    reader r = {(const uint8_t *)buf, (uint64_t)size, 0, msg};
    if ((uint64_t)size > (uint64_t)INT64_MAX) return BAD(&r, "gguf: buffer too large");
    int e;
    if (size < 4 || memcmp(buf, "GGUF", 4) != 0) return BAD(&r, "gguf: bad magic (not a GGUF file)");
    r.pos = 4;
    FORWARD_IF_ERROR(rd_u32(&r, &g->version, "header version"));
    /* v1 used 32-bit counts; v2 and v3 share the layout (v3 adds big-endian
     * files, which announce themselves with a byte-swapped version). */
    RETURN_ERROR_IF(g->version != 2 && g->version != 3, LMZ_error_unsupported, msg,
                    "gguf: version %u not supported (2 or 3)", g->version);
    FORWARD_IF_ERROR(rd_u64(&r, &g->n_tensors, "header n_tensors"));
    FORWARD_IF_ERROR(rd_u64(&r, &g->n_kv, "header n_kv"));
    /* bound the counts by the bytes left before allocating anything */
    if (g->n_kv > left(&r) / GGUF_MIN_KV_BYTES || g->n_tensors > left(&r) / GGUF_MIN_TENSOR_BYTES ||
        g->n_kv * GGUF_MIN_KV_BYTES + g->n_tensors * GGUF_MIN_TENSOR_BYTES > left(&r)) {
        e = BAD(&r, "gguf: header counts n_kv %llu / n_tensors %llu too large for a %llu-byte file",
                (unsigned long long)g->n_kv, (unsigned long long)g->n_tensors, (unsigned long long)size);
        goto fail;
    }
    g->buf = r.buf;
    g->size = size;
    g->kv = calloc(g->n_kv ? (size_t)g->n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(g->n_tensors ? (size_t)g->n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) {
        e = lmz_fail(msg, LMZ_error_memory, "gguf: out of memory for %llu keys / %llu tensors",
                     (unsigned long long)g->n_kv, (unsigned long long)g->n_tensors);
        goto fail;
    }
    if ((e = parse_kvs(g, &r))) goto fail;
    if ((e = parse_alignment(g, msg))) goto fail;
    if ((e = parse_tensor_infos(g, &r))) goto fail;
    if ((e = place_tensors(g, &r))) goto fail;
    return 0;
fail:
    gguf_close(g);
    return e;
}

void gguf_close(gguf_file *g) {
    if (!g) return;
    free(g->kv);
    free(g->tensors);
    memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                  */
/* ------------------------------------------------------------------------ */

static int str_eq(const gguf_str *s, const char *z) {
    size_t n = strlen(z);
    return s->len == n && memcmp(s->ptr, z, n) == 0;
}

const gguf_kv *gguf_find(const gguf_file *g, const char *key) {
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (str_eq(&g->kv[i].key, key)) return &g->kv[i];
    return NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *g, const char *name) {
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (str_eq(&g->tensors[i].name, name)) return &g->tensors[i];
    return NULL;
}

int gguf_get_int(const gguf_file *g, const char *key, int64_t *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return -1;
    const uint8_t *p = kv->val;
    int64_t v;
    switch (kv->type) {
    case GGUF_T_U8: case GGUF_T_BOOL: v = p[0]; break;
    case GGUF_T_I8: v = (int8_t)p[0]; break;
    case GGUF_T_U16: v = lmz_rd16(p); break;
    case GGUF_T_I16: v = (int16_t)lmz_rd16(p); break;
    case GGUF_T_U32: v = lmz_rd32(p); break;
    case GGUF_T_I32: v = (int32_t)lmz_rd32(p); break;
    case GGUF_T_U64: {
        uint64_t u = lmz_rd64(p);
        if (u > (uint64_t)INT64_MAX) return -1;
        v = (int64_t)u;
        break;
    }
    case GGUF_T_I64: v = (int64_t)lmz_rd64(p); break;
    default: return -1;
    }
    if (v < 0) return -1;
    *out = v;
    return 0;
}

int gguf_get_f32(const gguf_file *g, const char *key, float *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return -1;
    if (kv->type == GGUF_T_F32) {
        *out = lmz_rdf32(kv->val);
        return 0;
    }
    if (kv->type == GGUF_T_F64) {
        uint64_t u = lmz_rd64(kv->val);
        double d;
        memcpy(&d, &u, 8);
        *out = (float)d;
        return 0;
    }
    return -1;
}

int gguf_get_str(const gguf_file *g, const char *key, gguf_str *out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv || kv->type != GGUF_T_STRING) return -1;
    out->len = lmz_rd64(kv->val);
    out->ptr = (const char *)kv->val + 8;
    return 0;
}

int gguf_get_arr(const gguf_file *g, const char *key, uint32_t elem_type, const gguf_kv **out) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv || kv->type != GGUF_T_ARRAY || kv->arr_type != elem_type) return -1;
    *out = kv;
    return 0;
}

void gguf_str_iter_init(gguf_str_iter *it, const gguf_kv *arr) {
    it->p = arr->val;
    it->end = arr->val + arr->val_size;
    it->left = (arr->type == GGUF_T_ARRAY && arr->arr_type == GGUF_T_STRING) ? arr->arr_len : 0;
}

int gguf_str_iter_next(gguf_str_iter *it, gguf_str *out) {
    /* the array was validated at open; the checks below are belts and braces */
    if (it->left == 0 || (size_t)(it->end - it->p) < 8) return -1;
    uint64_t n = lmz_rd64(it->p);
    if (n > (uint64_t)(it->end - it->p) - 8) return -1;
    out->ptr = (const char *)it->p + 8;
    out->len = n;
    it->p += 8 + n;
    it->left--;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Dequantization of one row (ggml block layouts)                           */
/* ------------------------------------------------------------------------ */

/* Q4_0: { f16 d; u8 qs[16] }: value j = d * ((qs[j] & 15) - 8) for j < 16,
 * d * ((qs[j-16] >> 4) - 8) for j >= 16. */
static void deq_q4_0(const uint8_t *b, uint64_t nblk, float *y) {
    for (uint64_t i = 0; i < nblk; i++, b += 18, y += 32) {
        float d = lmz_f16_to_f32(lmz_rd16(b));
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((b[2 + j] & 15) - 8) * d;
            y[j + 16] = (float)((b[2 + j] >> 4) - 8) * d;
        }
    }
}

/* Q4_1: { f16 d; f16 m; u8 qs[16] }: Q4_0's nibbles, value = q * d + m. */
static void deq_q4_1(const uint8_t *b, uint64_t nblk, float *y) {
    for (uint64_t i = 0; i < nblk; i++, b += 20, y += 32) {
        const float d = lmz_f16_to_f32(lmz_rd16(b)), m = lmz_f16_to_f32(lmz_rd16(b + 2));
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(b[4 + j] & 15) * d + m;
            y[j + 16] = (float)(b[4 + j] >> 4) * d + m;
        }
    }
}

/* Q5_0 / Q5_1: { f16 d; [f16 m;] u8 qh[4]; u8 qs[16] }: Q4's nibbles with
 * a fifth bit, bit j of the little-endian u32 qh for value j; Q5_0: value =
 * (q - 16) * d; Q5_1: value = q * d + m. (llama.cpp stores tensors whose
 * rows are not multiples of 256 this way in its Q4_K_M / Q5_K_M files.) */
static void deq_q5(const uint8_t *b, uint64_t nblk, float *y, int with_min) {
    const size_t bs = with_min ? 24 : 22;
    for (uint64_t i = 0; i < nblk; i++, b += bs, y += 32) {
        const float d = lmz_f16_to_f32(lmz_rd16(b)), m = with_min ? lmz_f16_to_f32(lmz_rd16(b + 2)) : 0.0f;
        const uint8_t *p = b + (with_min ? 4 : 2);
        const uint32_t qh = lmz_rd32(p);
        const int off = with_min ? 0 : 16;
        for (int j = 0; j < 16; j++) {
            const int x0 = (int)((p[4 + j] & 15) | (((qh >> j) & 1) << 4)) - off;
            const int x1 = (int)((p[4 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - off;
            y[j] = with_min ? (float)x0 * d + m : (float)x0 * d;
            y[j + 16] = with_min ? (float)x1 * d + m : (float)x1 * d;
        }
    }
}

/* Q8_0: { f16 d; i8 qs[32] }: value j = d * qs[j]. */
static void deq_q8_0(const uint8_t *b, uint64_t nblk, float *y) {
    for (uint64_t i = 0; i < nblk; i++, b += 34, y += 32) {
        float d = lmz_f16_to_f32(lmz_rd16(b));
        for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
    }
}

/* Q4_K: { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } for 256 values in 8
 * sub-blocks of 32. Each sub-block has a 6-bit scale and 6-bit min packed in
 * `scales`; value = d*scale * q - dmin*min with q a 4-bit nibble. Sub-blocks
 * 2k and 2k+1 share qs[32k..32k+32): low nibbles then high nibbles. */
static void q4k_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* Q5_K: { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] } for 256
 * values: Q4_K's sub-blocks, scales and nibbles, each quant with a fifth
 * bit from qh (bit 2k of qh[l] for value l of sub-block 2k, bit 2k+1 for
 * value l of sub-block 2k+1); value = d*scale * q - dmin*min. One routine
 * for both (q5: the fifth bits are there). */
static void deq_q45_k(const uint8_t *b, uint64_t nblk, float *y, int q5) {
    for (uint64_t i = 0; i < nblk; i++, b += q5 ? 176 : 144) {
        const float d = lmz_f16_to_f32(lmz_rd16(b));
        const float dmin = lmz_f16_to_f32(lmz_rd16(b + 2));
        const uint8_t *scales = b + 4, *qh = b + 16, *q = b + (q5 ? 48 : 16);
        for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
            uint8_t sc, m;
            q4k_scale_min(is, scales, &sc, &m);
            const float d1 = d * sc, m1 = dmin * m;
            q4k_scale_min(is + 1, scales, &sc, &m);
            const float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (float)((q[l] & 0xF) + (q5 && (qh[l] >> is & 1) ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (float)((q[l] >> 4) + (q5 && (qh[l] >> (is + 1) & 1) ? 16 : 0)) - m2;
        }
    }
}

/* Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d } for 256 values.
 * A 6-bit quant is 4 low bits from ql and 2 high bits from qh, minus 32;
 * value = d * scales[sub-block of 16] * q. Two halves of 128 values. */
static void deq_q6_k(const uint8_t *b, uint64_t nblk, float *y) {
    for (uint64_t i = 0; i < nblk; i++, b += 210) {
        const float d = lmz_f16_to_f32(lmz_rd16(b + 208));
        const uint8_t *ql = b, *qh = b + 128;
        const int8_t *sc = (const int8_t *)(b + 192);
        for (int n = 0; n < QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * (float)sc[is + 0] * (float)q1;
                y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                y[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
    }
}

int gguf_tensor_row_f32(const gguf_tensor *t, uint64_t row, float *out) {
    uint64_t blck, bsz;
    if (type_layout(t->type, &blck, &bsz)) return LMZ_IERR(LMZ_error_unsupported);
    uint64_t n_rows = t->n_elements / t->ne[0];
    if (row >= n_rows) return LMZ_IERR(LMZ_error_parameter);
    uint64_t nblk = t->ne[0] / blck;
    const uint8_t *p = t->data + row * nblk * bsz; /* inside: validated at open */
    switch (t->type) {
    case GGML_T_F32:
        for (uint64_t j = 0; j < t->ne[0]; j++) out[j] = lmz_rdf32(p + 4 * j);
        return 0;
    case GGML_T_F16:
        for (uint64_t j = 0; j < t->ne[0]; j++) out[j] = lmz_f16_to_f32(lmz_rd16(p + 2 * j));
        return 0;
    case GGML_T_BF16: /* the top half of a binary32: exact */
        for (uint64_t j = 0; j < t->ne[0]; j++) {
            const uint32_t u = (uint32_t)lmz_rd16(p + 2 * j) << 16;
            memcpy(&out[j], &u, 4);
        }
        return 0;
    case GGML_T_Q4_0: deq_q4_0(p, nblk, out); return 0;
    case GGML_T_Q4_1: deq_q4_1(p, nblk, out); return 0;
    case GGML_T_Q5_0: deq_q5(p, nblk, out, 0); return 0;
    case GGML_T_Q5_1: deq_q5(p, nblk, out, 1); return 0;
    case GGML_T_Q8_0: deq_q8_0(p, nblk, out); return 0;
    case GGML_T_Q4_K: deq_q45_k(p, nblk, out, 0); return 0;
    case GGML_T_Q5_K: deq_q45_k(p, nblk, out, 1); return 0;
    case GGML_T_Q6_K: deq_q6_k(p, nblk, out); return 0;
    default: return LMZ_IERR(LMZ_error_unsupported);
    }
}

/* ------------------------------------------------------------------------ */
/* Read-only memory map                                                     */
/* ------------------------------------------------------------------------ */

int lmz_mmap_open(lmz_mmap *m, const char *path, lmz_msg *msg) {
    m->addr = NULL;
    m->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    RETURN_ERROR_IF(fd < 0, LMZ_error_io, msg, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        RETURN_ERROR(LMZ_error_io, msg, "cannot stat '%s': %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        RETURN_ERROR(LMZ_error_io, msg, "'%s' is not a regular file", path);
    }
    if (st.st_size <= 0) {
        close(fd);
        RETURN_ERROR(LMZ_error_io, msg, "'%s' is empty", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        RETURN_ERROR(LMZ_error_io, msg, "'%s' is too large to map", path);
    }
    void *a = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    RETURN_ERROR_IF(a == MAP_FAILED, LMZ_error_io, msg, "cannot map '%s': %s", path, strerror(err));
    m->addr = a;
    m->size = (size_t)st.st_size;
    return 0;
}

void lmz_mmap_close(lmz_mmap *m) {
    if (m && m->addr) munmap(m->addr, m->size);
    if (m) {
        m->addr = NULL;
        m->size = 0;
    }
}
