/*
 * tests/unit/test_gguf.c — GGUF reader.
 *
 *   - the real model: header, hyper-parameters, tensor list, row dequantization
 *   - dequantization of F32 / F16 / BF16 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q8_0 /
 *     Q4_K / Q5_K / Q6_K against an
 *     element-by-element reference written independently of the library
 *   - malformed files, generated here: truncations at every header offset,
 *     huge counts, bad strings, types, dims, alignment, offsets, duplicates,
 *     and random byte corruption; each must be rejected (never crash)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model/gguf.h"
#include "model/tokenizer.h"
#include "fixtures/tinymodel.h"

/* ------------------------------------------------------------------------ */
/* A tiny GGUF builder                                                      */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort(); /* test only */
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void u32(buf *b, uint32_t v) { uint8_t t[4]; lmz_wr32(t, v); put(b, t, 4); }
static void u64(buf *b, uint64_t v) { uint8_t t[8]; lmz_wr64(t, v); put(b, t, 8); }
static void f32v(buf *b, float f) { uint32_t u; memcpy(&u, &f, 4); u32(b, u); }
static void str(buf *b, const char *s) { u64(b, strlen(s)); put(b, s, strlen(s)); }
static void header(buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    put(b, "GGUF", 4);
    u32(b, version);
    u64(b, n_tensors);
    u64(b, n_kv);
}
static void kv_u32(buf *b, const char *k, uint32_t v) { str(b, k); u32(b, GGUF_T_U32); u32(b, v); }
static void tinfo(buf *b, const char *name, uint32_t nd, const uint64_t *ne, uint32_t type, uint64_t off) {
    str(b, name);
    u32(b, nd);
    for (uint32_t i = 0; i < nd && i < 4; i++) u64(b, ne[i]); /* ne has 4 entries */
    u32(b, type);
    u64(b, off);
}
static void align(buf *b, size_t a) {
    while (b->n % a) u8(b, 0);
}

/* Opens and expects a failure with the given code (0: any) whose message
 * contains `needle` (NULL: any). */
static void expect_fail(const buf *b, int code, const char *needle, const char *what) {
    gguf_file g;
    lmz_msg msg = {{0}};
    /* copy to an exact-size heap block so ASan catches any overread */
    uint8_t *c = malloc(b->n ? b->n : 1);
    if (b->n) memcpy(c, b->p, b->n);
    int rc = gguf_open_buffer(&g, c, b->n, &msg);
    CHECK(rc < 0, "%s: accepted", what);
    if (rc < 0) {
        CHECK(code == 0 || rc == -code, "%s: error %d, expected %d (%s)", what, rc, -code, msg.text);
        CHECK(msg.text[0] != 0, "%s: no message", what);
        CHECK(!needle || strstr(msg.text, needle), "%s: message '%s' lacks '%s'", what, msg.text, needle);
    } else {
        gguf_close(&g);
    }
    free(c);
}

static int expect_ok(const buf *b, gguf_file *g, const char *what) {
    lmz_msg msg = {{0}};
    int rc = gguf_open_buffer(g, b->p, b->n, &msg);
    CHECK(rc == 0, "%s: rejected: %s", what, msg.text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The real model                                                           */
/* ------------------------------------------------------------------------ */

static void test_real_model(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/models/lmz-base.gguf", LMZ_SRC);
    lmz_mmap m;
    lmz_msg msg = {{0}};
    int rc = lmz_mmap_open(&m, p, &msg);
    CHECK(rc == 0, "mmap %s: %s", p, msg.text);
    if (rc) return;
    CHECK(m.size == 38289888, "model size %zu", m.size);
    gguf_file g;
    rc = gguf_open_buffer(&g, m.addr, m.size, &msg);
    CHECK(rc == 0, "open: %s", msg.text);
    if (rc) { lmz_mmap_close(&m); return; }
    CHECK(g.version == 3 && g.n_tensors == 74 && g.n_kv == 22 && g.alignment == 32, "header v%u %llu %llu",
          g.version, (unsigned long long)g.n_tensors, (unsigned long long)g.n_kv);
    gguf_str s;
    CHECK(gguf_get_str(&g, "general.architecture", &s) == 0 && s.len == 5 && !memcmp(s.ptr, "llama", 5), "arch");
    CHECK(gguf_get_str(&g, "general.name", &s) == 0 && s.len == 8 && !memcmp(s.ptr, "lmz-base", 8), "name");
    static const struct { const char *k; int64_t v; } ints[] = {
        {"llama.context_length", 1024}, {"llama.embedding_length", 512}, {"llama.block_count", 8},
        {"llama.feed_forward_length", 1536}, {"llama.attention.head_count", 8},
        {"llama.attention.head_count_kv", 8}, {"llama.vocab_size", 16384}, {"tokenizer.ggml.bos_token_id", 1},
        {"general.alignment", 32}, {"tokenizer.ggml.add_bos_token", 1}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int64_t v = -1;
        CHECK(gguf_get_int(&g, ints[i].k, &v) == 0 && v == ints[i].v, "%s = %lld", ints[i].k, (long long)v);
    }
    float f = 0;
    CHECK(gguf_get_f32(&g, "llama.rope.freq_base", &f) == 0 && f == 10000.0f, "freq_base %g", f);
    CHECK(gguf_get_f32(&g, "llama.attention.layer_norm_rms_epsilon", &f) == 0 && f == 1e-5f, "eps %g", f);
    int64_t v;
    CHECK(gguf_get_int(&g, "general.name", &v) == -1, "string is not an int");
    CHECK(gguf_get_int(&g, "no.such.key", &v) == -1, "absent key");
    CHECK(gguf_get_f32(&g, "llama.block_count", &f) == -1, "int is not f32");
    CHECK(gguf_get_str(&g, "llama.block_count", &s) == -1, "int is not str");
    CHECK(gguf_find(&g, "general") == NULL && gguf_find(&g, "general.alignmentX") == NULL, "prefix lookups");
    const gguf_kv *a;
    CHECK(gguf_get_arr(&g, "tokenizer.ggml.tokens", GGUF_T_STRING, &a) == 0 && a->arr_len == 16384, "tokens");
    CHECK(gguf_get_arr(&g, "tokenizer.ggml.tokens", GGUF_T_I32, &a) == -1, "tokens are not i32");
    CHECK(gguf_get_arr(&g, "tokenizer.ggml.scores", GGUF_T_F32, &a) == 0 && a->val_size == 4 * 16384, "scores");
    gguf_get_arr(&g, "tokenizer.ggml.tokens", GGUF_T_STRING, &a);
    gguf_str_iter it;
    gguf_str_iter_init(&it, a);
    int n = 0, ok = 1;
    while (gguf_str_iter_next(&it, &s) == 0) {
        if (n == 1) ok &= s.len == 3 && !memcmp(s.ptr, "<s>", 3);
        if (n == 3) ok &= s.len == 6 && !memcmp(s.ptr, "<0x00>", 6);
        n++;
    }
    CHECK(n == 16384 && ok, "string iteration %d", n);

    /* tensors: names, shapes, types, layout */
    const gguf_tensor *t = gguf_find_tensor(&g, "token_embd.weight");
    CHECK(t && t->n_dims == 2 && t->ne[0] == 512 && t->ne[1] == 16384 && t->type == GGML_T_Q8_0 &&
              t->n_bytes == 16384ull * 16 * 34,
          "token_embd.weight");
    CHECK(gguf_find_tensor(&g, "output.weight") == NULL, "tied: no output.weight");
    t = gguf_find_tensor(&g, "output_norm.weight");
    CHECK(t && t->n_dims == 1 && t->ne[0] == 512 && t->ne[1] == 1 && t->type == GGML_T_F32, "output_norm");
    static const char *names[] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                  "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
    static const uint64_t ne0[] = {512, 512, 512, 512, 512, 512, 512, 512, 1536};
    static const uint64_t ne1[] = {1, 512, 512, 512, 512, 1, 1536, 1536, 512};
    for (int l = 0; l < 8; l++)
        for (int k = 0; k < 9; k++) {
            char nm[64];
            snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, names[k]);
            t = gguf_find_tensor(&g, nm);
            CHECK(t && t->ne[0] == ne0[k] && t->ne[1] == ne1[k] &&
                      t->type == (ne1[k] == 1 ? GGML_T_F32 : GGML_T_Q8_0),
                  "%s", nm);
        }
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        t = &g.tensors[i];
        CHECK(t->offset % 32 == 0 && t->data >= g.data && t->data + t->n_bytes <= (const uint8_t *)m.addr + m.size,
              "tensor %llu layout", (unsigned long long)i);
    }
    /* one row of the embedding against a hand decode of Q8_0 */
    t = gguf_find_tensor(&g, "token_embd.weight");
    float row[512];
    CHECK(gguf_tensor_row_f32(t, 16383, row) == 0, "row 16383");
    const uint8_t *blk = t->data + 16383ull * 16 * 34 + 5 * 34; /* block 5 of the last row */
    ok = 1;
    for (int j = 0; j < 32; j++) ok &= row[5 * 32 + j] == (float)(int8_t)blk[2 + j] * lmz_f16_to_f32(lmz_rd16(blk));
    CHECK(ok, "Q8_0 row decode");
    CHECK(gguf_tensor_row_f32(t, 16384, row) == -LMZ_error_parameter, "row out of range");
    t = gguf_find_tensor(&g, "blk.0.attn_norm.weight");
    CHECK(gguf_tensor_row_f32(t, 0, row) == 0 && row[7] == lmz_rdf32(t->data + 28), "F32 row");

    /* the tokenizer builds from it */
    lmz_tokenizer *tk = NULL;
    CHECK(tok_init(&tk, &g, &msg) == 0, "tok_init: %s", msg.text);
    tok_free(tk);
    gguf_close(&g);
    lmz_mmap_close(&m);
    gguf_close(&g); /* twice: harmless */
}

/* ------------------------------------------------------------------------ */
/* Dequantization against an element-wise reference                        */
/* ------------------------------------------------------------------------ */

/* Q4_K/Q5_K: the 6-bit scale and min of sub-block s from the 12 packed bytes */
static void k_scale_min(const uint8_t *sc, int s, int *scale, int *min) {
    if (s < 4) {
        *scale = sc[s] & 63;
        *min = sc[s + 4] & 63;
    } else {
        *scale = (sc[s + 4] & 15) | ((sc[s - 4] >> 6) << 4);
        *min = (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4);
    }
}

/* value i of a block, from the ggml layouts read element by element */
static float ref_value(uint32_t type, const uint8_t *b, int i) {
    switch (type) {
    case GGML_T_Q4_0: {
        int q = i < 16 ? (b[2 + i] & 15) : (b[2 + i - 16] >> 4);
        return (float)(q - 8) * lmz_f16_to_f32(lmz_rd16(b));
    }
    case GGML_T_Q8_0: return (float)(int8_t)b[2 + i] * lmz_f16_to_f32(lmz_rd16(b));
    case GGML_T_Q4_1: {
        int q = i < 16 ? (b[4 + i] & 15) : (b[4 + i - 16] >> 4);
        return (float)q * lmz_f16_to_f32(lmz_rd16(b)) + lmz_f16_to_f32(lmz_rd16(b + 2));
    }
    case GGML_T_Q5_0:
    case GGML_T_Q5_1: {
        const int m1 = type == GGML_T_Q5_1; /* Q5_1: a min after d */
        const uint8_t *qh = b + 2 + 2 * m1, *qs = qh + 4;
        int q = i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4);
        q |= ((qh[i / 8] >> (i % 8)) & 1) << 4; /* bit i of the little-endian u32 */
        float d = lmz_f16_to_f32(lmz_rd16(b));
        return m1 ? (float)q * d + lmz_f16_to_f32(lmz_rd16(b + 2)) : (float)(q - 16) * d;
    }
    case GGML_T_Q5_K: {
        float d = lmz_f16_to_f32(lmz_rd16(b)), dmin = lmz_f16_to_f32(lmz_rd16(b + 2));
        const uint8_t *sc = b + 4, *qh = b + 16, *qs = b + 48;
        int s = i / 32, l = i % 32, scale, min;
        int q = ((qs[32 * (s / 2) + l] >> (4 * (s & 1))) & 15) | (((qh[l] >> s) & 1) << 4);
        k_scale_min(sc, s, &scale, &min);
        return d * (float)scale * (float)q - dmin * (float)min;
    }
    case GGML_T_Q4_K: {
        float d = lmz_f16_to_f32(lmz_rd16(b)), dmin = lmz_f16_to_f32(lmz_rd16(b + 2));
        const uint8_t *sc = b + 4, *qs = b + 16;
        int s = i / 32, q = (qs[32 * (s / 2) + i % 32] >> (4 * (s & 1))) & 15, scale, min;
        k_scale_min(sc, s, &scale, &min);
        return d * (float)scale * (float)q - dmin * (float)min;
    }
    case GGML_T_Q6_K: {
        const uint8_t *ql = b, *qh = b + 128;
        const int8_t *sc = (const int8_t *)(b + 192);
        float d = lmz_f16_to_f32(lmz_rd16(b + 208));
        int h = i / 128, r = i % 128, g = r / 32, l = r % 32;
        int lo = (ql[64 * h + l + (g & 1) * 32] >> (g >= 2 ? 4 : 0)) & 15;
        int hi = (qh[32 * h + l] >> (2 * g)) & 3;
        return d * (float)sc[8 * h + l / 16 + 2 * g] * (float)((lo | (hi << 4)) - 32);
    }
    }
    return NAN;
}

static void test_dequant(void) {
    static const struct { uint32_t type, blck, bsz; const char *name; } ty[] = {
        {GGML_T_F32, 1, 4, "F32"},        {GGML_T_F16, 1, 2, "F16"},     {GGML_T_Q4_0, 32, 18, "Q4_0"},
        {GGML_T_Q8_0, 32, 34, "Q8_0"},    {GGML_T_Q4_K, 256, 144, "Q4_K"}, {GGML_T_Q6_K, 256, 210, "Q6_K"},
        {GGML_T_BF16, 1, 2, "BF16"},      {GGML_T_Q4_1, 32, 20, "Q4_1"},   {GGML_T_Q5_0, 32, 22, "Q5_0"},
        {GGML_T_Q5_1, 32, 24, "Q5_1"},    {GGML_T_Q5_K, 256, 176, "Q5_K"},
    };
    uint64_t rs = 12345;
    for (size_t k = 0; k < sizeof ty / sizeof ty[0]; k++) {
        const uint64_t ne[4] = {2 * 256, 3, 1, 1}; /* 3 rows of 512 */
        size_t nbytes = (size_t)(ne[0] / ty[k].blck * ty[k].bsz * ne[1]);
        buf b = {0};
        header(&b, 3, 1, 0);
        tinfo(&b, "w", 2, ne, ty[k].type, 0);
        align(&b, 32);
        size_t data = b.n;
        for (size_t i = 0; i < nbytes; i++) {
            rs = rs * 6364136223846793005ull + 1442695040888963407ull;
            u8(&b, (uint8_t)(rs >> 56));
        }
        /* keep half-float scales finite and the F32/F16 values finite */
        for (size_t i = 0; i < nbytes; i++) {
            if (ty[k].type == GGML_T_F32 && i % 4 == 3) b.p[data + i] &= 0x3f;
            if (ty[k].type == GGML_T_F16 && i % 2 == 1) b.p[data + i] &= 0x3b;
            if (ty[k].type == GGML_T_BF16 && i % 2 == 1) b.p[data + i] &= 0xbf; /* exponent < 255, either sign */
        }
        if (ty[k].blck > 1)
            for (size_t blk = 0; blk < nbytes / ty[k].bsz; blk++) {
                uint8_t *p = b.p + data + blk * ty[k].bsz;
                if (ty[k].type == GGML_T_Q6_K) p += 208;
                p[1] &= 0x3b; /* exponent < 31 */
                if (ty[k].type == GGML_T_Q4_K || ty[k].type == GGML_T_Q5_K || ty[k].type == GGML_T_Q4_1 ||
                    ty[k].type == GGML_T_Q5_1)
                    p[3] &= 0x3b; /* the min's half float too */
            }
        gguf_file g;
        if (expect_ok(&b, &g, ty[k].name)) { free(b.p); continue; }
        const gguf_tensor *t = &g.tensors[0];
        CHECK(t->n_bytes == nbytes, "%s n_bytes", ty[k].name);
        float row[512];
        int ok = 1;
        for (uint64_t r = 0; r < 3; r++) {
            CHECK(gguf_tensor_row_f32(t, r, row) == 0, "%s row %llu", ty[k].name, (unsigned long long)r);
            const uint8_t *rowp = t->data + r * (nbytes / 3);
            for (int i = 0; i < 512; i++) {
                float want;
                if (ty[k].type == GGML_T_F32) want = lmz_rdf32(rowp + 4 * i);
                else if (ty[k].type == GGML_T_F16) want = lmz_f16_to_f32(lmz_rd16(rowp + 2 * i));
                else if (ty[k].type == GGML_T_BF16) {
                    uint32_t u = (uint32_t)lmz_rd16(rowp + 2 * i) << 16;
                    memcpy(&want, &u, 4);
                }
                else want = ref_value(ty[k].type, rowp + (size_t)(i / ty[k].blck) * ty[k].bsz, (int)(i % ty[k].blck));
                if (!(row[i] == want)) {
                    if (ok) fprintf(stderr, "%s row %llu [%d]: %g vs %g\n", ty[k].name, (unsigned long long)r, i,
                                    row[i], want);
                    ok = 0;
                }
            }
        }
        CHECK(ok, "%s dequantization", ty[k].name);
        CHECK(gguf_tensor_row_f32(t, 3, row) == -LMZ_error_parameter, "%s row 3 out of range", ty[k].name);
        gguf_close(&g);
        free(b.p);
    }
}

/* ------------------------------------------------------------------------ */
/* Malformed files                                                          */
/* ------------------------------------------------------------------------ */

/* A valid file with one F32 tensor "t" of 8 floats and one kv, built with
 * the given tweaks. */
typedef struct {
    uint32_t version, n_dims, type;
    uint64_t n_tensors, n_kv, ne0, ne1, offset, key_len;
    const char *name2; /* a second tensor's name, NULL: none */
    int data_floats;   /* floats of data actually written */
} spec;

static spec base_spec(void) {
    spec s = {3, 1, GGML_T_F32, 1, 1, 8, 1, 0, (uint64_t)-1, NULL, 8};
    return s;
}

static buf build(const spec *s) {
    buf b = {0};
    header(&b, s->version, s->n_tensors, s->n_kv);
    if (s->key_len != (uint64_t)-1) {
        u64(&b, s->key_len);
        put(&b, "general.name", 12);
    } else {
        str(&b, "general.name");
    }
    u32(&b, GGUF_T_STRING);
    str(&b, "x");
    uint64_t ne[4] = {s->ne0, s->ne1, 1, 1};
    tinfo(&b, "t", s->n_dims, ne, s->type, s->offset);
    if (s->name2) tinfo(&b, s->name2, 1, ne, GGML_T_F32, 32);
    align(&b, 32);
    for (int i = 0; i < s->data_floats; i++) f32v(&b, (float)i);
    return b;
}

static void test_malformed_fields(void) {
    spec s = base_spec();
    buf b = build(&s);
    gguf_file g;
    if (!expect_ok(&b, &g, "base spec")) gguf_close(&g);
    free(b.p);

#define CASE(field_code, code, needle, what)                                                                   \
    do {                                                                                                       \
        spec s_ = base_spec();                                                                                 \
        field_code;                                                                                            \
        buf b_ = build(&s_);                                                                                   \
        expect_fail(&b_, code, needle, what);                                                                  \
        free(b_.p);                                                                                            \
    } while (0)

    CASE(s_.version = 1, LMZ_error_unsupported, "version", "version 1");
    CASE(s_.version = 4, LMZ_error_unsupported, "version", "version 4");
    CASE(s_.version = 0x03000000, LMZ_error_unsupported, "version", "big-endian version");
    CASE(s_.n_kv = 1ull << 40, LMZ_error_model_invalid, "n_kv", "huge n_kv");
    CASE(s_.n_kv = UINT64_MAX, LMZ_error_model_invalid, "n_kv", "n_kv 2^64-1");
    CASE(s_.n_tensors = 1ull << 60, LMZ_error_model_invalid, "n_tensors", "huge n_tensors");
    CASE(s_.n_tensors = UINT64_MAX, LMZ_error_model_invalid, "n_tensors", "n_tensors 2^64-1");
    CASE(s_.n_kv = 2, LMZ_error_model_invalid, NULL, "n_kv one too many");
    CASE(s_.n_tensors = 2, LMZ_error_model_invalid, NULL, "n_tensors one too many");
    CASE(s_.key_len = 1ull << 40, LMZ_error_model_invalid, "past end", "key length past end");
    CASE(s_.key_len = UINT64_MAX - 1, LMZ_error_model_invalid, "past end", "key length 2^64-2");
    CASE(s_.n_dims = 0, LMZ_error_model_invalid, "n_dims", "n_dims 0");
    CASE(s_.n_dims = 5, LMZ_error_model_invalid, "n_dims", "n_dims 5");
    CASE(s_.n_dims = 0xFFFFFFFF, LMZ_error_model_invalid, "n_dims", "n_dims 2^32-1");
    CASE(s_.ne0 = 0, LMZ_error_model_invalid, "ne[0]", "ne0 0");
    CASE((s_.n_dims = 2, s_.ne1 = 0), LMZ_error_model_invalid, "ne[1]", "ne1 0");
    CASE(s_.ne0 = 1ull << 63, LMZ_error_model_invalid, "ne[0]", "ne0 2^63");
    CASE((s_.n_dims = 2, s_.ne0 = 1ull << 32, s_.ne1 = 1ull << 32), LMZ_error_model_invalid, "overflow",
         "ne product overflow");
    CASE((s_.n_dims = 2, s_.ne0 = 1ull << 40, s_.ne1 = 1ull << 20), LMZ_error_model_invalid, "past end",
         "huge tensor");
    CASE(s_.type = 10, LMZ_error_unsupported, "Q2_K", "tensor type Q2_K (named)");
    CASE(s_.type = 23, LMZ_error_unsupported, "IQ4_XS", "tensor type IQ4_XS (named)");
    CASE((s_.type = GGML_T_Q5_1, s_.ne0 = 16), LMZ_error_model_invalid, "multiple", "Q5_1 ne0 16");
    CASE(s_.type = 99, LMZ_error_unsupported, "type", "tensor type 99");
    CASE(s_.type = 0xFFFFFFFF, LMZ_error_unsupported, "type", "tensor type 2^32-1");
    CASE((s_.type = GGML_T_Q8_0, s_.ne0 = 33), LMZ_error_model_invalid, "multiple", "Q8_0 ne0 33");
    CASE((s_.type = GGML_T_Q4_K, s_.ne0 = 32), LMZ_error_model_invalid, "multiple", "Q4_K ne0 32");
    CASE(s_.offset = 4, LMZ_error_model_invalid, "alignment", "misaligned offset");
    CASE(s_.offset = 32, LMZ_error_model_invalid, "past end", "offset past end");
    CASE(s_.offset = 1ull << 62, LMZ_error_model_invalid, "past end", "offset 2^62");
    CASE(s_.offset = UINT64_MAX - 31, LMZ_error_model_invalid, "past end", "offset near 2^64");
    CASE(s_.data_floats = 7, LMZ_error_model_invalid, "past end", "data one float short");
    CASE(s_.data_floats = 0, LMZ_error_model_invalid, "past end", "no data");
    CASE((s_.n_tensors = 2, s_.name2 = "t", s_.data_floats = 16), LMZ_error_model_invalid, "duplicate",
         "duplicate tensor");
    CASE((s_.n_tensors = 2, s_.name2 = "", s_.data_floats = 16), LMZ_error_model_invalid, "name", "empty name");
    {
        char longname[400];
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        CASE((s_.n_tensors = 2, s_.name2 = longname, s_.data_floats = 16), LMZ_error_model_invalid, "name",
             "long name");
    }
    /* the error message names the tensor and the range */
    CASE((s_.data_floats = 4), LMZ_error_model_invalid, "tensor 0 't': data [0, 32) past end of file", "message");
    /* a second tensor: fine when both fit */
    {
        spec s2 = base_spec();
        s2.n_tensors = 2;
        s2.name2 = "u";
        s2.data_floats = 16;
        buf b2 = build(&s2);
        if (!expect_ok(&b2, &g, "two tensors")) {
            CHECK(gguf_find_tensor(&g, "u") && gguf_find_tensor(&g, "u")->data == g.data + 32, "second tensor");
            gguf_close(&g);
        }
        free(b2.p);
    }
#undef CASE
}

/* Files built kv by kv, for the metadata value rules. */
static buf kv_file(void (*fill)(buf *), uint64_t n_kv) {
    buf b = {0};
    header(&b, 3, 0, n_kv);
    fill(&b);
    return b;
}
static void kv_bad_type(buf *b) { str(b, "k"); u32(b, 13); u32(b, 0); }
static void kv_bad_type_big(buf *b) { str(b, "k"); u32(b, 0xFFFFFFFF); u32(b, 0); }
static void kv_bool2(buf *b) { str(b, "k"); u32(b, GGUF_T_BOOL); u8(b, 2); u8(b, 0); }
static void kv_str_long(buf *b) { str(b, "k"); u32(b, GGUF_T_STRING); u64(b, 1000); put(b, "abc", 3); }
static void kv_str_huge(buf *b) { str(b, "k"); u32(b, GGUF_T_STRING); u64(b, UINT64_MAX); put(b, "abc", 3); }
static void kv_arr_huge(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); u32(b, GGUF_T_U64); u64(b, 1ull << 61); u64(b, 0); }
static void kv_arr_huge2(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); u32(b, GGUF_T_U32); u64(b, UINT64_MAX / 2); u64(b, 0); }
static void kv_arr_str_huge(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); u32(b, GGUF_T_STRING); u64(b, 1ull << 62); u64(b, 0); }
static void kv_arr_badtype(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); u32(b, 77); u64(b, 1); u64(b, 0); }
static void kv_arr_bool(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); u32(b, GGUF_T_BOOL); u64(b, 3); u8(b, 1); u8(b, 0); u8(b, 9); }
static void nest(buf *b, int depth) {
    if (depth == 0) {
        u32(b, GGUF_T_U8);
        u64(b, 1);
        u8(b, 7);
        return;
    }
    u32(b, GGUF_T_ARRAY);
    u64(b, 1);
    nest(b, depth - 1);
}
static void kv_nest_ok(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); nest(b, 3); }     /* 4 levels */
static void kv_nest_deep(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); nest(b, 4); }   /* 5 levels */
static void kv_nest_bomb(buf *b) { str(b, "k"); u32(b, GGUF_T_ARRAY); nest(b, 5000); } /* very deep */
static void kv_dup(buf *b) { kv_u32(b, "a.b", 1); kv_u32(b, "a.b", 2); }
static void kv_empty_key(buf *b) { str(b, ""); u32(b, GGUF_T_U32); u32(b, 0); }
static void kv_nul_key(buf *b) { u64(b, 3); put(b, "a\0b", 3); u32(b, GGUF_T_U32); u32(b, 0); }
static void kv_align0(buf *b) { kv_u32(b, "general.alignment", 0); }
static void kv_align3(buf *b) { kv_u32(b, "general.alignment", 48); }
static void kv_align_big(buf *b) { kv_u32(b, "general.alignment", 1u << 30); }
static void kv_align_str(buf *b) { str(b, "general.alignment"); u32(b, GGUF_T_STRING); str(b, "32"); }
static void kv_align_neg(buf *b) { str(b, "general.alignment"); u32(b, GGUF_T_I32); u32(b, (uint32_t)-32); }
static void kv_align_f32(buf *b) { str(b, "general.alignment"); u32(b, GGUF_T_F32); f32v(b, 32.0f); }
static void kv_all_types(buf *b) {
    str(b, "u8"); u32(b, GGUF_T_U8); u8(b, 200);
    str(b, "i8"); u32(b, GGUF_T_I8); u8(b, 0xFF);
    str(b, "u16"); u32(b, GGUF_T_U16); u8(b, 0x34); u8(b, 0x12);
    str(b, "i16"); u32(b, GGUF_T_I16); u8(b, 0xFE); u8(b, 0xFF);
    str(b, "u32"); u32(b, GGUF_T_U32); u32(b, 4000000000u);
    str(b, "i32"); u32(b, GGUF_T_I32); u32(b, 123);
    str(b, "f32"); u32(b, GGUF_T_F32); f32v(b, 1.5f);
    str(b, "bool"); u32(b, GGUF_T_BOOL); u8(b, 1);
    str(b, "str"); u32(b, GGUF_T_STRING); str(b, "hello");
    str(b, "u64"); u32(b, GGUF_T_U64); u64(b, UINT64_MAX);
    str(b, "i64"); u32(b, GGUF_T_I64); u64(b, 1ull << 40);
    double d = 2.25;
    uint64_t du;
    memcpy(&du, &d, 8);
    str(b, "f64"); u32(b, GGUF_T_F64); u64(b, du);
    str(b, "arr"); u32(b, GGUF_T_ARRAY); u32(b, GGUF_T_STRING); u64(b, 3); str(b, "a"); str(b, ""); str(b, "ccc");
    str(b, "empty"); u32(b, GGUF_T_ARRAY); u32(b, GGUF_T_F32); u64(b, 0);
    str(b, "nest"); u32(b, GGUF_T_ARRAY); nest(b, 2);
    kv_u32(b, "general.alignment", 64);
}

static void test_malformed_kv(void) {
    static const struct { void (*f)(buf *); uint64_t n; int code; const char *needle, *what; } bad[] = {
        {kv_bad_type, 1, LMZ_error_model_invalid, "type", "unknown value type"},
        {kv_bad_type_big, 1, LMZ_error_model_invalid, "type", "value type 2^32-1"},
        {kv_bool2, 1, LMZ_error_model_invalid, "bool", "bool 2"},
        {kv_str_long, 1, LMZ_error_model_invalid, "past end", "string past end"},
        {kv_str_huge, 1, LMZ_error_model_invalid, "past end", "string length 2^64-1"},
        {kv_arr_huge, 1, LMZ_error_model_invalid, "past end", "array 2^61 u64"},
        {kv_arr_huge2, 1, LMZ_error_model_invalid, "past end", "array 2^63 u32"},
        {kv_arr_str_huge, 1, LMZ_error_model_invalid, "too large", "array 2^62 strings"},
        {kv_arr_badtype, 1, LMZ_error_model_invalid, "element type", "array element type 77"},
        {kv_arr_bool, 1, LMZ_error_model_invalid, "bool", "bool array element 9"},
        {kv_nest_deep, 1, LMZ_error_model_invalid, "nested", "arrays nested 5 deep"},
        {kv_nest_bomb, 1, LMZ_error_model_invalid, "nested", "arrays nested 5000 deep"},
        {kv_dup, 2, LMZ_error_model_invalid, "duplicate", "duplicate key"},
        {kv_empty_key, 1, LMZ_error_model_invalid, "key", "empty key"},
        {kv_nul_key, 1, LMZ_error_model_invalid, "NUL", "NUL in key"},
        {kv_align0, 1, LMZ_error_model_invalid, "alignment", "alignment 0"},
        {kv_align3, 1, LMZ_error_model_invalid, "alignment", "alignment 48"},
        {kv_align_big, 1, LMZ_error_model_invalid, "alignment", "alignment 2^30"},
        {kv_align_str, 1, LMZ_error_model_invalid, "alignment", "alignment string"},
        {kv_align_neg, 1, LMZ_error_model_invalid, "alignment", "alignment -32"},
        {kv_align_f32, 1, LMZ_error_model_invalid, "alignment", "alignment f32"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf b = kv_file(bad[i].f, bad[i].n);
        expect_fail(&b, bad[i].code, bad[i].needle, bad[i].what);
        free(b.p);
    }
    gguf_file g;
    buf b = kv_file(kv_nest_ok, 1);
    if (!expect_ok(&b, &g, "arrays nested 4 deep")) gguf_close(&g);
    free(b.p);

    b = kv_file(kv_all_types, 16);
    if (!expect_ok(&b, &g, "all value types")) {
        int64_t v;
        float f;
        gguf_str s;
        CHECK(gguf_get_int(&g, "u8", &v) == 0 && v == 200, "u8");
        CHECK(gguf_get_int(&g, "i8", &v) == -1, "i8 -1 is negative");
        CHECK(gguf_get_int(&g, "u16", &v) == 0 && v == 0x1234, "u16");
        CHECK(gguf_get_int(&g, "i16", &v) == -1, "i16 -2 is negative");
        CHECK(gguf_get_int(&g, "u32", &v) == 0 && v == 4000000000ll, "u32");
        CHECK(gguf_get_int(&g, "i32", &v) == 0 && v == 123, "i32");
        CHECK(gguf_get_int(&g, "bool", &v) == 0 && v == 1, "bool");
        CHECK(gguf_get_int(&g, "u64", &v) == -1, "u64 > INT64_MAX");
        CHECK(gguf_get_int(&g, "i64", &v) == 0 && v == (1ll << 40), "i64");
        CHECK(gguf_get_int(&g, "f32", &v) == -1, "f32 not int");
        CHECK(gguf_get_f32(&g, "f32", &f) == 0 && f == 1.5f, "f32");
        CHECK(gguf_get_f32(&g, "f64", &f) == 0 && f == 2.25f, "f64");
        CHECK(gguf_get_str(&g, "str", &s) == 0 && s.len == 5 && !memcmp(s.ptr, "hello", 5), "str");
        const gguf_kv *a;
        CHECK(gguf_get_arr(&g, "arr", GGUF_T_STRING, &a) == 0 && a->arr_len == 3, "arr");
        gguf_str_iter it;
        gguf_str_iter_init(&it, a);
        int ok = gguf_str_iter_next(&it, &s) == 0 && s.len == 1 && s.ptr[0] == 'a';
        ok &= gguf_str_iter_next(&it, &s) == 0 && s.len == 0;
        ok &= gguf_str_iter_next(&it, &s) == 0 && s.len == 3 && !memcmp(s.ptr, "ccc", 3);
        ok &= gguf_str_iter_next(&it, &s) == -1;
        CHECK(ok, "string array iteration");
        CHECK(gguf_get_arr(&g, "empty", GGUF_T_F32, &a) == 0 && a->arr_len == 0 && a->val_size == 0, "empty arr");
        CHECK(gguf_get_arr(&g, "nest", GGUF_T_ARRAY, &a) == 0 && a->arr_len == 1, "nested arr");
        CHECK(g.alignment == 64, "alignment 64");
        CHECK(g.n_tensors == 0, "no tensors");
        gguf_close(&g);
    }
    free(b.p);
}

/* Every truncation of a valid tiny model must fail until the last tensor's
 * data is complete. */
static void test_truncation(const uint8_t *file, size_t n) {
    gguf_file g;
    lmz_msg msg;
    if (gguf_open_buffer(&g, file, n, &msg)) { CHECK(0, "tiny model: %s", msg.text); return; }
    size_t need = 0, header_end = (size_t)(g.data - file);
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        size_t e = (size_t)(g.tensors[i].data - file) + g.tensors[i].n_bytes;
        if (e > need) need = e;
    }
    gguf_close(&g);
    int bad = 0, tried = 0;
    uint8_t *c = malloc(n);
    for (size_t len = 0; len < need; len += len < header_end + 64 ? 1 : 997) {
        /* exact-size copy: ASan sees any read past len */
        uint8_t *p = realloc(c, len ? len : 1);
        if (!p) break;
        c = p;
        memcpy(c, file, len);
        tried++;
        if (gguf_open_buffer(&g, c, len, &msg) == 0) {
            if (!bad) fprintf(stderr, "truncated at %zu accepted\n", len);
            bad++;
            gguf_close(&g);
        }
    }
    free(c);
    CHECK(bad == 0, "%d of %d truncations accepted", bad, tried);
    printf("truncation: %d lengths rejected (header %zu bytes, data to %zu)\n", tried, header_end, need);
}

/* Random corruption of the header: never crash; whatever opens is usable. */
static void test_corruption(const uint8_t *file, size_t n) {
    gguf_file g;
    lmz_msg msg;
    if (gguf_open_buffer(&g, file, n, &msg)) return;
    size_t header_end = (size_t)(g.data - file);
    gguf_close(&g);
    uint8_t *c = malloc(n);
    float *row = malloc(sizeof(float) * 4096);
    uint64_t rs = 99;
    int opened = 0, rejected = 0;
    for (int r = 0; r < 3000; r++) {
        memcpy(c, file, n);
        int flips = 1 + r % 4;
        for (int k = 0; k < flips; k++) {
            rs = rs * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)((rs >> 33) % header_end);
            uint8_t v = (uint8_t)(rs >> 20);
            if (r % 3 == 0) c[at] ^= (uint8_t)(1u << (v & 7)); /* bit flip */
            else c[at] = v;                                  /* byte */
        }
        if (gguf_open_buffer(&g, c, n, &msg) != 0) { rejected++; continue; }
        opened++;
        /* use everything it hands out */
        for (uint64_t i = 0; i < g.n_tensors; i++) {
            const gguf_tensor *t = &g.tensors[i];
            volatile uint8_t sink = 0;
            if (t->n_bytes) sink ^= t->data[0] ^ t->data[t->n_bytes - 1];
            (void)sink;
            if (t->ne[0] <= 4096 && t->n_dims <= 2) {
                gguf_tensor_row_f32(t, 0, row);
                gguf_tensor_row_f32(t, t->ne[1] - 1, row);
            }
        }
        lmz_tokenizer *tk = NULL;
        if (tok_init(&tk, &g, &msg) == 0) {
            int32_t *ids = NULL;
            size_t nid;
            static const char txt[] = "The quick brown fox, 12 \xe2\x96\x81 \xff!";
            if (tok_encode(tk, (const uint8_t *)txt, sizeof txt - 1, &ids, &nid) == 0) {
                uint8_t out[64];
                int64_t m = tok_decode(tk, ids, nid, out, sizeof out);
                CHECK(m == (int64_t)sizeof txt - 1 && !memcmp(out, txt, sizeof txt - 1),
                      "corrupted vocabulary breaks the round trip");
            }
            free(ids);
            tok_free(tk);
        }
        gguf_close(&g);
    }
    printf("corruption: %d opened, %d rejected\n", opened, rejected);
    free(row);
    free(c);
}

static void test_tiny_models(void) {
    for (int tied = 0; tied <= 1; tied++) {
        tinymodel_opts o = tinymodel_defaults();
        o.tied = tied;
        o.n_layer = 2;
        o.n_head_kv = 1; /* GQA: 2 query heads share 1 kv head */
        uint8_t *file;
        size_t n;
        CHECK(tinymodel_build(7, &o, &file, &n) == 0, "tinymodel_build");
        gguf_file g;
        lmz_msg msg;
        int rc = gguf_open_buffer(&g, file, n, &msg);
        CHECK(rc == 0, "tiny model: %s", msg.text);
        if (rc) { free(file); continue; }
        int64_t v;
        CHECK(gguf_get_int(&g, "llama.block_count", &v) == 0 && v == 2, "tiny layers");
        CHECK(gguf_get_int(&g, "llama.attention.head_count_kv", &v) == 0 && v == 1, "tiny kv heads");
        CHECK(gguf_get_int(&g, "llama.embedding_length", &v) == 0 && v == 64, "tiny embd");
        const gguf_tensor *t = gguf_find_tensor(&g, "blk.1.attn_k.weight");
        CHECK(t && t->ne[0] == 64 && t->ne[1] == 32 && t->type == GGML_T_Q8_0, "tiny attn_k (GQA)");
        t = gguf_find_tensor(&g, "output.weight");
        CHECK(tied ? t == NULL : (t && t->ne[1] == tinymodel_vocab_size(&o)), "tiny output.weight");
        CHECK(g.n_tensors == (uint64_t)(1 + 9 * 2 + 1 + !tied), "tiny tensor count");
        lmz_tokenizer *tk = NULL;
        CHECK(tok_init(&tk, &g, &msg) == 0, "tiny tok_init: %s", msg.text);
        tok_free(tk);
        gguf_close(&g);
        if (tied) {
            test_truncation(file, n);
            test_corruption(file, n);
        }
        free(file);
    }
    /* deterministic from the seed */
    uint8_t *a, *b;
    size_t na, nb;
    tinymodel_build(5, NULL, &a, &na);
    tinymodel_build(5, NULL, &b, &nb);
    CHECK(na == nb && !memcmp(a, b, na), "tinymodel deterministic");
    free(b);
    tinymodel_build(6, NULL, &b, &nb);
    CHECK(!(na == nb && !memcmp(a, b, na)), "tinymodel depends on the seed");
    free(a);
    free(b);
    tinymodel_opts o = tinymodel_defaults();
    o.n_embd = 48;
    CHECK(tinymodel_build(1, &o, &a, &na) == -LMZ_error_parameter, "tinymodel rejects n_embd 48");
}

static void test_mmap(void) {
    lmz_mmap m;
    lmz_msg msg = {{0}};
    char p[1024];
    snprintf(p, sizeof p, "%s/gguf_empty.bin", LMZ_BUILD);
    FILE *f = fopen(p, "wb");
    if (f) fclose(f);
    CHECK(lmz_mmap_open(&m, p, &msg) == -LMZ_error_io && strstr(msg.text, "empty"), "empty file: %s", msg.text);
    remove(p);
    CHECK(lmz_mmap_open(&m, "/nonexistent/x.gguf", &msg) == -LMZ_error_io, "missing file");
    CHECK(lmz_mmap_open(&m, LMZ_BUILD, &msg) == -LMZ_error_io, "directory");
    lmz_mmap_close(&m); /* zeroed by the failed open */
    gguf_file g;
    CHECK(gguf_open_buffer(&g, "", 0, &msg) == -LMZ_error_model_invalid, "empty buffer");
    CHECK(gguf_open_buffer(&g, "GGUF", 4, &msg) < 0, "magic only");
    CHECK(gguf_open_buffer(&g, "GGML\3\0\0\0", 8, &msg) == -LMZ_error_model_invalid, "bad magic");
    memset(&g, 0, sizeof g);
    gguf_close(&g);
}

int main(void) {
    test_real_model();
    test_dequant();
    test_malformed_fields();
    test_malformed_kv();
    test_tiny_models();
    test_mmap();
    return check_done("test_gguf");
}
