/*
 * tests/tools/tinymodel.c — a small random-weight llama GGUF v3 writer.
 *
 * The layout mirrors shared/train/gguf_write.py (the writer of the real
 * model): header, metadata, tensor infos, padding to 32, then each tensor's
 * data padded to 32. Matrices are Q8_0 (blocks of 32: f16 scale + 32 int8),
 * norms F32. Everything is deterministic from the seed.
 */
#include "tools/tinymodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* ------------------------------------------------------------------------ */
/* A growable byte buffer                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_u32(buf *b, uint32_t v) { uint8_t t[4]; lmz_wr32(t, v); put(b, t, 4); }
static void put_u64(buf *b, uint64_t v) { uint8_t t[8]; lmz_wr64(t, v); put(b, t, 8); }
static void put_f32(buf *b, float f) { uint32_t u; memcpy(&u, &f, 4); put_u32(b, u); }
static void put_str(buf *b, const char *s, size_t n) { put_u64(b, n); put(b, s, n); }
static void pad(buf *b, size_t align) {
    static const uint8_t z[64];
    put(b, z, (align - b->n % align) % align);
}

/* metadata key + typed value (GGUF value types, see model/gguf.h) */
static void kv_str(buf *b, const char *k, const char *v) {
    put_str(b, k, strlen(k)); put_u32(b, 8); put_str(b, v, strlen(v));
}
static void kv_u32(buf *b, const char *k, uint32_t v) { put_str(b, k, strlen(k)); put_u32(b, 4); put_u32(b, v); }
static void kv_f32(buf *b, const char *k, float v) { put_str(b, k, strlen(k)); put_u32(b, 6); put_f32(b, v); }
static void kv_bool(buf *b, const char *k, int v) {
    uint8_t c = (uint8_t)(v != 0);
    put_str(b, k, strlen(k)); put_u32(b, 7); put(b, &c, 1);
}

/* ------------------------------------------------------------------------ */
/* Random numbers and half floats                                           */
/* ------------------------------------------------------------------------ */

typedef struct { uint64_t s; } rng;
static uint32_t rng_u32(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}
static float rng_uniform(rng *r) { return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f; }

/* float -> IEEE half, round to nearest even (finite, |x| < 65504 here) */
static uint16_t f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, e = (x >> 23) & 0xFF, m = x & 0x7FFFFF;
    int32_t he = (int32_t)e - 127 + 15;
    if (e == 0xFF) return (uint16_t)(sign | 0x7C00 | (m ? 0x200 : 0));
    if (he >= 31) return (uint16_t)(sign | 0x7C00);
    if (he <= 0) { /* subnormal half */
        if (he < -10) return (uint16_t)sign;
        m |= 0x800000;
        uint32_t shift = (uint32_t)(14 - he), v = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (v & 1))) v++;
        return (uint16_t)(sign | v);
    }
    uint32_t v = ((uint32_t)he << 10) | (m >> 13), rem = m & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (v & 1))) v++; /* may carry into the exponent: fine */
    return (uint16_t)(sign | v);
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                               */
/* ------------------------------------------------------------------------ */

#define N_CHARS 95 /* '!'..'~' and U+2581 */
#define MAX_PIECE 24

typedef struct {
    char **s;
    int n;
} vocab;

static int vocab_has(const vocab *v, const char *s) {
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->s[i], s) == 0) return 1;
    return 0;
}

static int vocab_add(vocab *v, const char *s) {
    char *c = malloc(strlen(s) + 1);
    if (!c) return -1;
    strcpy(c, s);
    v->s[v->n++] = c;
    return 0;
}

/* Training text for the merges (our own sentences). The seed shuffles the
 * sentence order, which changes the tie-breaks and so the merges. */
static const char *const train_text[] = {
    "the cat sat on the mat and the dog sat on the log. ",
    "there is nothing in the world that is not in the mind of the reader. ",
    "she sells sea shells on the shore, and the shells she sells are surely sea shells. ",
    "in the beginning the program reads the input and then writes the output. ",
    "a quick brown fox jumps over the lazy dog while the other dogs are sleeping. ",
    "when the rain stopped, the children went out to play in the garden with their friends. ",
    "the compression of text depends on the model that predicts the next character. ",
    "int main(void) { return 0; } /* the end of the function */ ",
    "They said that the thing was there, but nothing was there when they looked. ",
    "everything that is written here is written for the tests of the tokenizer. ",
};
#define N_TRAIN (sizeof train_text / sizeof train_text[0])

/* Is piece s made of spaces (U+2581) only? */
static int all_space(const char *s) {
    for (; *s; s += 3)
        if (strncmp(s, "\xe2\x96\x81", 3) != 0) return 0;
    return 1;
}

/* Byte-pair merges learnt on the training text, like SentencePiece BPE:
 * count adjacent symbol pairs, merge the most frequent (ties: first seen),
 * never put U+2581 inside a piece unless the piece is all U+2581. When the
 * text runs out of pairs seen twice, random pairs of earlier pieces fill up. */
static int build_merges(vocab *v, int n_merges, int first_char, rng *r) {
    int order[N_TRAIN];
    for (int i = 0; i < (int)N_TRAIN; i++) order[i] = i;
    for (int i = (int)N_TRAIN - 1; i > 0; i--) {
        int k = (int)(rng_u32(r) % (uint32_t)(i + 1)), t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    size_t cap = 0;
    for (int i = 0; i < (int)N_TRAIN; i++) cap += strlen(train_text[i]);
    /* pair counts: open addressing on (a, b), rebuilt for every merge */
    enum { HCAP = 4096 };
    int *sym = malloc(cap * sizeof *sym), n = 0, e = 0, exhausted = 0;
    uint32_t *hkey = malloc(HCAP * sizeof *hkey);
    int *hcnt = malloc(HCAP * sizeof *hcnt);
    if (!sym || !hkey || !hcnt) { free(sym); free(hkey); free(hcnt); return -1; }
    /* symbols: the character pieces (space -> U+2581) */
    for (int i = 0; i < (int)N_TRAIN; i++)
        for (const char *c = train_text[order[i]]; *c; c++)
            sym[n++] = *c == ' ' ? first_char + 94 : first_char + (*c - '!');
    int first_merge = v->n;
    while (v->n < first_merge + n_merges && !e) {
        /* most frequent admissible pair; ties: the one seen first */
        int best_a = -1, best_b = -1, best_c = 1;
        if (!exhausted) {
            memset(hkey, 0xFF, HCAP * sizeof *hkey);
            for (int i = 0; i + 1 < n; i++) {
                int a = sym[i], b = sym[i + 1];
                const char *sa = v->s[a], *sb = v->s[b];
                if (strlen(sa) + strlen(sb) > MAX_PIECE) continue;
                if (all_space(sb) && !all_space(sa)) continue;
                if (!all_space(sb) && strstr(sb, "\xe2\x96\x81")) continue;
                uint32_t key = (uint32_t)a << 16 | (uint32_t)b, h = (key * 2654435761u) >> 20;
                while (hkey[h] != key && hkey[h] != 0xFFFFFFFFu) h = (h + 1) & (HCAP - 1);
                if (hkey[h] != key) { hkey[h] = key; hcnt[h] = 0; }
                int c = ++hcnt[h];
                if (c > best_c) best_a = a, best_b = b, best_c = c; /* first to reach the max */
            }
            if (best_a < 0) exhausted = 1;
        }
        char s[2 * MAX_PIECE + 8];
        if (best_a < 0) {
            /* fill: a random earlier piece + a random letter */
            int a = first_char + (int)(rng_u32(r) % (uint32_t)(v->n - first_char));
            int b = first_char + ('a' - '!') + (int)(rng_u32(r) % 26);
            if (strlen(v->s[a]) + 1 > MAX_PIECE) continue;
            snprintf(s, sizeof s, "%s%s", v->s[a], v->s[b]);
            if (!vocab_has(v, s)) e = vocab_add(v, s);
            continue;
        }
        snprintf(s, sizeof s, "%s%s", v->s[best_a], v->s[best_b]);
        if (vocab_has(v, s)) { e = -1; break; } /* cannot happen: merged pairs disappear */
        if ((e = vocab_add(v, s))) break;
        int id = v->n - 1, w = 0;
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && sym[i] == best_a && sym[i + 1] == best_b) sym[w++] = id, i++;
            else sym[w++] = sym[i];
        }
        n = w;
    }
    free(hkey);
    free(hcnt);
    free(sym);
    return e;
}

static int build_vocab(vocab *v, int n_merges, rng *r) {
    char tmp[16];
    if (vocab_add(v, "<unk>") || vocab_add(v, "<s>") || vocab_add(v, "</s>")) return -1;
    for (int b = 0; b < 256; b++) {
        snprintf(tmp, sizeof tmp, "<0x%02X>", b);
        if (vocab_add(v, tmp)) return -1;
    }
    int first_char = v->n;
    for (int c = '!'; c <= '~'; c++) {
        tmp[0] = (char)c;
        tmp[1] = 0;
        if (vocab_add(v, tmp)) return -1;
    }
    if (vocab_add(v, "\xe2\x96\x81")) return -1;
    return build_merges(v, n_merges, first_char, r);
}

/* ------------------------------------------------------------------------ */
/* Tensors                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    char name[64];
    uint64_t ne0, ne1; /* ne1 == 0: 1-D */
    uint32_t type;     /* 0 F32, 8 Q8_0 */
    float scale;       /* uniform(-scale, scale); norms: 1 + uniform(-scale, scale) */
} tdesc;

static size_t tensor_bytes(const tdesc *t) {
    uint64_t n = t->ne0 * (t->ne1 ? t->ne1 : 1);
    return t->type == 0 ? (size_t)n * 4 : (size_t)(n / 32) * 34;
}

static void write_tensor(buf *b, const tdesc *t, rng *r) {
    uint64_t n = t->ne0 * (t->ne1 ? t->ne1 : 1);
    if (t->type == 0) {
        for (uint64_t i = 0; i < n; i++) put_f32(b, 1.0f + t->scale * rng_uniform(r));
        return;
    }
    for (uint64_t blk = 0; blk < n / 32; blk++) {
        float x[32], amax = 0;
        for (int j = 0; j < 32; j++) {
            x[j] = t->scale * rng_uniform(r);
            if (fabsf(x[j]) > amax) amax = fabsf(x[j]);
        }
        float d = amax / 127.0f, inv = d > 0 ? 1.0f / d : 0.0f;
        uint8_t blkb[34];
        lmz_wr16(blkb, f32_to_f16(d));
        for (int j = 0; j < 32; j++) {
            float q = roundf(x[j] * inv);
            if (q > 127) q = 127;
            if (q < -127) q = -127;
            blkb[2 + j] = (uint8_t)(int8_t)q;
        }
        put(b, blkb, 34);
    }
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */
/* ------------------------------------------------------------------------ */

tinymodel_opts tinymodel_defaults(void) {
    tinymodel_opts o = {1, 64, 2, 1, 128, 256, 64, 1, 10000.0f, 1e-5f};
    return o;
}

uint32_t tinymodel_vocab_size(const tinymodel_opts *o) {
    tinymodel_opts d = tinymodel_defaults();
    if (!o) o = &d;
    return (uint32_t)(3 + 256 + N_CHARS + o->n_merges);
}

int tinymodel_build(uint32_t seed, const tinymodel_opts *opts, uint8_t **out, size_t *out_n) {
    tinymodel_opts o = opts ? *opts : tinymodel_defaults();
    *out = NULL;
    *out_n = 0;
    if (o.n_layer < 1 || o.n_layer > 8 || o.n_embd < 32 || o.n_embd % 32 || o.n_embd > 4096 || o.n_head < 1 ||
        o.n_embd % o.n_head || (o.n_embd / o.n_head) % 2 || o.n_head_kv < 1 || o.n_head % o.n_head_kv ||
        o.n_ff < 32 || o.n_ff % 32 || o.n_ff > 16384 || o.n_ctx < 1 || o.n_merges < 0 || o.n_merges > 4096)
        return -LMZ_error_parameter;
    rng r = {((uint64_t)seed << 32) ^ 0x6C6D7A74696E79ull};
    int n_vocab = (int)tinymodel_vocab_size(&o), e = 0;
    vocab v = {calloc((size_t)n_vocab, sizeof(char *)), 0};
    tdesc *ts = calloc((size_t)(9 * o.n_layer + 3), sizeof *ts);
    buf b = {0};
    if (!v.s || !ts) { e = -LMZ_error_memory; goto done; }
    if (build_vocab(&v, o.n_merges, &r)) { e = -LMZ_error_memory; goto done; }

    /* tensor list, in the order of the real model */
    uint64_t E = (uint64_t)o.n_embd, F = (uint64_t)o.n_ff, KV = E / (uint64_t)o.n_head * (uint64_t)o.n_head_kv;
    float se = 1.0f / sqrtf((float)E), sf = 1.0f / sqrtf((float)F);
    int nt = 0;
    /* small embeddings: with tied output the logits stay near uniform, so a
     * random model codes text at a few bits per byte instead of expanding it */
    ts[nt++] = (tdesc){"token_embd.weight", E, (uint64_t)n_vocab, 8, 0.15f};
    for (int l = 0; l < o.n_layer; l++) {
        static const char *nm[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                    "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
        uint64_t ne0[9] = {E, E, E, E, E, E, E, E, F}, ne1[9] = {0, E, KV, KV, E, 0, F, F, E};
        for (int k = 0; k < 9; k++) {
            tdesc *t = &ts[nt++];
            snprintf(t->name, sizeof t->name, "blk.%d.%s.weight", l, nm[k]);
            t->ne0 = ne0[k];
            t->ne1 = ne1[k];
            t->type = ne1[k] ? 8 : 0;
            t->scale = ne1[k] ? (k == 8 ? sf : se) * 1.7f : 0.1f;
        }
    }
    ts[nt++] = (tdesc){"output_norm.weight", E, 0, 0, 0.1f};
    if (!o.tied) ts[nt++] = (tdesc){"output.weight", E, (uint64_t)n_vocab, 8, se * 0.3f};

    /* header */
    put(&b, "GGUF", 4);
    put_u32(&b, 3);
    put_u64(&b, (uint64_t)nt);
    put_u64(&b, 22);
    char name[64];
    snprintf(name, sizeof name, "tinymodel-%u", seed);
    kv_str(&b, "general.architecture", "llama");
    kv_str(&b, "general.name", name);
    kv_u32(&b, "general.alignment", 32);
    kv_u32(&b, "llama.context_length", (uint32_t)o.n_ctx);
    kv_u32(&b, "llama.embedding_length", (uint32_t)o.n_embd);
    kv_u32(&b, "llama.block_count", (uint32_t)o.n_layer);
    kv_u32(&b, "llama.feed_forward_length", (uint32_t)o.n_ff);
    kv_u32(&b, "llama.attention.head_count", (uint32_t)o.n_head);
    kv_u32(&b, "llama.attention.head_count_kv", (uint32_t)o.n_head_kv);
    kv_u32(&b, "llama.rope.dimension_count", (uint32_t)(o.n_embd / o.n_head));
    kv_f32(&b, "llama.rope.freq_base", o.rope_base);
    kv_f32(&b, "llama.attention.layer_norm_rms_epsilon", o.norm_eps);
    kv_u32(&b, "llama.vocab_size", (uint32_t)n_vocab);
    kv_str(&b, "tokenizer.ggml.model", "llama");
    /* tokens, scores, types */
    put_str(&b, "tokenizer.ggml.tokens", 21);
    put_u32(&b, 9);
    put_u32(&b, 8);
    put_u64(&b, (uint64_t)n_vocab);
    for (int i = 0; i < n_vocab; i++) put_str(&b, v.s[i], strlen(v.s[i]));
    put_str(&b, "tokenizer.ggml.scores", 21);
    put_u32(&b, 9);
    put_u32(&b, 6);
    put_u64(&b, (uint64_t)n_vocab);
    int first_char = 259, first_merge = 259 + N_CHARS;
    for (int i = 0; i < n_vocab; i++) {
        /* merges: -0, -1, ... in merge order; characters after them (like
         * SentencePiece); special and byte tokens 0 */
        float s = 0.0f;
        if (i >= first_merge) s = -(float)(i - first_merge);
        else if (i >= first_char) s = -(float)(o.n_merges + i - first_char);
        put_f32(&b, s);
    }
    put_str(&b, "tokenizer.ggml.token_type", 25);
    put_u32(&b, 9);
    put_u32(&b, 5);
    put_u64(&b, (uint64_t)n_vocab);
    for (int i = 0; i < n_vocab; i++) put_u32(&b, i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1);
    kv_u32(&b, "tokenizer.ggml.unknown_token_id", 0);
    kv_u32(&b, "tokenizer.ggml.bos_token_id", 1);
    kv_u32(&b, "tokenizer.ggml.eos_token_id", 2);
    kv_bool(&b, "tokenizer.ggml.add_bos_token", 1);
    kv_bool(&b, "tokenizer.ggml.add_space_prefix", 0);

    /* tensor infos */
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) {
        put_str(&b, ts[i].name, strlen(ts[i].name));
        put_u32(&b, ts[i].ne1 ? 2 : 1);
        put_u64(&b, ts[i].ne0);
        if (ts[i].ne1) put_u64(&b, ts[i].ne1);
        put_u32(&b, ts[i].type);
        put_u64(&b, off);
        off += (tensor_bytes(&ts[i]) + 31) / 32 * 32;
    }
    pad(&b, 32);
    for (int i = 0; i < nt; i++) {
        write_tensor(&b, &ts[i], &r);
        pad(&b, 32);
    }
    if (b.oom) { e = -LMZ_error_memory; goto done; }
    *out = b.p;
    *out_n = b.n;
    b.p = NULL;
done:
    for (int i = 0; v.s && i < v.n; i++) free(v.s[i]);
    free(v.s);
    free(ts);
    free(b.p);
    return e;
}

int tinymodel_write(const char *path, uint32_t seed, const tinymodel_opts *o) {
    uint8_t *p;
    size_t n;
    int e = tinymodel_build(seed, o, &p, &n);
    if (e) return e;
    FILE *f = fopen(path, "wb");
    if (!f) { free(p); return -LMZ_error_io; }
    size_t w = fwrite(p, 1, n, f);
    int c = fclose(f);
    free(p);
    return (w != n || c != 0) ? -LMZ_error_io : 0;
}
