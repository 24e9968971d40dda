/*
 * lib/model/llama.c — the transformer forward pass, deterministic.
 *
 * Read top to bottom: hyper-parameters, weights (converted to int8 blocks at
 * load), RoPE tables, KV cache, scratch buffers, then the forward pass itself
 * (one routine for both entry points: a batch of rows where each row is one
 * token of some sequence at some position).
 *
 * Every row's arithmetic depends only on its own token, position and the KV
 * cache of its sequence — never on the batch it is part of, the thread that
 * computes it or the SIMD path — which is what makes compression (many
 * positions of one sequence at once) and decompression (one token of many
 * sequences at once) compute the same logits bit for bit.
 */
#include <math.h> /* sqrtf only: an IEEE basic operation, correctly rounded */
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "kernels/lmz_math.h"
#include "model/llama.h"

/* ======================================================================== */
/* Hyper-parameters                                                         */
/* ======================================================================== */

static int get_u32(const gguf_file *g, const char *key, uint32_t *out, int required, uint32_t def, lmz_msg *msg) {
    int64_t v;
    if (gguf_get_int(g, key, &v) != 0) {
        RETURN_ERROR_IF(required, LMZ_error_model_invalid, msg, "missing metadata key %s", key);
        *out = def;
        return 0;
    }
    RETURN_ERROR_IF(v <= 0 || v > (1 << 24), LMZ_error_model_invalid, msg, "%s = %lld out of range", key, (long long)v);
    *out = (uint32_t)v;
    return 0;
}

/* The architectures read (llama.h): their GGUF name, which is also the
 * prefix of their hyper-parameter keys. */
static const char *const arch_names[] = {"llama", "qwen2", "qwen3"};

/* The key "<arch>.<suffix>" of hp's architecture. */
static const char *akey(const llama_hparams *hp, const char *suffix, char *buf, size_t cap) {
    snprintf(buf, cap, "%s.%s", arch_names[hp->arch], suffix);
    return buf;
}

static int read_hparams(llama_hparams *hp, const gguf_file *g, lmz_msg *msg) {
    gguf_str arch;
    RETURN_ERROR_IF(gguf_get_str(g, "general.architecture", &arch) != 0, LMZ_error_model_invalid, msg,
                    "missing general.architecture");
    hp->arch = UINT32_MAX;
    for (uint32_t a = 0; a < sizeof arch_names / sizeof *arch_names; a++)
        if (arch.len == strlen(arch_names[a]) && memcmp(arch.ptr, arch_names[a], arch.len) == 0) hp->arch = a;
    RETURN_ERROR_IF(hp->arch == UINT32_MAX, LMZ_error_unsupported, msg,
                    "architecture '%.*s' is not supported (supported: llama, qwen2, qwen3)",
                    (int)(arch.len > 32 ? 32 : arch.len), arch.ptr);
    hp->rope_neox = hp->arch != LLAMA_ARCH_LLAMA; /* llama.cpp's rope type for qwen2/qwen3: NeoX */
    char k[64];
#define KEY(s) akey(hp, s, k, sizeof k)
    FORWARD_IF_ERROR(get_u32(g, KEY("embedding_length"), &hp->n_embd, 1, 0, msg));
    FORWARD_IF_ERROR(get_u32(g, KEY("block_count"), &hp->n_layer, 1, 0, msg));
    FORWARD_IF_ERROR(get_u32(g, KEY("attention.head_count"), &hp->n_head, 1, 0, msg));
    FORWARD_IF_ERROR(get_u32(g, KEY("attention.head_count_kv"), &hp->n_head_kv, 0, hp->n_head, msg));
    FORWARD_IF_ERROR(get_u32(g, KEY("feed_forward_length"), &hp->n_ff, 1, 0, msg));
    FORWARD_IF_ERROR(get_u32(g, KEY("context_length"), &hp->n_ctx, 1, 0, msg));
    /* head dimension: attention.key_length when the file has it (Qwen3:
     * n_head * head_dim may differ from n_embd), else n_embd / n_head */
    uint32_t kl = 0, vl = 0;
    FORWARD_IF_ERROR(get_u32(g, KEY("attention.key_length"), &kl, 0, 0, msg));
    FORWARD_IF_ERROR(get_u32(g, KEY("attention.value_length"), &vl, 0, kl, msg));
    if (kl == 0) {
        RETURN_ERROR_IF(hp->n_embd % hp->n_head, LMZ_error_model_invalid, msg,
                        "embedding_length %u not divisible by head_count %u", hp->n_embd, hp->n_head);
        kl = vl = hp->n_embd / hp->n_head;
    }
    RETURN_ERROR_IF(vl != kl, LMZ_error_unsupported, msg, "value_length %u differs from key_length %u", vl, kl);
    hp->head_dim = kl;
    FORWARD_IF_ERROR(get_u32(g, KEY("rope.dimension_count"), &hp->rope_dim, 0, hp->head_dim, msg));
    RETURN_ERROR_IF(hp->n_head % hp->n_head_kv, LMZ_error_model_invalid, msg,
                    "head_count %u not a multiple of head_count_kv %u", hp->n_head, hp->n_head_kv);
    RETURN_ERROR_IF(hp->n_embd % Q8_BLOCK || hp->n_ff % Q8_BLOCK || hp->head_dim % Q8_BLOCK, LMZ_error_unsupported, msg,
                    "dimensions must be multiples of 32 (embd %u, ffn %u, head %u)", hp->n_embd, hp->n_ff,
                    hp->head_dim);
    RETURN_ERROR_IF(hp->head_dim > 1024, LMZ_error_unsupported, msg, "head dimension %u > 1024", hp->head_dim);
    RETURN_ERROR_IF(hp->rope_dim > hp->head_dim || hp->rope_dim % 2 || hp->rope_dim == 0, LMZ_error_model_invalid,
                    msg, "rope dimension %u invalid for head dim %u", hp->rope_dim, hp->head_dim);
    RETURN_ERROR_IF(hp->n_layer > 1024 || hp->n_embd > 65536 || hp->n_ff > 262144 || hp->n_ctx > 1u << 20 ||
                        (uint64_t)hp->n_head * hp->head_dim > 65536,
                    LMZ_error_unsupported, msg, "model too large");
    hp->rope_base = 10000.0f;
    gguf_get_f32(g, KEY("rope.freq_base"), &hp->rope_base);
    hp->norm_eps = 1e-5f;
    gguf_get_f32(g, KEY("attention.layer_norm_rms_epsilon"), &hp->norm_eps);
    RETURN_ERROR_IF(!(hp->rope_base > 1.0f && hp->rope_base < 1e9f) || !(hp->norm_eps > 0.0f && hp->norm_eps < 1.0f),
                    LMZ_error_model_invalid, msg, "rope base or norm epsilon out of range");
    /* RoPE scaling other than Llama 3's frequency factors (a tensor, read
     * with the weights) would change every angle: refused by name */
    gguf_str st;
    if (gguf_get_str(g, KEY("rope.scaling.type"), &st) == 0)
        RETURN_ERROR_IF(!(st.len == 4 && memcmp(st.ptr, "none", 4) == 0), LMZ_error_unsupported, msg,
                        "RoPE scaling '%.*s' (%s) is not supported", (int)(st.len > 32 ? 32 : st.len), st.ptr, k);
#undef KEY
    return 0;
}

/* ======================================================================== */
/* Weights: every matrix becomes int8 blocks of 32 + one float scale each    */
/* ======================================================================== */

/* A simple bump allocator over one block of owned memory. */
typedef struct {
    uint8_t *base;
    size_t used, cap;
} arena;

static void *arena_take(arena *a, size_t n) {
    size_t at = (a->used + 63) & ~(size_t)63;
    if (at > a->cap || n > a->cap - at) return NULL;
    a->used = at + n;
    return a->base + at;
}

static int find_tensor(const gguf_file *g, const char *name, uint64_t ne0, uint64_t ne1, const gguf_tensor **out,
                       lmz_msg *msg) {
    const gguf_tensor *t = gguf_find_tensor(g, name);
    RETURN_ERROR_IF(!t, LMZ_error_model_invalid, msg, "missing tensor %s", name);
    uint64_t n1 = t->n_dims >= 2 ? t->ne[1] : 1;
    RETURN_ERROR_IF(t->ne[0] != ne0 || n1 != ne1 || t->ne[2] != 1 || t->ne[3] != 1, LMZ_error_model_invalid, msg,
                    "tensor %s has shape [%llu, %llu], expected [%llu, %llu]", name, (unsigned long long)t->ne[0],
                    (unsigned long long)n1, (unsigned long long)ne0, (unsigned long long)ne1);
    *out = t;
    return 0;
}

/* The kernel path wants the pre-transposed copy of the weights (kernels.h). */
static int want_tiles(void) { return lmz_kernels_get()->use_tiles; }

static size_t matrix_bytes(uint64_t rows, uint64_t cols) {
    return (size_t)(rows * cols) + 64 + 2 * ((size_t)(rows * (cols / Q8_BLOCK)) * sizeof(float) + 64) +
           (want_tiles() ? q8_tiles_bytes((uint32_t)rows, (uint32_t)cols) + 64 : 0);
}

/* Row r of the file goes to row dst_row(r): itself, or for the q/k rows
 * of a NeoX-order file (hd != 0: head_dim, rd: rope_dim) its place in
 * adjacent-pair order within its head (llama_rope_perm). */
static inline uint32_t dst_row(uint32_t r, uint32_t hd, uint32_t rd) {
    return hd ? r / hd * hd + llama_rope_perm(r % hd, rd) : r;
}

/* Converts a 2-D tensor [rows][cols] to our layout, row r of the file into
 * row dst_row(r, hd, rd). Q8_0 is split into its int8 values and widened
 * scales (exact); any other type is dequantised row by row (gguf.c, binary32
 * operations in a fixed order) and quantised with the scalar activation
 * quantiser: the same bytes on every machine (doc/determinism.md). */
static int load_matrix(q8_matrix *m, const gguf_file *g, const char *name, uint32_t cols, uint32_t rows, uint32_t hd,
                       uint32_t rd, arena *a, float *tmp, lmz_msg *msg) {
    const gguf_tensor *t;
    int r = find_tensor(g, name, cols, rows, &t, msg);
    if (r) return r;
    int8_t *q = arena_take(a, (size_t)rows * cols);
    float *d = arena_take(a, (size_t)rows * (cols / Q8_BLOCK) * sizeof(float));
    RETURN_ERROR_IF(!q || !d, LMZ_error_memory, msg, "out of weight memory at %s", name);
    const uint32_t nblk = cols / Q8_BLOCK;
    if (t->type == GGML_T_Q8_0) {
        const uint8_t *src = t->data; /* blocks of 34 bytes: fp16 scale, 32 int8 */
        for (uint32_t row = 0; row < rows; row++) {
            const size_t to = dst_row(row, hd, rd);
            for (uint32_t b = 0; b < nblk; b++, src += 34) {
                d[to * nblk + b] = lmz_f16_to_f32(lmz_rd16(src));
                memcpy(q + (to * nblk + b) * Q8_BLOCK, src + 2, Q8_BLOCK);
            }
        }
    } else {
        for (uint32_t row = 0; row < rows; row++) {
            RETURN_ERROR_IF(gguf_tensor_row_f32(t, row, tmp) != 0, LMZ_error_unsupported, msg,
                            "tensor %s: type %s not supported", name, gguf_type_name(t->type));
            for (uint32_t i = 0; i < cols; i++)
                if (!(tmp[i] - tmp[i] == 0.0f)) /* NaN or infinity */
                    RETURN_ERROR(LMZ_error_model_invalid, msg, "tensor %s: non-finite value in row %u", name, row);
            const size_t to = dst_row(row, hd, rd);
            quantize_q8_generic(tmp, cols, q + to * cols, d + to * nblk);
        }
    }
    for (size_t b = 0; b < (size_t)rows * nblk; b++)
        RETURN_ERROR_IF(!(d[b] == d[b]) || d[b] > 1e30f || d[b] < -1e30f, LMZ_error_model_invalid, msg,
                        "tensor %s: non-finite scale in block %zu", name, b);
    /* The kernels need values in [-127, 127] (see kernels.h). Standard Q8_0
     * quantisers never produce -128; a file that does gets it as -127. */
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        if (q[i] == -128) q[i] = -127;
    /* scales regrouped by 8 rows for the SIMD kernels */
    float *d8 = arena_take(a, (size_t)(rows / 8) * nblk * 8 * sizeof(float));
    RETURN_ERROR_IF(!d8, LMZ_error_memory, msg, "out of weight memory at %s", name);
    for (uint32_t r = 0; r < rows / 8 * 8; r++)
        for (uint32_t b = 0; b < nblk; b++) d8[((size_t)(r / 8) * nblk + b) * 8 + r % 8] = d[(size_t)r * nblk + b];
    if (want_tiles()) {
        uint8_t *qt = arena_take(a, q8_tiles_bytes(rows, cols));
        RETURN_ERROR_IF(!qt, LMZ_error_memory, msg, "out of weight memory at %s", name);
        q8_tiles_fill(q, rows, cols, qt);
        m->qt = qt;
    }
    m->q = q;
    m->d = d;
    m->d8 = d8;
    m->rows = rows;
    m->cols = cols;
    return 0;
}

/* A 1-D tensor of n floats, element i of the file at dst_row(i, hd, rd). */
static int load_vector(const float **out, const gguf_file *g, const char *name, uint32_t n, uint32_t hd, uint32_t rd,
                       arena *a, float *tmp, lmz_msg *msg) {
    const gguf_tensor *t;
    int r = find_tensor(g, name, n, 1, &t, msg);
    if (r) return r;
    float *v = arena_take(a, (size_t)n * sizeof(float));
    RETURN_ERROR_IF(!v, LMZ_error_memory, msg, "out of weight memory at %s", name);
    RETURN_ERROR_IF(gguf_tensor_row_f32(t, 0, tmp) != 0, LMZ_error_unsupported, msg,
                    "tensor %s: type %s not supported", name, gguf_type_name(t->type));
    for (uint32_t i = 0; i < n; i++) {
        RETURN_ERROR_IF(!(tmp[i] == tmp[i]) || tmp[i] > 1e30f || tmp[i] < -1e30f, LMZ_error_model_invalid, msg,
                        "tensor %s: non-finite value", name);
        v[dst_row(i, hd, rd)] = tmp[i];
    }
    *out = v;
    return 0;
}

/* RoPE angles: theta_i = base^(-2i/rope_dim) (divided by Llama 3's factor
 * rope_freqs[i] when the file has them), angle = pos * theta_i, built in
 * double with lmz_math (no libm) and rounded to float. */
static void build_rope(llama_model *m) {
    const llama_hparams *hp = &m->hp;
    const uint32_t half = hp->rope_dim / 2;
    const double lb = lmz_log_d((double)hp->rope_base);
    for (uint32_t i = 0; i < half; i++) {
        double theta = lmz_exp_d(-((double)(2 * i) / (double)hp->rope_dim) * lb);
        if (m->rope_freqs) theta /= (double)m->rope_freqs[i];
        m->rope_theta[i] = theta;
        for (uint32_t p = 0; p < hp->n_ctx; p++) {
            double s, c;
            lmz_sincos_d((double)p * theta, &s, &c);
            m->rope_cos[(size_t)p * half + i] = (float)c;
            m->rope_sin[(size_t)p * half + i] = (float)s;
        }
    }
}

int llama_init(llama_model *m, const gguf_file *g, lmz_msg *msg) {
    memset(m, 0, sizeof *m);
    llama_hparams *hp = &m->hp;
    int r = read_hparams(hp, g, msg);
    if (r) return r;
    const gguf_tensor *emb = gguf_find_tensor(g, "token_embd.weight");
    RETURN_ERROR_IF(!emb || emb->n_dims != 2, LMZ_error_model_invalid, msg, "missing 2-D tensor token_embd.weight");
    RETURN_ERROR_IF(emb->ne[1] < 260 || emb->ne[1] > (1u << 22), LMZ_error_model_invalid, msg,
                    "vocabulary size %llu out of range", (unsigned long long)emb->ne[1]);
    hp->n_vocab = (uint32_t)emb->ne[1];
    const gguf_tensor *out_t = gguf_find_tensor(g, "output.weight");

    const uint32_t d = hp->n_embd, hd = hp->head_dim, nq = hp->n_head * hd, kvd = hp->n_head_kv * hd, ff = hp->n_ff;
    /* optional and per-architecture tensors: q/k/v biases (required by
     * qwen2, read wherever present), q/k norms (qwen3), Llama 3's RoPE
     * frequency factors (wherever present) */
    const int bias = hp->arch == LLAMA_ARCH_QWEN2 || gguf_find_tensor(g, "blk.0.attn_q.bias");
    const int qk_norm = hp->arch == LLAMA_ARCH_QWEN3;
    const int freqs = gguf_find_tensor(g, "rope_freqs.weight") != NULL;
    /* NeoX files: q/k rows (and their biases and norms) permuted per head */
    const uint32_t ph = hp->rope_neox ? hd : 0, pr = hp->rope_dim;
    /* Check every tensor's presence and shape BEFORE allocating: then the
     * allocation is bounded by what the file really holds, not by what its
     * header claims. */
    {
        const gguf_tensor *t;
        char nm[96];
        FORWARD_IF_ERROR(find_tensor(g, "token_embd.weight", d, hp->n_vocab, &t, msg));
        if (out_t && (r = find_tensor(g, "output.weight", d, hp->n_vocab, &t, msg))) return r;
        FORWARD_IF_ERROR(find_tensor(g, "output_norm.weight", d, 1, &t, msg));
        for (uint32_t l = 0; l < hp->n_layer; l++) {
            static const char *mat[7] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
            const uint32_t cols[7] = {d, d, d, nq, d, d, ff};
            const uint32_t rows[7] = {nq, kvd, kvd, d, ff, ff, d};
            for (int k = 0; k < 7; k++) {
                snprintf(nm, sizeof nm, "blk.%u.%s.weight", l, mat[k]);
                FORWARD_IF_ERROR(find_tensor(g, nm, cols[k], rows[k], &t, msg));
                if (bias && k < 3) {
                    snprintf(nm, sizeof nm, "blk.%u.%s.bias", l, mat[k]);
                    FORWARD_IF_ERROR(find_tensor(g, nm, rows[k], 1, &t, msg));
                }
            }
            if (qk_norm) {
                snprintf(nm, sizeof nm, "blk.%u.attn_q_norm.weight", l);
                FORWARD_IF_ERROR(find_tensor(g, nm, hd, 1, &t, msg));
                snprintf(nm, sizeof nm, "blk.%u.attn_k_norm.weight", l);
                FORWARD_IF_ERROR(find_tensor(g, nm, hd, 1, &t, msg));
            }
            snprintf(nm, sizeof nm, "blk.%u.attn_norm.weight", l);
            FORWARD_IF_ERROR(find_tensor(g, nm, d, 1, &t, msg));
            snprintf(nm, sizeof nm, "blk.%u.ffn_norm.weight", l);
            FORWARD_IF_ERROR(find_tensor(g, nm, d, 1, &t, msg));
        }
        if (freqs) FORWARD_IF_ERROR(find_tensor(g, "rope_freqs.weight", hp->rope_dim / 2, 1, &t, msg));
    }
    size_t total = matrix_bytes(hp->n_vocab, d) * (out_t ? 2 : 1);
    size_t per_layer = matrix_bytes(nq, d) + matrix_bytes(d, nq) + matrix_bytes(kvd, d) * 2 + matrix_bytes(ff, d) * 2 +
                       matrix_bytes(d, ff) + 2 * ((size_t)d * 4 + 64) +
                       (bias ? (size_t)(nq + 2 * kvd) * 4 + 3 * 64 : 0) + (qk_norm ? 2 * ((size_t)hd * 4 + 64) : 0);
    total += per_layer * hp->n_layer + (size_t)d * 4 + 64 + (freqs ? (size_t)hp->rope_dim / 2 * 4 + 64 : 0);
    total += 2 * ((size_t)hp->n_ctx * (hp->rope_dim / 2) * sizeof(float) + 64) + hp->rope_dim * sizeof(double) + 64;
    arena a = {lmz_amalloc(total), 0, total};
    m->layers = calloc(hp->n_layer, sizeof *m->layers);
    const uint32_t tmp_n = ff > d ? (ff > nq ? ff : nq) : (d > nq ? d : nq);
    float *tmp = malloc(sizeof(float) * (size_t)tmp_n);
    if (!a.base || !m->layers || !tmp) {
        lmz_afree(a.base);
        free(tmp);
        free(m->layers);
        m->layers = NULL;
        RETURN_ERROR(LMZ_error_memory, msg, "cannot allocate %zu bytes for weights", total);
    }
    m->owned = a.base;
    m->owned_size = total;

    char name[96];
    if ((r = load_matrix(&m->tok_embd, g, "token_embd.weight", d, hp->n_vocab, 0, 0, &a, tmp, msg))) goto fail;
    if (out_t) {
        if ((r = load_matrix(&m->output, g, "output.weight", d, hp->n_vocab, 0, 0, &a, tmp, msg))) goto fail;
    } else {
        m->output = m->tok_embd; /* tied embeddings */
    }
    if ((r = load_vector(&m->out_norm, g, "output_norm.weight", d, 0, 0, &a, tmp, msg))) goto fail;
    if (freqs) {
        if ((r = load_vector(&m->rope_freqs, g, "rope_freqs.weight", hp->rope_dim / 2, 0, 0, &a, tmp, msg))) goto fail;
        for (uint32_t i = 0; i < hp->rope_dim / 2; i++)
            if (!(m->rope_freqs[i] >= 1e-6f && m->rope_freqs[i] <= 1e6f)) {
                r = lmz_fail(msg, LMZ_error_model_invalid, "rope_freqs.weight[%u] out of range", i);
                goto fail;
            }
    }
    for (uint32_t l = 0; l < hp->n_layer; l++) {
        llama_layer *L = &m->layers[l];
#define LM(field, tname, cols, rows, perm)                                             \
    snprintf(name, sizeof name, "blk.%u." tname ".weight", l);                         \
    if ((r = load_matrix(&L->field, g, name, cols, rows, (perm) ? ph : 0, pr, &a, tmp, msg))) goto fail;
#define LV(field, tname, n, perm)                                                      \
    snprintf(name, sizeof name, "blk.%u." tname, l);                                   \
    if ((r = load_vector(&L->field, g, name, n, (perm) ? ph : 0, pr, &a, tmp, msg))) goto fail;
        LM(wq, "attn_q", d, nq, 1)            /* [nq][d]  */
        LM(wk, "attn_k", d, kvd, 1)           /* [kvd][d] */
        LM(wv, "attn_v", d, kvd, 0)           /* [kvd][d] */
        LM(wo, "attn_output", nq, d, 0)       /* [d][nq]  */
        LM(w_gate, "ffn_gate", d, ff, 0)      /* [ff][d]  */
        LM(w_up, "ffn_up", d, ff, 0)          /* [ff][d]  */
        LM(w_down, "ffn_down", ff, d, 0)      /* [d][ff]  */
        LV(attn_norm, "attn_norm.weight", d, 0)
        LV(ffn_norm, "ffn_norm.weight", d, 0)
        if (bias) {
            LV(bq, "attn_q.bias", nq, 1)
            LV(bk, "attn_k.bias", kvd, 1)
            LV(bv, "attn_v.bias", kvd, 0)
        }
        if (qk_norm) {
            LV(q_norm, "attn_q_norm.weight", hd, 1)
            LV(k_norm, "attn_k_norm.weight", hd, 1)
        }
#undef LM
#undef LV
    }
    m->rope_cos = arena_take(&a, (size_t)hp->n_ctx * (hp->rope_dim / 2) * sizeof(float));
    m->rope_sin = arena_take(&a, (size_t)hp->n_ctx * (hp->rope_dim / 2) * sizeof(float));
    m->rope_theta = arena_take(&a, (size_t)(hp->rope_dim / 2) * sizeof(double));
    if (!m->rope_cos || !m->rope_sin || !m->rope_theta) {
        r = lmz_fail(msg, LMZ_error_memory, "out of weight memory for RoPE tables");
        goto fail;
    }
    build_rope(m);
    free(tmp);
    return 0;
fail:
    free(tmp);
    llama_free(m);
    return r;
}

void llama_free(llama_model *m) {
    if (!m) return;
    lmz_afree(m->owned);
    free(m->layers);
    memset(m, 0, sizeof *m);
}

/* ======================================================================== */
/* KV cache                                                                  */
/* ======================================================================== */
/* Layout per layer and kv head: k [cap][head_dim] int8, ks [cap][head_dim/32],
 * so the keys of one head are a q8_matrix whose rows are positions.         */

static uint32_t round32(uint32_t x) { return (x + 31) & ~31u; }

/* Room for 8 calls' worth of rows past the window: the slots still needed
 * are moved to the front (kv_make_room) once every 8 full batches rather than
 * after each (every 4: the moves were 1 % of compressing), an eighth of the
 * copying for 40 % more cache. */
static uint32_t kv_cap(uint32_t span) { return round32(span + 8 * LLAMA_KV_SLACK); }

/* Groups of 4 value slots per layer and head: the cache's, plus 16 of
 * padding that P.V reads past the last slot (multiplied by exact zeros). */
static size_t kv_groups(uint32_t cap) { return cap / 4 + 16; }

/* Keys are also kept as tiles of 16 slots where the kernels use tiles, from
 * the first call that attends with a batch of rows (compression; decoding's
 * one row and its drafts never need them). */
static int kv_tiled(void) { return lmz_kernels_get()->use_tiles; }

size_t llama_kv_bytes(const llama_model *m, uint32_t span) {
    const llama_hparams *hp = &m->hp;
    const size_t lh = (size_t)hp->n_layer * hp->n_head_kv, per = lh * kv_cap(span) * hp->head_dim;
    return per * (kv_tiled() ? 2 : 1) + lh * kv_groups(kv_cap(span)) * hp->head_dim * 4 +
           2 * per / Q8_BLOCK * sizeof(float) + lh * hp->head_dim * 4;
}

/* Slot s's key (hd int8) into the tiles of one layer and head (kt: that
 * head's [cap][hd] bytes): tile s/16, block b, group g, bytes 4(s%16).. */
static void kv_tile_put(uint8_t *kt, uint32_t hd, size_t s, const int8_t *key) {
    uint8_t *t = kt + s / 16 * 16 * hd + 4 * (s % 16);
    for (uint32_t i = 0; i < hd; i += 4) { /* 4 bytes at a time; + 128 on a byte is flipping its top bit */
        uint32_t g;
        memcpy(&g, key + i, 4);
        g ^= 0x80808080u;
        memcpy(t + (i / 4) * 64, &g, 4);
    }
}

/* The tiles of slots 0 .. n-1 of every layer and head, from kv's keys. */
static void kv_tiles_fill(const llama_hparams *hp, llama_kv *kv, size_t n) {
    const uint32_t hd = hp->head_dim;
    for (size_t lh = 0; lh < (size_t)hp->n_layer * hp->n_head_kv; lh++)
        for (size_t sl = 0; sl < n; sl++) kv_tile_put(kv->kt + lh * kv->cap * hd, hd, sl, kv->k + (lh * kv->cap + sl) * hd);
}

int llama_kv_init(llama_kv *kv, const llama_model *m, uint32_t span) {
    const llama_hparams *hp = &m->hp;
    memset(kv, 0, sizeof *kv);
    if (span < 2 || span > hp->n_ctx) return LMZ_IERR(LMZ_error_parameter);
    const uint32_t cap = kv_cap(span);
    size_t per = (size_t)hp->n_layer * hp->n_head_kv * cap * hp->head_dim;
    const size_t vbytes = (size_t)hp->n_layer * hp->n_head_kv * kv_groups(cap) * hp->head_dim * 4;
    kv->k = lmz_amalloc(per);
    kv->vg = lmz_amalloc(vbytes);
    kv->ks = lmz_amalloc(per / Q8_BLOCK * sizeof(float));
    kv->vs = lmz_amalloc(per / Q8_BLOCK * sizeof(float));
    kv->ksink = lmz_amalloc((size_t)hp->n_layer * hp->n_head_kv * hp->head_dim * sizeof(float));
    if (!kv->k || !kv->vg || !kv->ks || !kv->vs || !kv->ksink) {
        llama_kv_free(kv);
        return LMZ_IERR(LMZ_error_memory);
    }
    /* Padding positions are multiplied by exact zeros in P.V, and the tiled
     * scores compute (and drop) up to 15 slots on each side of a window:
     * all must still hold defined values (sanitizers, reproducibility). */
    memset(kv->vg, 0, vbytes);
    memset(kv->ks, 0, per / Q8_BLOCK * sizeof(float));
    kv->span = span;
    kv->cap = cap;
    llama_kv_reset(kv);
    return 0;
}

void llama_kv_free(llama_kv *kv) {
    if (!kv) return;
    lmz_afree(kv->k);
    lmz_afree(kv->kt);
    lmz_afree(kv->vg);
    lmz_afree(kv->ks);
    lmz_afree(kv->vs);
    lmz_afree(kv->ksink);
    memset(kv, 0, sizeof *kv);
}

/* The key tiles of kv (kv_tiled), made on first need from the keys of the
 * slots in use: 0 or -LMZ_error_memory. */
static int kv_tiles_ensure(const llama_model *m, llama_kv *kv) {
    if (kv->kt || !kv_tiled()) return 0;
    const llama_hparams *hp = &m->hp;
    const uint32_t hd = hp->head_dim;
    const size_t per = (size_t)hp->n_layer * hp->n_head_kv * kv->cap * hd;
    if (!(kv->kt = lmz_amalloc(per))) return LMZ_IERR(LMZ_error_memory);
    memset(kv->kt, 128, per); /* value 0: slots not written yet are defined */
    kv_tiles_fill(hp, kv, kv->n_pos ? (size_t)(kv->n_pos - kv->base) + 1 : 0); /* slot 0 and 1 .. n_pos - base */
    return 0;
}

/* dst := src's positions [0, src->n_pos): src never compacted (base 1),
 * both caches of model m, dst with room for them. Whole value groups are
 * copied (their bytes past n_pos are defined: zeros or older values, which
 * P.V multiplies by exact zeros). */
int llama_kv_copy(const llama_model *m, llama_kv *dst, const llama_kv *src) {
    const llama_hparams *hp = &m->hp;
    if (src->base != 1 || src->n_pos + 4 > dst->cap || src->n_pos > (uint64_t)dst->span - 2)
        return LMZ_IERR(LMZ_error_parameter);
    const uint32_t hd = hp->head_dim, nb32 = hd / Q8_BLOCK;
    const size_t n = (size_t)src->n_pos, gs = (size_t)hd * 4, ng = (n + 3) / 4;
    const size_t Gs = kv_groups(src->cap), Gd = kv_groups(dst->cap);
    for (size_t lh = 0; lh < (size_t)hp->n_layer * hp->n_head_kv; lh++) {
        memcpy(dst->k + lh * dst->cap * hd, src->k + lh * src->cap * hd, n * hd);
        memcpy(dst->ks + lh * dst->cap * nb32, src->ks + lh * src->cap * nb32, n * nb32 * sizeof(float));
        memcpy(dst->vs + lh * dst->cap * nb32, src->vs + lh * src->cap * nb32, n * nb32 * sizeof(float));
        memcpy(dst->vg + lh * Gd * gs, src->vg + lh * Gs * gs, ng * gs);
    }
    if (dst->kt) kv_tiles_fill(hp, dst, n); /* a cache reused from an earlier chunk keeps its tiles */
    memcpy(dst->ksink, src->ksink, (size_t)hp->n_layer * hp->n_head_kv * hd * sizeof(float));
    dst->n_pos = src->n_pos;
    dst->base = 1;
    return 0;
}

/* Makes room for n more positions: if the last would fall past the end, the
 * slots still needed by the first new query are moved to slot 1 onwards,
 * from a slot that is the second of its run of 16 (up to 15 slots more than
 * needed are kept), so that the value groups of 4 and the key tiles of 16
 * move whole. */
static void kv_make_room(const llama_model *m, llama_kv *kv, uint32_t n) {
    const llama_hparams *hp = &m->hp;
    const uint64_t last = kv->n_pos + n - 1;
    if (last == 0 || 1 + (last - kv->base) < kv->cap) return;
    uint64_t nb = kv->n_pos > kv->span - 2 ? kv->n_pos - (kv->span - 2) : 1; /* lo of the first new query */
    if (nb < kv->base) nb = kv->base;
    nb -= (nb - kv->base) % 16;
    const size_t from = 1 + (size_t)(nb - kv->base), count = (size_t)(kv->n_pos - nb);
    if (from == 1) return;
    const uint32_t hd = hp->head_dim, nb32 = hd / Q8_BLOCK;
    const size_t G = kv_groups(kv->cap), gs = (size_t)hd * 4;
    for (uint32_t lh = 0; lh < hp->n_layer * hp->n_head_kv; lh++) {
        const size_t base = (size_t)lh * kv->cap;
        memmove(kv->k + (base + 1) * hd, kv->k + (base + from) * hd, count * hd);
        memmove(kv->ks + (base + 1) * nb32, kv->ks + (base + from) * nb32, count * nb32 * sizeof(float));
        memmove(kv->vs + (base + 1) * nb32, kv->vs + (base + from) * nb32, count * nb32 * sizeof(float));
        /* slots from.. are bytes 1.. of group (from - 1) / 4 on: whole groups
         * move to group 0; byte 0 of group 0 (the sink, slot 0) is kept */
        int8_t *vg = kv->vg + (size_t)lh * G * gs, sink[1024];
        for (uint32_t i = 0; i < hd; i++) sink[i] = vg[(size_t)i * 4];
        memmove(vg, vg + (from - 1) / 4 * gs, (count + 4) / 4 * gs);
        for (uint32_t i = 0; i < hd; i++) vg[(size_t)i * 4] = sink[i];
        if (kv->kt) /* tiles (from - 1)/16 .. to tile 0 (slot 0's key is never read) */
            memmove(kv->kt + base * hd, kv->kt + (base + from - 1) * hd, (count + 16) / 16 * 16 * hd);
    }
    kv->base = nb;
}

/* ======================================================================== */
/* Scratch buffers                                                           */
/* ======================================================================== */

struct llama_work {
    uint32_t max_batch, max_ctx;
    float *x;      /* [B][n_embd]    residual stream */
    float *xb;     /* [B][n_embd]    normalised input / attention output */
    float *q;      /* [B][n_head*hd] queries (after RoPE) */
    float *k, *v;  /* [B][kvd]       new keys / values */
    float *hg, *hu;/* [B][n_ff]      FFN gate / up */
    float *o;      /* [B][n_embd]    matmul output */
    int8_t *aq;    /* [B][max(n_embd, n_ff)] quantised activations */
    float *ad;     /* [B][max/32]    their scales */
    float *att;    /* [B][n_head][max_ctx32] attention scores, then P */
    int8_t *pq;    /* [B][n_head][hd/32][PQ_LD] quantised P * value scale, per block of dimensions */
    float *pd;     /* [B][n_head][hd/32][max_ctx32/32] their scales */
    int8_t *qq;    /* [B][n_head*hd] quantised queries */
    float *qd;     /* [B][n_head*hd/32] */
    float *rc, *rs;   /* [B][rope_dim/2] cos/sin of each row's position */
    float *sc_, *ss_; /* [B][rope_dim/2] cos/sin of each row's sink position */
    /* attention by groups (the rows of one sequence): per head, the scores
     * of a group's rows against the union of their windows, and the head's
     * queries gathered into contiguous vectors */
    float *su;     /* [n_head][B][max_ctx32 + LLAMA_KV_SLACK + 32] */
    int8_t *qh;    /* [n_head][B][hd] */
    float *qhd;    /* [n_head][B][hd/32] */
    uint32_t *grp;     /* [B + 1] attention's groups: rows grp[g] .. grp[g+1]-1 are one sequence's */
    int by_thread;     /* attention's scratch per team thread (<= n_head threads), else per head (att_task) */
    /* RoPE angles of positions past the model's table, computed once: a
     * row's sink position is the position of the row 1023 places before,
     * and decoding chunks step through the same positions side by side */
    uint64_t *ang_pos; /* [ANG_SLOTS] the position in each slot (UINT64_MAX: none) */
    float *ang;        /* [ANG_SLOTS][2][rope_dim/2] its cos, then sin */
    /* per-row context for the current call */
    llama_kv **rkv;
    uint64_t *rpos;
};


/* Row length of su (a row's scores over the union of a batch's windows):
 * a window, the batch's rows, and up to 15 slots each side of the key tiles. */
static size_t su_ld(size_t ctx32) { return ctx32 + LLAMA_KV_SLACK + 32; }

/* Row length of pq: a window's weights start at byte r < 4 (pv_dot_rows) and
 * the kernel reads 4 bytes past them. */
static size_t pq_ld(size_t ctx32) { return ctx32 + 32; }

/* The scratch buffers for B rows: each one's address in w and its bytes.
 * One table serves llama_work_create and llama_work_bytes. */
enum { WORK_BUFS = 25, ANG_SLOTS = 2048 };
static void work_layout(const llama_hparams *hp, llama_work *w, size_t B, size_t max_ctx, void **ptr[WORK_BUFS],
                        size_t bytes[WORK_BUFS]) {
    const size_t d = hp->n_embd, qd = (size_t)hp->n_head * hp->head_dim, kvd = (size_t)hp->n_head_kv * hp->head_dim,
                 ff = hp->n_ff, amax = ff > d ? (ff > qd ? ff : qd) : (d > qd ? d : qd), ctx32 = round32((uint32_t)max_ctx), H = hp->n_head,
                 nb = hp->head_dim / Q8_BLOCK, half = hp->rope_dim / 2 + 1;
    int i = 0;
#define BUF(field, n) (ptr[i] = (void **)&w->field, bytes[i] = (n), i++)
    BUF(x, B * d * 4);
    BUF(xb, B * (qd > d ? qd : d) * 4);
    BUF(q, B * qd * 4);
    BUF(k, B * kvd * 4);
    BUF(v, B * kvd * 4);
    BUF(hg, B * ff * 4);
    BUF(hu, B * ff * 4);
    BUF(o, B * (d > qd ? d : qd) * 4);
    BUF(aq, B * amax);
    BUF(ad, B * (amax / Q8_BLOCK) * 4);
    BUF(att, B * H * ctx32 * 4);
    BUF(pq, B * H * nb * pq_ld(ctx32));
    BUF(pd, B * H * nb * (ctx32 / Q8_BLOCK) * 4);
    BUF(qq, B * qd);
    BUF(qd, B * (qd / Q8_BLOCK) * 4);
    BUF(rc, B * half * 4);
    BUF(rs, B * half * 4);
    BUF(sc_, B * half * 4);
    BUF(ss_, B * half * 4);
    BUF(su, B * H * su_ld(ctx32) * 4);
    BUF(qh, B * qd);
    BUF(qhd, B * (qd / Q8_BLOCK) * 4);
    BUF(grp, (B + 1) * sizeof(uint32_t));
    BUF(ang_pos, ANG_SLOTS * sizeof(uint64_t));
    BUF(ang, ANG_SLOTS * 2 * (half - 1) * 4);
#undef BUF
}

void llama_work_free(llama_work *w) {
    if (!w) return;
    const llama_hparams none = {0}; /* only the addresses of the table are used */
    void **ptr[WORK_BUFS];
    size_t bytes[WORK_BUFS];
    work_layout(&none, w, 0, 0, ptr, bytes);
    for (int i = 0; i < WORK_BUFS; i++) lmz_afree(*ptr[i]);
    free(w->rkv);
    free(w->rpos);
    free(w);
}

size_t llama_work_bytes(const llama_model *m, uint32_t max_batch, uint32_t max_ctx) {
    llama_work w;
    void **ptr[WORK_BUFS];
    size_t bytes[WORK_BUFS], total = sizeof w + (size_t)max_batch * (sizeof(llama_kv *) + sizeof(uint64_t));
    work_layout(&m->hp, &w, max_batch, max_ctx, ptr, bytes);
    for (int i = 0; i < WORK_BUFS; i++) total += bytes[i];
    return total;
}

llama_work *llama_work_create(const llama_model *m, uint32_t max_batch, uint32_t max_ctx) {
    const llama_hparams *hp = &m->hp;
    if (max_batch == 0 || max_ctx < 2 || max_ctx > hp->n_ctx) return NULL;
    llama_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->max_batch = max_batch;
    w->max_ctx = max_ctx;
    void **ptr[WORK_BUFS];
    size_t bytes[WORK_BUFS];
    work_layout(hp, w, max_batch, max_ctx, ptr, bytes);
    int ok = 1;
    for (int i = 0; i < WORK_BUFS; i++) ok &= (*ptr[i] = lmz_amalloc(bytes[i])) != NULL;
    /* pv_dot_rows reads (and ignores) up to 4 bytes of pq around a window's
     * weights: never uninitialised memory */
    for (int i = 0; ok && i < WORK_BUFS; i++)
        if (ptr[i] == (void **)&w->pq) memset(w->pq, 0, bytes[i]);
    if (ok) memset(w->ang_pos, 0xFF, ANG_SLOTS * sizeof(uint64_t));
    w->rkv = calloc(max_batch, sizeof *w->rkv);
    w->rpos = calloc(max_batch, sizeof *w->rpos);
    if (!ok || !w->rkv || !w->rpos) {
        llama_work_free(w);
        return NULL;
    }
    return w;
}

/* ======================================================================== */
/* Parallel pieces of the forward pass                                       */
/* ======================================================================== */

/* y = W x for n rows of activations: tasks are tiles of (MM_ROWS output
 * rows, more when decoding: mm_rows_for) x (up to MM_COLS activation rows). Every output element is computed by exactly one
 * kernel call, whatever the tiling: the result is tiling-independent. Up to
 * three matrices that read the same activations (q, k, v; gate, up) make one
 * phase of the pass (below): their tiles are numbered one after the other. */
#define MM_ROWS 64
#define MM_COLS 64
/* Longer tasks run faster: decoding (few activation rows) streams the
 * weights from memory and keeps each stream running (one thread, 12
 * vectors, weights from memory: 12.0 GB/s with 64-row tasks, 15.9 with
 * 256); compressing (64 rows) reuses each tile's activations for more
 * weight rows (book1's first 64 KiB at -T1: 5.8 s with 64-row tasks, 5.6
 * with 256). As long as every thread still gets a few tasks of a 512-row
 * matrix. */
static uint32_t mm_rows_for(uint32_t n, int threads) {
    (void)n;
    return threads <= 2 ? 4 * MM_ROWS : threads <= 4 ? 2 * MM_ROWS : MM_ROWS;
}
#define MM_MAX 3
typedef struct {
    const lmz_kernels *kn;
    const int8_t *xq;
    const float *xd;
    uint32_t n, ntc;
    uint32_t rows;                 /* output rows per task (a multiple of 16) */
    uint32_t nm;                   /* matrices */
    const q8_matrix *W[MM_MAX];
    float *out[MM_MAX];
    uint32_t ldo[MM_MAX];
    uint32_t first[MM_MAX + 1];    /* task number of each matrix's first tile */
} mm_job;

static void mm_task(void *arg, int t) {
    const mm_job *j = arg;
    uint32_t i = 0;
    while ((uint32_t)t >= j->first[i + 1]) i++;
    const q8_matrix *W = j->W[i];
    const uint32_t ntr = (W->rows + j->rows - 1) / j->rows, u = (uint32_t)t - j->first[i];
    uint32_t tr = u % ntr, tc = u / ntr;
    uint32_t r0 = tr * j->rows, r1 = r0 + j->rows > W->rows ? W->rows : r0 + j->rows;
    uint32_t c0 = tc * MM_COLS, c1 = c0 + MM_COLS > j->n ? j->n : c0 + MM_COLS;
    const uint32_t K = W->cols;
    j->kn->matmul_q8(W, r0, r1, j->xq + (size_t)c0 * K, j->xd + (size_t)c0 * (K / Q8_BLOCK), c1 - c0,
                     j->out[i] + (size_t)c0 * j->ldo[i] + r0, j->ldo[i]);
}

static void mm_add(mm_job *j, const q8_matrix *W, float *out, uint32_t ldo) {
    j->W[j->nm] = W;
    j->out[j->nm] = out;
    j->ldo[j->nm] = ldo;
    j->first[j->nm + 1] = j->first[j->nm] + (W->rows + j->rows - 1) / j->rows * j->ntc;
    j->nm++;
}

/* A job of out_i = W_i x (x: n quantised rows) for the matrices added
 * with mm_add; its tasks are numbered 0 .. j->first[j->nm] - 1. */
static void mm_init(mm_job *j, const lmz_kernels *kn, const int8_t *xq, const float *xd, uint32_t n, uint32_t rows) {
    memset(j, 0, sizeof *j);
    j->kn = kn;
    j->xq = xq;
    j->xd = xd;
    j->n = n;
    j->rows = rows;
    j->ntc = (n + MM_COLS - 1) / MM_COLS;
}

/* RMSNorm: y = (x * 1/sqrt(mean(x^2) + eps)) * w over n values (y may be x:
 * qwen3's per-head q/k norms run in place) */
static void rms_norm(const lmz_kernels *kn, float *y, const float *x, const float *w, uint32_t n, float eps) {
    const float scale = 1.0f / sqrtf(kn->sumsq(x, n) / (float)n + eps);
    kn->scale_mul(y, x, scale, w, n);
}

/* RMSNorm of one row into tmp, then its int8 quantisation */
static void norm_quant(const lmz_kernels *kn, const float *x, const float *w, uint32_t d, float eps, float *tmp,
                       int8_t *q, float *qd) {
    rms_norm(kn, tmp, x, w, d, eps);
    kn->quantize_q8(tmp, d, q, qd);
}

/* cos/sin of the angles of position pos: the table below n_ctx, else
 * computed from the same theta with lmz_sincos_d (the same function that
 * built it) once per position held in w's cache. */
static void rope_angles(const llama_model *m, llama_work *w, uint64_t pos, float *c, float *s) {
    const uint32_t half = m->hp.rope_dim / 2;
    if (pos < m->hp.n_ctx) {
        memcpy(c, m->rope_cos + pos * half, half * sizeof(float));
        memcpy(s, m->rope_sin + pos * half, half * sizeof(float));
        return;
    }
    float *a = w->ang + (size_t)(pos % ANG_SLOTS) * 2 * half;
    if (w->ang_pos[pos % ANG_SLOTS] != pos) {
        double ang[512], sd[512], cd[512];
        for (uint32_t i0 = 0; i0 < half; i0 += 512) { /* kernels.h's sincos_d: lmz_sincos_d lane by lane */
            const uint32_t k = half - i0 < 512 ? half - i0 : 512;
            for (uint32_t i = 0; i < k; i++) ang[i] = (double)pos * m->rope_theta[i0 + i];
            lmz_kernels_get()->sincos_d(ang, sd, cd, k);
            for (uint32_t i = 0; i < k; i++) {
                a[i0 + i] = (float)cd[i];
                a[half + i0 + i] = (float)sd[i];
            }
        }
        w->ang_pos[pos % ANG_SLOTS] = pos;
    }
    memcpy(c, a, half * sizeof(float));
    memcpy(s, a + half, half * sizeof(float));
}

/* Rotates adjacent pairs (x[2i], x[2i+1]) of one head by the given angles
 * (kernels.h's rope). */
static void rope_head(const llama_model *m, const lmz_kernels *kn, float *x, const float *c, const float *s) {
    kn->rope(x, c, s, m->hp.rope_dim / 2);
}

/* First position (>= 1) of the window of the query at position m. */
static inline uint64_t window_lo(const llama_kv *kv, uint64_t m) { return m > kv->span - 2 ? m - (kv->span - 2) : 1; }

/* Attention of one (row, head), query at position m, keys: the sink and
 * positions lo..m (see llama.h):
 *   scores  s_t = (q . k_t) / sqrt(hd)       int8 q and keys; s_0 = the sink
 *   softmax p_t = exp(s_t - max) * (1 / sum) kn->softmax (16-lane sum order)
 *   output  o_i = sum_{t>=1} p_t * v_t[i]  then  + p_0 * v_sink[i]
 *           per block of 32 dimensions c: c_t = p_t * vscale_t[c], quantised
 *           over t (blocks of 32 positions from lo) and multiplied with the
 *           transposed int8 values (kn->pv_quant, kn->pv_dot_rows: rows
 *           whose windows start in the same group of 4 slots together).
 * The rows of one sequence in a call (compression's batch; a decoding
 * chunk's row and its draft rows) get their window scores from one matmul
 * per head over the union of their windows (att_task); a matmul element
 * equals the matvec element bit for bit (kernels.h), so a row's scores are
 * the same whatever rows come with it.                                      */
typedef struct {
    const llama_model *m;
    const lmz_kernels *kn;
    llama_work *w;
    uint32_t layer;
} att_job;

/* The index of the calling thread in the team running a forward pass
 * (team_task sets it; 0 on a caller without a pool). */
static _Thread_local uint32_t team_thread;

/* Where row `row`'s window starts in the cache, and its length. */
typedef struct {
    uint64_t lo;
    uint32_t nw;     /* window positions lo..m (0 when m == 0) */
    size_t slot_lo;  /* cache slot of position lo */
} att_win;

static att_win att_window(const llama_kv *kv, uint64_t m) {
    att_win a;
    a.lo = window_lo(kv, m);
    a.nw = m >= a.lo ? (uint32_t)(m - a.lo + 1) : 0;
    a.slot_lo = 1 + (size_t)(a.lo - kv->base);
    return a;
}

/* The sink's scores of rows r0 .. r0+n-1 of one sequence (queries qh,
 * qhd: [n][hd], [n][hd/32]): each row's sink key rotated to position lo - 1,
 * quantised, times its query. The keys of up to SINK_MAX / hd rows are
 * quantised in one call (blocks are independent: the same bytes as row by
 * row). */
static void att_sink_scores(const att_job *j, uint32_t r0, uint32_t n, uint32_t hkv, const int8_t *qh, const float *qhd,
                            float *s0) {
    const llama_hparams *hp = &j->m->hp;
    const uint32_t hd = hp->head_dim, nb = hd / Q8_BLOCK;
    enum { SINK_MAX = 8192 }; /* floats: >= hd (head_dim <= 1024) */
    if (!n) return;
    const llama_kv *kv = j->w->rkv[r0];
    const size_t half = hp->rope_dim / 2 + 1;
    const uint32_t per = SINK_MAX / hd;
    float ks[SINK_MAX], kd[SINK_MAX / Q8_BLOCK];
    int8_t kq[SINK_MAX];
    const float *k0 = kv->ksink + ((size_t)j->layer * hp->n_head_kv + hkv) * hd;
    for (uint32_t i0 = 0; i0 < n; i0 += per) {
        const uint32_t k = n - i0 < per ? n - i0 : per;
        for (uint32_t i = 0; i < k; i++) {
            const uint32_t r = r0 + i0 + i;
            memcpy(ks + (size_t)i * hd, k0, hd * sizeof(float));
            rope_head(j->m, j->kn, ks + (size_t)i * hd, j->w->sc_ + r * half, j->w->ss_ + r * half);
        }
        j->kn->quantize_q8(ks, k * hd, kq, kd);
        for (uint32_t i = 0; i < k; i++) {
            q8_matrix S = {kq + (size_t)i * hd, kd + (size_t)i * nb, 1, hd, NULL, NULL};
            j->kn->matvec_q8(&S, 0, 1, qh + (size_t)(i0 + i) * hd, qhd + (size_t)(i0 + i) * nb, &s0[i0 + i]);
        }
    }
}

/* Softmax of (row, head): the sink's score s0 and the window's nw scores
 * win (read in place in su), into e = sc (unnormalised), then the window's
 * quantised P * value scales into pq/pd; returns 1 / sum. */
static float att_softmax_quant(const att_job *j, uint32_t row, uint32_t h, uint32_t hh, const att_win *a, float s0,
                               const float *win, float *sc) {
    const llama_hparams *hp = &j->m->hp;
    llama_work *w = j->w;
    const llama_kv *kv = w->rkv[row];
    const uint32_t hd = hp->head_dim, hkv = h / (hp->n_head / hp->n_head_kv), nb = hd / Q8_BLOCK;
    const size_t base = ((size_t)j->layer * hp->n_head_kv + hkv) * kv->cap;
    const size_t slot = (size_t)row * hp->n_head + hh, ctx32 = round32(w->max_ctx);
    const float rs = j->kn->softmax(s0, win, a->nw, 1.0f / sqrtf((float)hd), sc);
    if (a->nw) {
        const size_t ldq = pq_ld(ctx32), ldd = ctx32 / Q8_BLOCK;
        j->kn->pv_quant(sc + 1, rs, kv->vs + (base + a->slot_lo) * nb, nb, a->nw, round32(a->nw),
                        w->pq + slot * nb * ldq + a->slot_lo % 4, ldq, w->pd + slot * nb * ldd, ldd);
    }
    return rs;
}

/* P.V of rows r[0..n) of one sequence, head h, whose windows start in the
 * same group of 4 cache slots (kernels.h's pv_dot_rows: they share the
 * loads of the values). */
static void att_pv_rows(const att_job *j, const uint32_t *r, const att_win *a, uint32_t n, uint32_t h, uint32_t hh) {
    const llama_hparams *hp = &j->m->hp;
    llama_work *w = j->w;
    const llama_kv *kv = w->rkv[r[0]];
    const uint32_t hd = hp->head_dim, hkv = h / (hp->n_head / hp->n_head_kv), nb = hd / Q8_BLOCK;
    const size_t ctx32 = round32(w->max_ctx), ldq = pq_ld(ctx32), ldd = ctx32 / Q8_BLOCK, gs = (size_t)hd * 4;
    const int8_t *vg = kv->vg + ((size_t)j->layer * hp->n_head_kv + hkv) * kv_groups(kv->cap) * gs;
    lmz_pv_row rows[LMZ_PV_ROWS];
    for (uint32_t i = 0; i < n; i++) {
        const size_t slot = (size_t)r[i] * hp->n_head + hh;
        rows[i] = (lmz_pv_row){w->pq + slot * nb * ldq, w->pd + slot * nb * ldd,
                               w->xb + (size_t)r[i] * hp->n_head * hd + (size_t)h * hd, (uint32_t)(a[i].slot_lo % 4),
                               round32(a[i].nw) / Q8_BLOCK};
    }
    j->kn->pv_dot_rows(vg + a[0].slot_lo / 4 * gs, hd, ldq, ldd, rows, n);
}

/* out += p_0 * v_sink (slot 0: byte 0 of group 0), after the window's sum;
 * out = 0 first when the window is empty. */
static void att_sink_value(const att_job *j, uint32_t row, uint32_t h, const att_win *a, float p0s) {
    const llama_hparams *hp = &j->m->hp;
    llama_work *w = j->w;
    const llama_kv *kv = w->rkv[row];
    const uint32_t hd = hp->head_dim, hkv = h / (hp->n_head / hp->n_head_kv), nb = hd / Q8_BLOCK;
    const size_t base = ((size_t)j->layer * hp->n_head_kv + hkv) * kv->cap, gs = (size_t)hd * 4;
    const float *vs = kv->vs + base * nb;
    const int8_t *vg = kv->vg + ((size_t)j->layer * hp->n_head_kv + hkv) * kv_groups(kv->cap) * gs;
    float *out = w->xb + (size_t)row * hp->n_head * hd + (size_t)h * hd;
    if (!a->nw)
        for (uint32_t i = 0; i < hd; i++) out[i] = 0.0f;
    for (uint32_t b = 0; b < nb; b++) /* out[i] += (p0 * vs[b]) * v_sink[i] (kernels.h's acc_s4) */
        j->kn->acc_s4(out + b * Q8_BLOCK, p0s * vs[b], vg + (size_t)b * Q8_BLOCK * 4, Q8_BLOCK);
}

/* The rows of one sequence (a group: consecutive positions), one head: task
 * t = group * n_head + h. The scores of every row of the group against the
 * keys lo(first row) .. m(last row) are one int8 product (keys as the
 * matrix, the head's queries as the vectors: the keys are read once for all
 * the rows); each row then takes its own window out of it. */
static void att_task(void *arg, int t) {
    const att_job *j = arg;
    const llama_hparams *hp = &j->m->hp;
    llama_work *w = j->w;
    const uint32_t g = (uint32_t)t / hp->n_head, h = (uint32_t)t % hp->n_head;
    const uint32_t r0 = w->grp[g], n = w->grp[g + 1] - r0;
    const uint32_t hd = hp->head_dim, hkv = h / (hp->n_head / hp->n_head_kv), nb = hd / Q8_BLOCK;
    const llama_kv *kv = w->rkv[r0];
    const size_t base = ((size_t)j->layer * hp->n_head_kv + hkv) * kv->cap, ctx32 = round32(w->max_ctx);
    const att_win first = att_window(kv, w->rpos[r0]);
    const uint64_t last = w->rpos[r0 + n - 1];
    const uint32_t U = last >= first.lo ? (uint32_t)(last - first.lo + 1) : 0; /* union of the windows */
    const size_t ldu = su_ld(ctx32);
    /* The scratch of this task (queries, scores, softmax, quantised P): the
     * team thread's, reused by every head it takes, so that it stays in that
     * core's caches (the scores of 64 rows are 280 KiB: one region per head,
     * 2.2 MiB, missed L2 head after head); per head with more threads than
     * heads */
    const uint32_t hh = w->by_thread ? team_thread : h;

    /* the head's queries as contiguous vectors  qh: [n][hd], qhd: [n][nb] */
    int8_t *qh = w->qh + ((size_t)hh * w->max_batch + r0) * hd;
    float *qhd = w->qhd + ((size_t)hh * w->max_batch + r0) * nb;
    for (uint32_t i = 0; i < n; i++) {
        const size_t qoff = (size_t)(r0 + i) * hp->n_head * hd + (size_t)h * hd;
        memcpy(qh + (size_t)i * hd, w->qq + qoff, hd);
        memcpy(qhd + (size_t)i * nb, w->qd + qoff / Q8_BLOCK, nb * sizeof(float));
    }
    /* su: [n][U] scores of the group's row i against union key u; with the
     * key tiles (batches), from the tile holding the first slot to the end
     * of the one holding the last (up to 15 slots more on each side,
     * computed and dropped): su0 = the first union key's place in a row */
    float *su = w->su + ((size_t)hh * w->max_batch + r0) * ldu;
    size_t su0 = 0;
    if (U) {
        size_t s0 = first.slot_lo, rows = U;
        const uint8_t *qt = NULL;
        if (kv->kt && n >= 16) {
            s0 = first.slot_lo / 16 * 16;
            su0 = first.slot_lo - s0;
            rows = (su0 + U + 15) / 16 * 16;
            qt = kv->kt + (base + s0) * hd;
        }
        q8_matrix K = {kv->k + (base + s0) * hd, kv->ks + (base + s0) * nb, (uint32_t)rows, hd, NULL, qt};
        j->kn->matmul_q8(&K, 0, (uint32_t)rows, qh, qhd, n, su, (uint32_t)ldu);
    }
    /* per row: the sink's score, softmax (into the task's one row of e,
     * which stays in L1; the sink's probability kept), P * value scales
     * quantised */
    float rs[LLAMA_KV_SLACK], s0[LLAMA_KV_SLACK], p0[LLAMA_KV_SLACK];
    att_win win[LLAMA_KV_SLACK];
    att_sink_scores(j, r0, n, hkv, qh, qhd, s0);
    float *sc = w->att + ((size_t)r0 * hp->n_head + hh) * ctx32;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t r = r0 + i;
        win[i] = att_window(kv, w->rpos[r]);
        rs[i] = att_softmax_quant(j, r, h, hh, &win[i], s0[i], su + (size_t)i * ldu + su0 + (win[i].lo - first.lo), sc);
        p0[i] = sc[0] * rs[i];
    }
    /* the window sums, up to LMZ_PV_ROWS rows at a time whose windows start
     * in the same group of the cache, then each row's sink */
    for (uint32_t i = 0; i < n;) {
        uint32_t k = 0, rr[LMZ_PV_ROWS];
        while (i + k < n && k < LMZ_PV_ROWS && win[i + k].nw && win[i + k].slot_lo / 4 == win[i].slot_lo / 4) {
            rr[k] = r0 + i + k;
            k++;
        }
        if (k) att_pv_rows(j, rr, win + i, k, h, hh);
        i += k ? k : 1;
    }
    for (uint32_t i = 0; i < n; i++) att_sink_value(j, r0 + i, h, &win[i], p0[i]);
}

/* ======================================================================== */
/* The forward pass over n rows                                              */
/* ======================================================================== */
/* Row r is token tokens[r] of the sequence whose cache is w->rkv[r], at
 * position w->rpos[r]. Rows of the same sequence must come in increasing
 * position order and be contiguous in the cache (pos == n_pos at entry).
 *
 * Between the matrix products, each row's own work (norms, RoPE, the cache
 * writes, SiLU, quantisation, residual adds) is one stage of row_stage(),
 * its tasks one row each (ROW_TASK rows with many rows: compression); a
 * row's arithmetic is the same whichever thread runs it.                   */

enum {
    ST_ATT_IN,   /* x += o (the previous block's FFN, unless first); RMSNorm + quantise for q, k, v */
    ST_QKV,      /* RoPE on q and k, quantise q, write k and v into the cache */
    ST_ATT_OUT,  /* quantise the attention output for wo */
    ST_FFN_IN,   /* x += o (wo); RMSNorm + quantise for gate and up */
    ST_FFN_MID,  /* silu(gate) * up, quantise for down */
    ST_OUT       /* x += o (the last block's FFN) */
};
#define ROW_PAR_MIN 16 /* rows from which a stage's items hold ROW_TASK rows (else one) */
#define ROW_TASK 4

typedef struct {
    const llama_model *m;
    const lmz_kernels *kn;
    llama_work *w;
    const llama_layer *L;
    uint32_t layer, n, stage, per; /* per: rows per task */
    int add;              /* ST_ATT_IN: add o to x first */
    uint32_t logits_from; /* ST_OUT: rows from here get the output norm (when logits) */
    int logits;
} row_job;

static void row_stage(const row_job *j, uint32_t r) {
    const llama_model *m = j->m;
    const llama_hparams *hp = &m->hp;
    const lmz_kernels *kn = j->kn;
    llama_work *w = j->w;
    const uint32_t d = hp->n_embd, hd = hp->head_dim, nq = hp->n_head * hd, kvd = hp->n_head_kv * hd, ff = hp->n_ff;
    float *x = w->x + (size_t)r * d, *o = w->o + (size_t)r * d;
    switch (j->stage) {
    case ST_ATT_IN:
    case ST_FFN_IN:
        if (j->stage == ST_FFN_IN || j->add)
            kn->add_f32(x, o, d);
        norm_quant(kn, x, j->stage == ST_ATT_IN ? j->L->attn_norm : j->L->ffn_norm, d, hp->norm_eps, o,
                   w->aq + (size_t)r * d, w->ad + (size_t)r * (d / Q8_BLOCK));
        break;
    case ST_QKV: {
        const size_t half = hp->rope_dim / 2 + 1;
        llama_kv *kv = w->rkv[r];
        const uint64_t pos = w->rpos[r];
        const float *c = w->rc + r * half, *sn = w->rs + r * half;
        const llama_layer *L = j->L;
        if (L->bq) { /* qwen2: biases */
            kn->add_f32(w->q + (size_t)r * nq, L->bq, nq);
            kn->add_f32(w->k + (size_t)r * kvd, L->bk, kvd);
            kn->add_f32(w->v + (size_t)r * kvd, L->bv, kvd);
        }
        if (L->q_norm) { /* qwen3: each head of q and k RMS-normalised */
            for (uint32_t h = 0; h < hp->n_head; h++) {
                float *qh = w->q + (size_t)r * nq + (size_t)h * hd;
                rms_norm(kn, qh, qh, L->q_norm, hd, hp->norm_eps);
            }
            for (uint32_t h = 0; h < hp->n_head_kv; h++) {
                float *kh = w->k + (size_t)r * kvd + (size_t)h * hd;
                rms_norm(kn, kh, kh, L->k_norm, hd, hp->norm_eps);
            }
        }
        for (uint32_t h = 0; h < hp->n_head; h++) rope_head(m, kn, w->q + (size_t)r * nq + (size_t)h * hd, c, sn);
        kn->quantize_q8(w->q + (size_t)r * nq, nq, w->qq + (size_t)r * nq, w->qd + (size_t)r * (nq / Q8_BLOCK));
        if (pos == 0) /* the sink: its key before RoPE, rotated per query later */
            memcpy(kv->ksink + (size_t)j->layer * kvd, w->k + (size_t)r * kvd, kvd * sizeof(float));
        const size_t sl = pos == 0 ? 0 : 1 + (size_t)(pos - kv->base);
        for (uint32_t h = 0; h < hp->n_head_kv; h++) rope_head(m, kn, w->k + (size_t)r * kvd + (size_t)h * hd, c, sn);
        /* the row's keys and values quantised in one call each (blocks are
         * independent: the same bytes as head by head), then each head's
         * into its cache slot */
        enum { QKV_MAX = 4096 };
        int8_t kq[QKV_MAX], vq[QKV_MAX];
        float kd[QKV_MAX / Q8_BLOCK], vd[QKV_MAX / Q8_BLOCK];
        const uint32_t hstep = kvd <= QKV_MAX ? hp->n_head_kv : 1; /* heads per call */
        for (uint32_t h0 = 0; h0 < hp->n_head_kv; h0 += hstep) {
            kn->quantize_q8(w->k + (size_t)r * kvd + (size_t)h0 * hd, hstep * hd, kq, kd);
            kn->quantize_q8(w->v + (size_t)r * kvd + (size_t)h0 * hd, hstep * hd, vq, vd);
            for (uint32_t hh = 0; hh < hstep; hh++) {
                const int8_t *kh = kq + (size_t)hh * hd, *vh = vq + (size_t)hh * hd;
                const size_t lh = (size_t)j->layer * hp->n_head_kv + h0 + hh, at = lh * kv->cap + sl;
                memcpy(kv->k + at * hd, kh, hd);
                memcpy(kv->ks + at * (hd / Q8_BLOCK), kd + (size_t)hh * (hd / Q8_BLOCK), hd / Q8_BLOCK * sizeof(float));
                memcpy(kv->vs + at * (hd / Q8_BLOCK), vd + (size_t)hh * (hd / Q8_BLOCK), hd / Q8_BLOCK * sizeof(float));
                if (kv->kt) kv_tile_put(kv->kt + lh * kv->cap * hd, hd, sl, kh);
                kn->put_s4(kv->vg + (lh * kv_groups(kv->cap) + sl / 4) * hd * 4 + sl % 4, vh, hd); /* group sl/4, byte sl%4 */
            }
        }
        break;
    }
    case ST_ATT_OUT:
        kn->quantize_q8(w->xb + (size_t)r * nq, nq, w->aq + (size_t)r * nq, w->ad + (size_t)r * (nq / Q8_BLOCK));
        break;
    case ST_FFN_MID:
        kn->silu_mul(w->hg + (size_t)r * ff, w->hu + (size_t)r * ff, ff); /* hg = silu(hg) * hu */
        kn->quantize_q8(w->hg + (size_t)r * ff, ff, w->aq + (size_t)r * ff, w->ad + (size_t)r * (ff / Q8_BLOCK));
        break;
    case ST_OUT: /* then the output norm of a row that gets logits (o: scratch) */
        kn->add_f32(x, o, d);
        if (j->logits && r >= j->logits_from) {
            const size_t k = r - j->logits_from;
            norm_quant(kn, x, m->out_norm, d, hp->norm_eps, o, w->aq + k * d, w->ad + k * (d / Q8_BLOCK));
        }
        break;
    }
}

static void row_task(void *arg, int t) {
    const row_job *j = arg;
    for (uint32_t r = (uint32_t)t * j->per; r < j->n && r < ((uint32_t)t + 1) * j->per; r++) row_stage(j, r);
}

/* ------------------------------------------------------------------------ */
/* One team runs the whole pass: a list of phases                            */
/* ------------------------------------------------------------------------ */
/* Each phase is a parallel loop (tasks of a matrix product, of attention,
 * or of a row stage); the pool's threads take its tasks, then meet
 * (lmz_pool_sync) before the next phase. One dispatch per forward call:
 * decoding makes ~80 phases per token, each a few microseconds of work per
 * thread, which as separate dispatches spent more time waking threads than
 * working. Every task writes only its own outputs, so the result does not
 * depend on which thread ran it. */
typedef struct {
    lmz_task_fn fn;
    void *arg;
    uint32_t tasks;
} fwd_phase;

typedef struct {
    const fwd_phase *ph;
    uint32_t nph;
    atomic_uint *next; /* [nph]: the next task of each phase */
    lmz_pool *pool;
} fwd_team;

static void team_task(void *arg, int t) {
    team_thread = (uint32_t)t;
    const fwd_team *tm = arg;
    for (uint32_t k = 0; k < tm->nph; k++) {
        const fwd_phase *ph = &tm->ph[k];
        for (uint32_t i; (i = atomic_fetch_add_explicit(&tm->next[k], 1, memory_order_relaxed)) < ph->tasks;)
            ph->fn(ph->arg, (int)i);
        if (k + 1 < tm->nph) lmz_pool_sync(tm->pool);
    }
}

/* The phases of one layer (PH_LAYER), plus the last row stage and the
 * logits. */
enum { PH_LAYER = 10, MM_LAYER = 4, RJ_LAYER = 5 };

static int forward_rows(const llama_model *m, llama_work *w, const int32_t *tokens, uint32_t n, uint32_t logits_from,
                        float *logits, lmz_pool *pool) {
    const llama_hparams *hp = &m->hp;
    const lmz_kernels *kn = lmz_kernels_get();
    const uint32_t d = hp->n_embd, hd = hp->head_dim, nq = hp->n_head * hd, kvd = hp->n_head_kv * hd, ff = hp->n_ff;

    /* RoPE angles of each row's position and of its sink position */
    const size_t half = hp->rope_dim / 2 + 1;
    for (uint32_t r = 0; r < n; r++) {
        rope_angles(m, w, w->rpos[r], w->rc + r * half, w->rs + r * half);
        rope_angles(m, w, window_lo(w->rkv[r], w->rpos[r]) - 1, w->sc_ + r * half, w->ss_ + r * half);
    }

    /* embedding lookup: x[r] = dequantised row tokens[r]   x: [n][d] */
    for (uint32_t r = 0; r < n; r++) {
        if (tokens[r] < 0 || (uint32_t)tokens[r] >= hp->n_vocab) return LMZ_IERR(LMZ_error_parameter);
        const int8_t *q = m->tok_embd.q + (size_t)tokens[r] * d;
        const float *s = m->tok_embd.d + (size_t)tokens[r] * (d / Q8_BLOCK);
        for (uint32_t i = 0; i < d; i++) w->x[(size_t)r * d + i] = s[i / Q8_BLOCK] * (float)q[i];
    }

    w->by_thread = lmz_pool_size(pool) <= (int)hp->n_head;

    /* the groups of attention: runs of rows of one sequence */
    uint32_t ng = 0;
    for (uint32_t r = 0; r < n; r++)
        if (r == 0 || w->rkv[r] != w->rkv[r - 1]) w->grp[ng++] = r;
    w->grp[ng] = n;

    /* the phases, in one allocation: phases, their counters, and the jobs */
    const uint32_t NL = hp->n_layer, nph = NL * PH_LAYER + 2;
    const size_t bytes = nph * sizeof(fwd_phase) + (NL * RJ_LAYER + 1) * sizeof(row_job) +
                         (NL * MM_LAYER + 1) * sizeof(mm_job) + NL * sizeof(att_job) + nph * sizeof(atomic_uint);
    uint8_t *mem = malloc(bytes);
    if (!mem) return LMZ_IERR(LMZ_error_memory);
    fwd_phase *ph = (fwd_phase *)(void *)mem;
    row_job *rj = (row_job *)(void *)(ph + nph);
    mm_job *mm = (mm_job *)(void *)(rj + NL * RJ_LAYER + 1);
    att_job *aj = (att_job *)(void *)(mm + NL * MM_LAYER + 1);
    atomic_uint *next = (atomic_uint *)(void *)(aj + NL);
    uint32_t k = 0;
    const uint32_t per = n >= ROW_PAR_MIN ? ROW_TASK : 1, row_tasks = (n + per - 1) / per;
    const uint32_t mmr = mm_rows_for(n, lmz_pool_size(pool));
    const int want_logits = logits && logits_from < n;
#define PHASE(f, a, t) (ph[k].fn = (f), ph[k].arg = (a), ph[k].tasks = (t), k++)
#define ROWS(jb, st)                                                                                              \
    ((jb)->m = m, (jb)->kn = kn, (jb)->w = w, (jb)->n = n, (jb)->per = per, (jb)->stage = (st),                  \
     (jb)->logits_from = logits_from, (jb)->logits = want_logits, PHASE(row_task, (jb), row_tasks))
    for (uint32_t l = 0; l < NL; l++) {
        const llama_layer *L = &m->layers[l];
        row_job *r5 = rj + l * RJ_LAYER;
        mm_job *m4 = mm + l * MM_LAYER;
        for (int i = 0; i < RJ_LAYER; i++) {
            r5[i].L = L;
            r5[i].layer = l;
            r5[i].add = l > 0;
        }

        /* --- attention ------------------------------------------------- */
        ROWS(&r5[0], ST_ATT_IN);                              /* aq: [n][d] */
        mm_init(&m4[0], kn, w->aq, w->ad, n, mmr);
        mm_add(&m4[0], &L->wq, w->q, nq);                     /* q: [n][nq]  */
        mm_add(&m4[0], &L->wk, w->k, kvd);                    /* k: [n][kvd] */
        mm_add(&m4[0], &L->wv, w->v, kvd);                    /* v: [n][kvd] */
        PHASE(mm_task, &m4[0], m4[0].first[m4[0].nm]);
        ROWS(&r5[1], ST_QKV);
        aj[l] = (att_job){m, kn, w, l};
        PHASE(att_task, &aj[l], ng * hp->n_head);             /* xb: [n][nq] */
        ROWS(&r5[2], ST_ATT_OUT);
        mm_init(&m4[1], kn, w->aq, w->ad, n, mmr);
        mm_add(&m4[1], &L->wo, w->o, d);                      /* o: [n][d] */
        PHASE(mm_task, &m4[1], m4[1].first[m4[1].nm]);

        /* --- feed-forward (SwiGLU) ------------------------------------- */
        ROWS(&r5[3], ST_FFN_IN);
        mm_init(&m4[2], kn, w->aq, w->ad, n, mmr);
        mm_add(&m4[2], &L->w_gate, w->hg, ff);                /* hg: [n][ff] */
        mm_add(&m4[2], &L->w_up, w->hu, ff);                  /* hu: [n][ff] */
        PHASE(mm_task, &m4[2], m4[2].first[m4[2].nm]);
        ROWS(&r5[4], ST_FFN_MID);
        mm_init(&m4[3], kn, w->aq, w->ad, n, mmr);
        mm_add(&m4[3], &L->w_down, w->o, d);                  /* o: [n][d] */
        PHASE(mm_task, &m4[3], m4[3].first[m4[3].nm]);
    }
    /* --- the last residual add, the output norm and the logits of rows
     *     [logits_from, n) ------------------------------------------------ */
    row_job *last = rj + NL * RJ_LAYER;
    last->L = NULL;
    last->layer = NL;
    last->add = 0;
    ROWS(last, ST_OUT);
    if (want_logits) {
        mm_job *mo = mm + NL * MM_LAYER;
        mm_init(mo, kn, w->aq, w->ad, n - logits_from, mmr);
        mm_add(mo, &m->output, logits, hp->n_vocab);          /* logits: [nl][n_vocab] */
        PHASE(mm_task, mo, mo->first[mo->nm]);
    }
#undef ROWS
#undef PHASE
    for (uint32_t i = 0; i < k; i++) atomic_init(&next[i], 0);
    fwd_team team = {ph, k, next, pool};
    lmz_pool_team(pool, team_task, &team);
    free(mem);
    return 0;
}

/* The residual stream w->x after the last block (see llama.h); the output
 * norm reads it without changing it. */
const float *llama_work_hidden(const llama_work *w) { return w->x; }

/* The entry points below: sequence b appends nrows[b] tokens (1 each when
 * nrows is NULL), rows grouped by sequence; logits of rows [logits_from, n). */
static int forward_groups(const llama_model *m, llama_work *w, llama_kv *const *kv, const uint32_t *nrows,
                          uint32_t nseq, const int32_t *tokens, uint32_t logits_from, float *logits, lmz_pool *pool) {
    uint32_t n = 0;
    for (uint32_t b = 0; b < nseq; b++) {
        const uint32_t nb = nrows ? nrows[b] : 1;
        if (nb == 0 || nb > LLAMA_KV_SLACK || nb > w->max_batch - n || kv[b]->span > w->max_ctx)
            return LMZ_IERR(LMZ_error_parameter);
        for (uint32_t c = 0; c < b; c++)
            if (kv[c] == kv[b]) return LMZ_IERR(LMZ_error_parameter); /* one group of rows per sequence */
        n += nb;
    }
    if (n == 0) return 0;
    for (uint32_t b = 0, r = 0; b < nseq; b++) {
        const uint32_t nb = nrows ? nrows[b] : 1;
        kv_make_room(m, kv[b], nb);
        if (nb >= 16 && kv_tiles_ensure(m, kv[b])) return LMZ_IERR(LMZ_error_memory); /* att_task: batches read tiles */
        for (uint32_t i = 0; i < nb; i++, r++) {
            w->rkv[r] = kv[b];
            w->rpos[r] = kv[b]->n_pos + i;
        }
    }
    int rc = forward_rows(m, w, tokens, n, logits_from, logits, pool);
    if (rc == 0)
        for (uint32_t b = 0; b < nseq; b++) kv[b]->n_pos += nrows ? nrows[b] : 1;
    return rc;
}

int llama_forward_seq(const llama_model *m, llama_work *w, llama_kv *kv, const int32_t *tokens, uint32_t n,
                      uint32_t logits_from, float *logits, lmz_pool *pool) {
    if (n == 0) return 0;
    return forward_groups(m, w, &kv, &n, 1, tokens, logits_from, logits, pool);
}

int llama_forward_step(const llama_model *m, llama_work *w, llama_kv *const *kv, const int32_t *tokens, uint32_t B,
                       float *logits, lmz_pool *pool) {
    return forward_groups(m, w, kv, NULL, B, tokens, 0, logits, pool);
}

int llama_forward_multi(const llama_model *m, llama_work *w, llama_kv *const *kv, const uint32_t *nrows,
                        uint32_t nseq, const int32_t *tokens, float *logits, lmz_pool *pool) {
    return forward_groups(m, w, kv, nrows, nseq, tokens, 0, logits, pool);
}

void llama_kv_rewind(llama_kv *kv, uint64_t n_pos) {
    /* slots past n_pos are simply written again by the next rows */
    if (n_pos < kv->n_pos && n_pos >= kv->base) kv->n_pos = n_pos;
}
