/*
 * lib/codec/dict.h — dictionaries (`lmz --train`, `-D`): a domain's text
 * that virtually precedes every model-coded chunk, and the mixer's learned
 * state after it. Both sides use it; the file format is doc/format.md §9.
 *
 * A dictionary holds
 *   - a token history h[0..H) (the training samples' most useful pieces);
 *     a chunk coded with it is coded as if its tokens followed BOS, h:
 *       ids = [BOS, h[0..H), the chunk's tokens]
 *   - the model sees only the last P' of h (the *prefix*), P' = min(P,
 *     (W - 2) / 2) for the frame's window W, so a chunk keeps at least half
 *     its window for itself: the model's cache starts as it stands after
 *     BOS, h[H-P' .. H-1), computed once per process and window and copied
 *     into each chunk's cache (llama_kv_copy: bit-identical to feeding it);
 *   - the mixer (`lm+mix`) starts with its tables built from all of ids[0..H]
 *     (mix_observe) and the learned values the trainer measured over the
 *     samples (temperature, output biases, match and successor weights).
 *
 * Loaded dictionaries are immutable except for the prefix caches, which are
 * made on first need under a lock: one dictionary may serve any number of
 * streams and threads at once.
 */
#ifndef LMZ_DICT_H
#define LMZ_DICT_H

#include <pthread.h>

#include "codec/codec.h"
#include "mix/mix.h"

#define LMZ_DICT_MAGIC 0x445A4D4Cu /* "LMZD" little-endian */
#define LMZ_DICT_VERSION 1
#define LMZ_DICT_MAX_PREFIX 511u     /* tokens the model sees: half of a 1024 window, after the sink */
#define LMZ_DICT_MAX_HISTORY (1u << 20) /* tokens of history */
#define LMZ_DICT_MAX_SIZE (64u << 20)   /* bytes of a dictionary file */
#define LMZ_DICT_NAME_MAX 255
#define LMZ_DICT_W_MAX 64.0f            /* |learned weight| accepted in a file */
#define LMZ_DICT_PREFIX_CACHES 8        /* prefix caches kept (one per prefix length in use: the levels have 5 windows) */

/* What the file says (doc/format.md §9), before any model is involved. */
typedef struct {
    uint8_t sha256[32];       /* the dictionary's identity: SHA-256 of the file */
    uint8_t model_sha256[32]; /* the model it was made for */
    char name[LMZ_DICT_NAME_MAX + 1];
    uint32_t n_vocab, n_hist, n_prefix;
    uint8_t profile;          /* the mixer profile (mix.h: 1, or 2 since lmz 0.3.1) */
    const uint8_t *tokens;    /* u16 or u32 each (n_vocab <= 65536: u16) */
    float s;                  /* temperature */
    float bias_scale;         /* b[v] = bias_scale * (int8) bias[v] */
    const uint8_t *bias;      /* [n_vocab] */
    float wm[MIX_N_MATCH][2][MIX_N_BUCKET];
    float wc[MIX_N_CTX][MIX_N_CBUCKET]; /* the profile's caches (mix_n_ctx) */
    float wr[MIX_N_RBUCKET];            /* recency weights (profiles with one) */
} dict_header;

/* Parses and checks src[0..n) (untrusted): 0 or -LMZ_error_dict_invalid /
 * -LMZ_error_unsupported (a newer version) with msg saying why. The
 * pointers in h point into src. */
int dict_parse(const uint8_t *src, size_t n, dict_header *h, lmz_msg *msg);

/* One prefix cache: the model's KV cache after BOS, h[H-P' .. H-1). */
typedef struct {
    uint32_t n_prefix; /* P' (0: unused entry) */
    llama_kv kv;
} dict_prefix;

struct lmz_dict {
    dict_header hd;              /* its pointers point into file */
    uint8_t *file;               /* a copy of the dictionary's bytes */
    const lmz_model *m;
    int32_t *ids;                /* [1 + n_hist]: BOS, h */
    mix_state mx;                /* the mixer as a chunk starts with it */
    uint8_t *nl;                 /* [n_vocab] tokens that end a line (profiles with line contexts) */
    pthread_mutex_t lock;        /* guards pre[] */
    dict_prefix pre[LMZ_DICT_PREFIX_CACHES];
};

/* The prefix length the model sees with window W. */
static inline uint32_t dict_prefix_len(const lmz_dict *d, uint32_t W) {
    const uint32_t half = W >= 4 ? (W - 2) / 2 : 1;
    return d->hd.n_prefix < half ? d->hd.n_prefix : half;
}

/* The prefix cache for window W, made on first need (thread-safe). NULL when
 * out of memory (or the caches are all taken by other windows). */
const llama_kv *dict_prefix_kv(const lmz_dict *d, uint32_t W, lmz_pool *pool);

/* A model-coded chunk's start, the same for the encoder and the decoder
 * (doc/format.md §9): ids[0 .. 1 + H) = BOS and the history (d NULL: BOS
 * alone, H = 0), the mixer mx (NULL: an `lm` chunk) primed from d or reset,
 * the model's cache kv started from the prefix cache pre (dict_prefix_kv
 * for kv's window) or empty. Returns 1 + H, or 0 when pre does not fit kv. */
size_t dict_chunk_start(const lmz_dict *d, const lmz_model *m, const llama_kv *pre, int32_t *ids, mix_state *mx,
                        llama_kv *kv);

/* The mixer profile of `lm+mix` chunks coded with d: the dictionary's,
 * MIX_PROFILE without one (d NULL). */
static inline unsigned dict_profile(const lmz_dict *d) { return d ? d->hd.profile : MIX_PROFILE; }

/* Mixer node pools for chunks of at most max_tokens tokens with dictionary
 * d (its history takes nodes too). */
static inline uint32_t dict_mix_tokens(const lmz_dict *d, uint32_t max_tokens) {
    return max_tokens + (d ? d->hd.n_hist + 1 : 0);
}

/* The frame's record of a dictionary (extra section tag 3, doc/format.md
 * §2): SHA-256, u8 name length, name. Writes it to dst (cap bytes) and
 * returns its size, or 0 when it does not fit. */
size_t dict_frame_record(const lmz_dict *d, uint8_t *dst, size_t cap);

/* What a file keeps of the learned values (dict_serialize; the lab tool
 * bench/tools/mixlab.c applies the same): the biases as int8 with one scale
 * (a reader gets scale * (float)q), weights within +-LMZ_DICT_W_MAX. */
float dict_bias_scale(const float *bias, uint32_t n_vocab);
int8_t dict_bias_q(float bias, float scale);
void dict_clamp_weights(float *w, size_t n);

/* The training side (lib/compress/dict_train.c) writes files with this. */
size_t dict_serialize(const dict_header *h, const int32_t *tokens, const float *bias, uint8_t *dst, size_t cap);
size_t dict_file_size(unsigned profile, uint32_t n_vocab, uint32_t n_hist, size_t name_len); /* 0: unknown profile */

#endif /* LMZ_DICT_H */
