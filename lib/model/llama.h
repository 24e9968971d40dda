/*
 * lib/model/llama.h — the transformer: weights, KV cache, deterministic forward.
 *
 * Architectures (GGUF conventions, llama.cpp's tensor names): token
 * embedding, L blocks of [RMSNorm -> attention with RoPE (GQA allowed) ->
 * residual, RMSNorm -> SwiGLU FFN -> residual], final RMSNorm, output
 * projection (tied to the embedding when output.weight is absent):
 *   llama  RoPE on adjacent pairs (x[2i], x[2i+1]); Llama 3's frequency
 *          factors (rope_freqs.weight) divide the angles when present;
 *   qwen2  biases on q, k and v; NeoX RoPE: pairs (x[i], x[i + rope_dim/2]);
 *   qwen3  q and k RMS-normalised per head (attn_q_norm, attn_k_norm) before
 *          RoPE; NeoX RoPE; head_dim from attention.key_length.
 * NeoX pairs are turned into adjacent pairs once, at load: within each head,
 * the rows of wq and wk (and the q/k biases and norm weights) are permuted by
 * llama_rope_perm(), so the forward pass has one RoPE. Scores q.k are sums
 * over the same pairs of dimensions either way.
 *
 * Determinism contract (doc/design.md): weights int8 in blocks of 32
 * with a float scale; activations entering a matrix product are quantised to
 * int8 per block of 32; int8 x int8 products accumulate exactly in int32; every
 * float operation is an IEEE binary32 + - * / sqrt in an order fixed by the
 * code; exp/sin/cos are our own (lib/kernels/lmz_math.h). Logits for a given
 * token prefix are therefore bit-identical whatever the batch, the thread
 * count or the SIMD path.
 */
#ifndef LMZ_LLAMA_H
#define LMZ_LLAMA_H

#include <stdint.h>

#include "common/common.h"
#include "kernels/kernels.h"
#include "model/gguf.h"

typedef enum { LLAMA_ARCH_LLAMA = 0, LLAMA_ARCH_QWEN2 = 1, LLAMA_ARCH_QWEN3 = 2 } llama_arch;

typedef struct {
    uint32_t arch;     /* llama_arch */
    uint32_t rope_neox; /* the file's q/k rows are in NeoX order (permuted at load) */
    uint32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
    uint32_t rope_dim; /* rotated dimensions per head (<= head_dim) */
    float rope_base, norm_eps;
} llama_hparams;

typedef struct {
    const float *attn_norm;              /* [n_embd] */
    q8_matrix wq;                        /* [n_head*head_dim, n_embd] (rows permuted when rope_neox) */
    q8_matrix wk, wv;                    /* [n_head_kv*head_dim, n_embd] (wk's rows permuted when rope_neox) */
    const float *bq, *bk, *bv;           /* qwen2: [n_head*head_dim], [n_head_kv*head_dim] x 2 (bq, bk permuted); else NULL */
    const float *q_norm, *k_norm;        /* qwen3: [head_dim] each (permuted); else NULL */
    q8_matrix wo;                        /* [n_embd, n_head*head_dim] */
    const float *ffn_norm;               /* [n_embd] */
    q8_matrix w_gate, w_up;              /* [n_ff, n_embd] */
    q8_matrix w_down;                    /* [n_embd, n_ff] */
} llama_layer;

typedef struct {
    llama_hparams hp;
    q8_matrix tok_embd;     /* [n_vocab, n_embd] */
    q8_matrix output;       /* [n_vocab, n_embd] (== tok_embd when tied) */
    const float *out_norm;  /* [n_embd] */
    const float *rope_freqs; /* [rope_dim/2] Llama 3's frequency factors (angle i divided by rope_freqs[i]), or NULL */
    llama_layer *layers;    /* [n_layer] */
    float *rope_cos, *rope_sin; /* [n_ctx][rope_dim/2], built with lmz_math */
    double *rope_theta;         /* [rope_dim/2] angle per position, for positions >= n_ctx */
    void *owned;            /* memory for converted weights (freed at llama_free) */
    size_t owned_size;
} llama_model;

int llama_init(llama_model *m, const gguf_file *g, lmz_msg *msg);
/* Where row r of a head (0 <= r < head_dim) of a NeoX-order file goes in the
 * loaded model: r = i < rope_dim/2 -> 2i, r = rope_dim/2 + i -> 2i + 1, rows
 * past rope_dim stay. */
static inline uint32_t llama_rope_perm(uint32_t r, uint32_t rope_dim) {
    return r >= rope_dim ? r : r < rope_dim / 2 ? 2 * r : 2 * (r - rope_dim / 2) + 1;
}
void llama_free(llama_model *m); /* accepts a zeroed struct */

/* KV cache of one sequence, with a sliding attention window.
 *
 * Token p of a sequence (p = 0, 1, ...) sits at absolute position p (RoPE).
 * The query at position m attends to the keys of positions lo..m, where
 * lo = max(1, m - (span - 2)), plus the SINK: the token at position 0 (BOS),
 * whose key is rotated as if it were at position lo - 1. So every query sees
 * at most `span` keys at relative distances 0..span-1 — the geometry the model
 * was trained on — however long the sequence, and nothing is ever recomputed.
 * (For m <= span - 2 this is exactly the ordinary causal attention.)
 *
 * Storage: slot 0 holds position 0; slot 1 + (p - base) holds p >= base.
 * When a batch would run past the end, the slots still needed are moved to
 * the front (base advances). Keys/values are int8 per block of 32 dimensions
 * with a float scale; values are stored in groups of 4 positions (every
 * dimension's 4 values together, kernels.h's pv_dot_rows) so that attention's
 * weighted sum is an int8 product over positions with no reduction.        */
#define LLAMA_KV_SLACK 64 /* rows one forward call may add to one sequence */
typedef struct {
    uint64_t n_pos;    /* tokens appended: the absolute position of the next */
    uint32_t span;     /* keys attended per query, sink included (<= n_ctx) */
    uint32_t cap;      /* slots, a multiple of 32, >= span + 8 * LLAMA_KV_SLACK */
    uint64_t base;     /* absolute position held by slot 1 */
    int8_t *k;         /* [n_layer][n_head_kv][cap][head_dim] */
    uint8_t *kt;       /* the same keys as 16-slot tiles (kernels.h's q8_matrix.qt, value + 128), when the
                        * kernels use tiles: attention's batched scores read them without transposing */
    float *ks;         /* [n_layer][n_head_kv][cap][head_dim/32] */
    int8_t *vg;        /* [n_layer][n_head_kv][cap/4 + 16][head_dim][4]: slot s at group s/4, byte s%4 */
    float *vs;         /* [n_layer][n_head_kv][cap][head_dim/32] */
    float *ksink;      /* [n_layer][n_head_kv*head_dim] key of position 0 before RoPE */
} llama_kv;

/* span: keys per query (2 <= span <= n_ctx). */
int llama_kv_init(llama_kv *kv, const llama_model *m, uint32_t span);
void llama_kv_free(llama_kv *kv);
static inline void llama_kv_reset(llama_kv *kv) {
    kv->n_pos = 0;
    kv->base = 1;
}
size_t llama_kv_bytes(const llama_model *m, uint32_t span);
/* Starts dst as a copy of src's positions (a dictionary's prefix, computed
 * once): src must never have slid (src->n_pos <= src->span - 2) and dst
 * must hold them (dst->span >= src->n_pos + 2). The keys and values of
 * those positions do not depend on the span, so dst then continues exactly
 * as if it had been fed the same tokens. 0 or -LMZ_error_parameter. */
int llama_kv_copy(const llama_model *m, llama_kv *dst, const llama_kv *src);

/* Scratch buffers for a forward of up to max_batch rows. One per caller
 * thread; the pool parallelises inside. */
typedef struct llama_work llama_work;
llama_work *llama_work_create(const llama_model *m, uint32_t max_batch, uint32_t max_span);
/* The bytes llama_work_create allocates for these sizes. */
size_t llama_work_bytes(const llama_model *m, uint32_t max_batch, uint32_t max_span);
void llama_work_free(llama_work *w);

/* Batch of positions of ONE sequence (compression): appends tokens [0, n) at
 * positions kv->n_pos.. and writes logits of rows [logits_from, n) to
 * logits[(i - logits_from) * n_vocab]. logits may be NULL.
 * n <= max_batch and n <= LLAMA_KV_SLACK. */
int llama_forward_seq(const llama_model *m, llama_work *w, llama_kv *kv, const int32_t *tokens, uint32_t n,
                      uint32_t logits_from, float *logits, lmz_pool *pool);

/* One new token for each of B independent sequences (decompression): token
 * tokens[b] is appended to kv[b]; logits[b * n_vocab] receives its logits.
 * B <= max_batch. Gives bit-identical logits to llama_forward_seq. */
int llama_forward_step(const llama_model *m, llama_work *w, llama_kv *const *kv, const int32_t *tokens,
                       uint32_t B, float *logits, lmz_pool *pool);

/* Several consecutive tokens for each of nseq independent sequences (the
 * decoder's speculative steps): sequence b appends nrows[b] tokens (1 <=
 * nrows[b] <= LLAMA_KV_SLACK) taken in order from `tokens`, rows grouped by
 * sequence; logits[r * n_vocab] receives row r's logits. sum(nrows) <=
 * max_batch. Every row's logits are bit-identical to what llama_forward_step
 * would give for the same token at the same position with the same cache. */
int llama_forward_multi(const llama_model *m, llama_work *w, llama_kv *const *kv, const uint32_t *nrows,
                        uint32_t nseq, const int32_t *tokens, float *logits, lmz_pool *pool);

/* Forgets the positions from n_pos on (rows fed speculatively whose tokens
 * turned out wrong): the next token is appended at n_pos. Only positions of
 * the last forward call may be forgotten (n_pos >= the call's first). */
void llama_kv_rewind(llama_kv *kv, uint64_t n_pos);

/* The final-layer hidden states (the residual stream after the last block,
 * before the output norm) of the rows of the last forward call on w:
 * [n][n_embd], valid until the next call. Read-only; used by the lossy
 * encoder (lib/lossy) for its semantic-similarity metric. */
const float *llama_work_hidden(const llama_work *w);

#endif /* LMZ_LLAMA_H */
