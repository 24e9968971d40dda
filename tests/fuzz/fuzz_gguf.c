/*
 * tests/fuzz/fuzz_gguf.c — GGUF model files from strangers: the input bytes
 * are a GGUF file.
 *
 *  1. gguf_open_buffer() directly; when it accepts, every view it hands out
 *     is walked (keys, typed lookups, string arrays) and one row of every
 *     tensor is dequantised (first and last row; this reaches the F16 / Q4_0
 *     / Q4_K / Q6_K paths when a mutation changes a tensor type to one whose
 *     size still fits);
 *  2. lmz_model_load_buffer() (gguf + tokenizer + llama_init); when it
 *     accepts, the model must work: a short text is compressed and
 *     decompressed back exactly with it.
 *
 * Seeds (tests/fuzz/corpus/gguf/) are tiny models from tests/fixtures/tinymodel.c.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "model/gguf.h"

#define MAX_ROW (1u << 16) /* floats dequantised per row at most */

static void walk_gguf(const uint8_t *buf, size_t n) {
    gguf_file g;
    lmz_msg msg = {{0}};
    int rc = gguf_open_buffer(&g, buf, n, &msg);
    if (rc) {
        FUZZ_ASSERT(rc < 0 && msg.text[0], "rejected without a message (rc %d)", rc);
        return;
    }
    for (uint64_t i = 0; i < g.n_kv; i++) {
        const gguf_kv *kv = &g.kv[i];
        FUZZ_ASSERT(kv->key.ptr >= (const char *)buf && kv->key.ptr + kv->key.len <= (const char *)buf + n, "key view");
        FUZZ_ASSERT(kv->val >= buf && kv->val + kv->val_size <= buf + n, "value view");
        char key[80];
        size_t kl = kv->key.len < sizeof key - 1 ? (size_t)kv->key.len : sizeof key - 1;
        memcpy(key, kv->key.ptr, kl);
        key[kl] = 0;
        if (strlen(key) != kl) continue; /* cannot happen: keys have no NUL */
        int64_t iv;
        float fv;
        gguf_str sv;
        (void)gguf_get_int(&g, key, &iv);
        (void)gguf_get_f32(&g, key, &fv);
        if (gguf_get_str(&g, key, &sv) == 0)
            FUZZ_ASSERT(sv.ptr >= (const char *)buf && sv.ptr + sv.len <= (const char *)buf + n, "string view");
        if (kv->type == GGUF_T_ARRAY && kv->arr_type == GGUF_T_STRING) {
            gguf_str_iter it;
            gguf_str_iter_init(&it, kv);
            uint64_t cnt = 0;
            while (gguf_str_iter_next(&it, &sv) == 0) {
                FUZZ_ASSERT(sv.ptr >= (const char *)buf && sv.ptr + sv.len <= (const char *)buf + n, "array string");
                cnt++;
            }
            FUZZ_ASSERT(cnt == kv->arr_len, "string array: %llu of %llu elements", (unsigned long long)cnt,
                        (unsigned long long)kv->arr_len);
        }
    }
    float *row = malloc(MAX_ROW * sizeof *row);
    FUZZ_ASSERT(row, "oom");
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        const gguf_tensor *t = &g.tensors[i];
        FUZZ_ASSERT(t->data >= buf && t->data + t->n_bytes <= buf + n, "tensor %llu data outside the file",
                    (unsigned long long)i);
        if (t->ne[0] > MAX_ROW) continue;
        uint64_t rows = t->n_elements / t->ne[0];
        (void)gguf_tensor_row_f32(t, 0, row);
        (void)gguf_tensor_row_f32(t, rows - 1, row);
        FUZZ_ASSERT(gguf_tensor_row_f32(t, rows, row) != 0, "row past the end accepted");
    }
    free(row);
    gguf_close(&g);
}

static void load_model(const uint8_t *buf, size_t n) {
    size_t err = 0;
    char msg[256] = {0};
    lmz_model *m = lmz_model_load_buffer(buf, n, &err, msg, sizeof msg);
    if (!m) {
        FUZZ_ASSERT(lmz_is_error(err) && msg[0], "rejected without an error and message");
        return;
    }
    FUZZ_ASSERT(lmz_model_vocab_size(m) >= 259 && lmz_model_context(m) >= 1, "model sizes");
    FUZZ_ASSERT(strlen(lmz_model_name(m)) <= 255, "name");
    /* an accepted model must work, whatever its weights */
    static const char text[] = "The cat sat on the mat. \"1865\" -- said Alice.\n\xe2\x96\x81 caf\xc3\xa9";
    const size_t tn = sizeof text - 1;
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    p.fallback = 0; /* use the model */
    p.memory_limit = 64ull << 20;
    uint8_t c[2048], d[sizeof text];
    size_t cs = lmz_compress(m, c, sizeof c, text, tn, &p);
    if (!lmz_is_error(cs)) {
        size_t ds = lmz_decompress(m, d, sizeof d, c, cs, &p);
        FUZZ_ASSERT(lmz_get_error_code(ds) == LMZ_error_memory_limit || (ds == tn && memcmp(d, text, tn) == 0), "round trip with an accepted model failed: %s",
                    lmz_is_error(ds) ? lmz_error_name(ds) : "wrong bytes");
    } else {
        /* only resource limits may stop an accepted model */
        lmz_error_code e = lmz_get_error_code(cs);
        FUZZ_ASSERT(e == LMZ_error_memory || e == LMZ_error_memory_limit, "compress with an accepted model: %s",
                    lmz_error_name(cs));
    }
    lmz_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *b = malloc(size ? size : 1); /* exact size: overreads are caught */
    if (!b) return 0;
    if (size) memcpy(b, data, size);
    walk_gguf(b, size);
    load_model(b, size);
    free(b);
    return 0;
}
