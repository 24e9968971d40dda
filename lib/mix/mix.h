/*
 * lib/mix/mix.h — adaptive mixing on top of the model (chunk method `lm+mix`).
 *
 * The model was never shown the text being compressed. The mixer adapts to it
 * while a chunk is coded, from the tokens already coded, identically in the
 * encoder and the decoder:
 *
 *   z[v] = s * l[v] + b[v] + sum over match models j of [v == e_j] * w_j[ctx_j]
 *                           + sum over successor caches c of u_c[count of v after c's context]
 *                           + w_r[distance to v's last occurrence]      (profile 2, recency)
 *
 *   l   the model's logits for the next token                 [n_vocab]
 *   s   a learned temperature (one float)
 *   b   a learned output bias: the chunk's own unigram model  [n_vocab]
 *   e_j the token a match model predicts (what followed the last time the
 *       current context of >= k_j tokens occurred in this chunk), w_j[ctx] a
 *       learned weight per (match length bucket, agreement with the model)
 *   u_c successor caches: the tokens seen after the current context (the
 *       last k tokens; in profile 2 also contexts made of the line's first
 *       tokens, see mix_params), a learned weight per count bucket
 *
 * z goes through the ordinary logits -> frequencies step (lib/coder/freqs.c).
 * After the token y is coded, every learned value takes one step of online
 * gradient descent on the code length -log2 p(y), using the probabilities of
 * the very table that coded y (p[v] = freq[v] / 2^24, exact), in a fixed
 * order of IEEE binary32 operations. So the mixer is a pure function of the
 * logits and the chunk's previous tokens: FORMAT SEMANTICS, restated in
 * doc/format.md §4.5 (profile 2: §4.6). Changing any constant here changes
 * the format.
 */
#ifndef LMZ_MIX_H
#define LMZ_MIX_H

#include <stddef.h>
#include <stdint.h>

#include "coder/coder.h"

#define MIX_PROFILE 1      /* the profile of `lm+mix` chunks coded without a dictionary */
#define MIX_PROFILE_MAX 2  /* profiles this version knows (1: plain; 2: dictionaries, lmz 0.3.1) */
#define MIX_N_MATCH 2      /* match models */
#define MIX_HASH_BITS 16   /* entries per match model's table: 2^16 */
#define MIX_MAX_LEN 400    /* match lengths are counted up to this */
#define MIX_N_BUCKET 24    /* length buckets (mix.c: bucket_of) */
#define MIX_N_CTX 6        /* successor caches (profile 1 uses 2) */
#define MIX_CTX_BITS 14    /* contexts per successor cache: 2^14 */
#define MIX_CTX_NODES 65536u /* successor entries per cache and chunk */
#define MIX_CTX_WALK 256   /* successors looked at per prediction (newest first) */
#define MIX_CTX_SEARCH 1024 /* successors searched for the coded token (else a new entry) */
#define MIX_N_CBUCKET 12   /* count buckets (mix.c: cbucket_of) */
#define MIX_MAX_RECENT 256 /* the recency model looks back at most this far */
#define MIX_N_RBUCKET 12   /* distance buckets of the recency model (mix.c: rbucket_of) */
#define MIX_LINE_HEAD 8    /* tokens of a line that name its kind (line contexts) */

/* What a successor cache's context is (mix_params.ctx_kind): */
enum {
    MIX_CTX_LAST = 0,  /* the last k tokens */
    MIX_CTX_LINE = 1,  /* the line's first tokens (up to MIX_LINE_HEAD) and the last k tokens */
    MIX_CTX_ABOVE = 2, /* the line's first tokens and the token at the same place of the line above */
};

/* The tunable constants of one mixing profile. The byte that starts an
 * `lm+mix` payload names its profile: 1 (mix_profile_1) for chunks coded
 * without a dictionary, the dictionary's (2 for those lmz --train makes
 * since 0.3.1) with one. Profile 2 adds, for the structured small files
 * dictionaries are for: four successor caches keyed by the line (its first
 * tokens with the last one or two tokens; with the one or two tokens at the
 * same place of the line above), matches that survive a few misses (a word
 * changed in a copied record), a recency model, and faster successor
 * learning. Other values exist for experiments (bench/tools/mixlab.c). */
typedef struct {
    float lr_bias;               /* output bias step */
    float lr_temp;               /* temperature step */
    float lr_match;              /* match weight step */
    uint32_t order[MIX_N_MATCH]; /* k_j: tokens of context a match needs (0 = model off) */
    float w_init;                /* initial weight per unit of match length ... */
    float w_init_max;            /* ... capped here */
    uint32_t ctx_order[MIX_N_CTX]; /* successor caches: context tokens (0 = off) */
    uint8_t ctx_kind[MIX_N_CTX];   /* MIX_CTX_* */
    float lr_ctx;                /* successor weight step */
    float wc_init;               /* initial successor weight per count bucket */
    uint32_t recover;            /* match models: misses a long match survives (0 = none) */
    uint32_t recover_min;        /* length a match needs to be kept after a miss */
    uint32_t recent;             /* recency model: tokens looked back (0 = off) */
    float lr_recent;             /* its weight step */
} mix_params;

extern const mix_params mix_profile_1, mix_profile_2;
/* Does p key successor caches by lines (so mix_state.nl must be set)? */
static inline int mix_uses_lines(const mix_params *p) {
    for (int j = 0; j < MIX_N_CTX; j++)
        if (p->ctx_order[j] && p->ctx_kind[j] != MIX_CTX_LAST) return 1;
    return 0;
}
/* Profile id's constants, NULL when unknown. */
const mix_params *mix_profile(unsigned id);
/* The successor caches a profile uses: 1 + the highest one switched on. */
static inline int mix_n_ctx(const mix_params *p) {
    int n = 0;
    for (int j = 0; j < MIX_N_CTX; j++)
        if (p->ctx_order[j]) n = j + 1;
    return n;
}

typedef struct {
    uint32_t ptr;  /* index in ids of the predicted token, valid when len > 0 */
    uint32_t len;  /* tokens matched before ptr (0: no match) */
    uint32_t miss; /* recovering: misses since the match broke (len is then the length it had) */
    uint32_t *ht;  /* [2^MIX_HASH_BITS] position after the k-gram + 1, 0 = empty */
    float w[2][MIX_N_BUCKET]; /* [model agrees?][length bucket] */
    /* set by mix_predict for mix_update */
    int32_t e;     /* predicted token or -1 */
    int agree, bucket;
} mix_match;

/* Successor cache of order k: for each context of k tokens seen in this
 * chunk, the tokens that followed it with their counts; every successor of
 * the current context gets a learned weight per count bucket. */
typedef struct {
    int32_t tok;
    uint32_t count;
    uint32_t next; /* index + 1 of the next (older) successor, 0 = end */
} mix_node;

typedef struct {
    uint32_t *key;   /* [2^MIX_CTX_BITS] full hash of the context in the slot */
    uint32_t *head;  /* [2^MIX_CTX_BITS] index + 1 of the newest successor */
    mix_node *node;  /* [cap] */
    uint32_t n_node, cap;
    float w[MIX_N_CBUCKET]; /* per count bucket */
    /* set by mix_predict for mix_update */
    uint32_t slot, hash;
    int valid;
} mix_ctx;

typedef struct {
    mix_params p;
    uint32_t V;
    float s;       /* temperature */
    float *b;      /* [V] output bias */
    float *z;      /* [V] the mixed logits of the last prediction */
    const float *l;/* the model logits of the last prediction (caller's) */
    mix_match mm[MIX_N_MATCH];
    mix_ctx cx[MIX_N_CTX];
    /* lines (for the line contexts): nl[v] != 0 when token v holds a line
     * break (the caller's, from the vocabulary; NULL: no lines); the index
     * in ids of the current line's first token and of the line above's */
    const uint8_t *nl;
    uint32_t line, above;
    /* recency model: every token of the last p.recent gets w[bucket of its
     * distance] (its nearest occurrence only) */
    float wr[MIX_N_RBUCKET];
    uint32_t *stamp; /* [V] walk marks */
    uint32_t walk;
    uint32_t n_rec;            /* tokens boosted by the last prediction */
    int32_t rec_tok[MIX_MAX_RECENT];
    uint8_t rec_b[MIX_MAX_RECENT];
} mix_state;

/* max_tokens: the most tokens a chunk coded with this state may have (its
 * raw size bounds it); it only sizes the successor node pools, which never
 * hold more nodes than tokens, so it does not change any result. */
int mix_init(mix_state *m, uint32_t n_vocab, const mix_params *p, uint32_t max_tokens);
/* Bytes mix_init allocates (for decoders' memory accounting). */
static inline uint32_t mix_node_cap(uint32_t max_tokens) {
    return max_tokens < MIX_CTX_NODES ? max_tokens + 1 : MIX_CTX_NODES;
}
static inline uint64_t mix_state_bytes(const mix_params *p, uint32_t n_vocab, uint32_t max_tokens) {
    return (uint64_t)n_vocab * (2 + (p->recent ? 1 : 0)) * sizeof(float) +
           (uint64_t)MIX_N_MATCH * (sizeof(uint32_t) << MIX_HASH_BITS) +
           (uint64_t)mix_n_ctx(p) *
               (2 * (sizeof(uint32_t) << MIX_CTX_BITS) + mix_node_cap(max_tokens) * sizeof(mix_node));
}
void mix_free(mix_state *m); /* accepts a zeroed struct */
/* A new chunk: every learned value back to its initial state. */
void mix_reset(mix_state *m);

/* Mixed logits for the token after ids[0..n) (ids[0] = BOS), from the model's
 * logits l[V] for that position. Returns m->z, valid until the next call.
 * l must stay valid until mix_update. */
const float *mix_predict(mix_state *m, const float *l, const int32_t *ids, size_t n);

/* Learns from the coded token: f is the table built from mix_predict's z and
 * ids[0..n+1) now ends with the coded token y = ids[n]. */
void mix_update(mix_state *m, const lmz_freqs *f, const int32_t *ids, size_t n);

/* Dictionaries (lib/dict): the tables (match hashes and positions,
 * successor lists and counts) after the tokens ids[1..n) as mix_update
 * would leave them, learning nothing: they depend on the tokens alone.
 * The learned values are set by the caller (the dictionary's). */
void mix_observe(mix_state *m, const int32_t *ids, size_t n);
/* dst := src (same vocabulary; dst's node pools at least src's use). 0 or
 * -LMZ_error_parameter. */
int mix_copy(mix_state *dst, const mix_state *src);

#endif /* LMZ_MIX_H */
