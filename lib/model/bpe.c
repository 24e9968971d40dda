/*
 * lib/model/bpe.c — byte-level BPE (GPT-2 style) from GGUF metadata.
 *
 * The vocabulary's tokens are strings over GPT-2's byte-level alphabet: each
 * of the 256 bytes stands for one character (printable Latin-1 bytes for
 * themselves, the other 68 for U+0100..U+0143, see byte_char). At load every
 * normal token is turned back into its bytes, so that encoding works on
 * slices of the input and never builds the mapped string:
 *   - tokens:  decoded bytes -> id (normal tokens; user-defined ones apart);
 *   - merges:  (left id, right id) -> (rank, merged id), rank = line number
 *              in tokenizer.ggml.merges;
 *   - byte_id: the single-byte token of each byte (all 256 must exist, or the
 *              vocabulary cannot express every byte string: refused).
 *
 * Pre-tokenizers are the regexes of the tokenizers' own files (Qwen2, Llama
 * 3) or of llama.cpp's documentation (gpt-2, smollm), written out by hand as
 * leftmost-first alternations with the regex engines' backtracking worked out
 * (see split_qwen2 and split_gpt2). \s is Unicode White_Space, \p{L} and
 * \p{N} the General_Category classes of unicode_tables.c (Unicode 15.0).
 *
 * BPE within a pre-token: symbols start as the pre-token's bytes; a min-heap
 * holds candidate merges keyed by (rank, position of the left symbol); the
 * best is applied if still current (its two symbols unchanged, checked by
 * looking the pair up again), and the new neighbouring pairs are pushed.
 * This is Hugging Face tokenizers' Word::merge_all, so ties and overlapping
 * pairs ("aaa") resolve as there; cost O(n log n) per pre-token.
 */
#include "model/bpe.h"

#include <stdlib.h>
#include <string.h>

#include "model/unicode_tables.h"

/* token_type values (llama.cpp's LLAMA_TOKEN_TYPE_*) */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

#define BPE_MAX_VOCAB (1u << 24)
#define BPE_MAX_MERGES (1u << 24)
#define BPE_MAX_TOKEN 4096 /* bytes of one token string */

/* Pre-tokenizers */
enum { PRE_QWEN2, PRE_LLAMA3, PRE_GPT2, PRE_SMOLLM };
static const char *const PRE_CANON[] = {"qwen2", "llama-bpe", "gpt-2", "smollm"};
/* tokenizer.ggml.pre values accepted, and what they mean (llama.cpp's names;
 * each alias has exactly the regex of its target there) */
static const struct {
    const char *name;
    int pre;
} PRE_NAMES[] = {
    {"qwen2", PRE_QWEN2},    {"deepseek-r1-qwen", PRE_QWEN2}, {"llama-bpe", PRE_LLAMA3}, {"llama3", PRE_LLAMA3},
    {"llama-v3", PRE_LLAMA3}, {"gpt-2", PRE_GPT2},             {"smollm", PRE_SMOLLM},
};
#define PRE_LIST "qwen2, deepseek-r1-qwen, llama-bpe, llama3, llama-v3, gpt-2, smollm"

/* ------------------------------------------------------------------------ */
/* GPT-2's byte-level alphabet                                              */
/* ------------------------------------------------------------------------ */

/* The character that stands for byte b: printable Latin-1 bytes ('!'..'~',
 * 0xA1..0xAC, 0xAE..0xFF) for themselves, the others, in byte order, for
 * U+0100, U+0101, ... (bytes_to_unicode() of GPT-2's encoder.py). */
static uint32_t byte_char(int b) {
    int n = 0;
    for (int x = 0; x < b; x++)
        if (!((x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) n++;
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return (uint32_t)b;
    return 0x100u + (uint32_t)n;
}

/* ------------------------------------------------------------------------ */
/* The tokenizer                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t hash; /* full hash, for a quick reject */
    int32_t id;    /* -1: empty slot */
} slot;

typedef struct {
    int32_t left, right; /* left == -1: empty slot */
    uint32_t rank;
    int32_t result;
} merge;

struct lmz_bpe {
    uint32_t n_vocab;
    int32_t bos;
    int add_bos;
    int pre, ignore_merges;
    uint8_t *blob; /* bytes of every token, concatenated */
    uint32_t *off; /* token i = blob[off[i] .. off[i+1]) */
    uint8_t *type;
    int32_t byte_id[256];
    int16_t char_byte[0x144]; /* byte of each alphabet character < U+0144, -1 if none */
    slot *tokens;             /* normal tokens by bytes */
    uint32_t tok_mask;
    slot *users;              /* user-defined tokens by bytes */
    uint32_t user_mask, n_user;
    uint8_t user_first[32];   /* bit b: some user-defined token starts with byte b */
    uint32_t *user_lens;      /* distinct lengths of user-defined tokens, longest first */
    uint32_t n_user_lens;
    merge *merges;
    uint32_t merge_mask;
};

/* FNV-1a over the bytes. Tokens are short, so this is cheap. */
static inline uint32_t hash_bytes(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static inline uint32_t hash_pair(int32_t a, int32_t b) {
    uint64_t x = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}

/* Id of the token with these bytes in table t (mask), or -1. */
static inline int32_t lookup(const lmz_bpe *b, const slot *t, uint32_t mask, const uint8_t *p, size_t n) {
    uint32_t h = hash_bytes(p, n);
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        const slot *s = &t[i];
        if (s->id < 0) return -1;
        if (s->hash == h) {
            uint32_t o = b->off[s->id], l = b->off[s->id + 1] - o;
            if (l == n && memcmp(b->blob + o, p, n) == 0) return s->id;
        }
    }
}

/* Inserts token id (its bytes already in blob/off) into t; returns the id of
 * a token with the same bytes already there, or -1 after inserting. */
static int32_t insert(lmz_bpe *b, slot *t, uint32_t mask, int32_t id) {
    const uint8_t *p = b->blob + b->off[id];
    uint32_t n = b->off[id + 1] - b->off[id], h = hash_bytes(p, n), i;
    for (i = h & mask; t[i].id >= 0; i = (i + 1) & mask) {
        int32_t o = t[i].id;
        if (t[i].hash == h && b->off[o + 1] - b->off[o] == n && memcmp(b->blob + b->off[o], p, n) == 0) return o;
    }
    t[i].hash = h;
    t[i].id = id;
    return -1;
}

static inline const merge *find_merge(const lmz_bpe *b, int32_t l, int32_t r) {
    for (uint32_t i = hash_pair(l, r) & b->merge_mask;; i = (i + 1) & b->merge_mask) {
        const merge *m = &b->merges[i];
        if (m->left < 0) return NULL;
        if (m->left == l && m->right == r) return m;
    }
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */
/* ------------------------------------------------------------------------ */

#define BADV(...) lmz_fail(msg, LMZ_error_model_invalid, __VA_ARGS__)

static int str_is(const gguf_str *s, const char *z) {
    size_t n = strlen(z);
    return s->len == n && memcmp(s->ptr, z, n) == 0;
}

/* A string for messages: at most 40 bytes, non-printable bytes as '?'. */
static const char *shown(const uint8_t *p, uint64_t n, char *buf, size_t cap) {
    size_t k = 0;
    for (uint64_t i = 0; i < n && k + 4 < cap && i < 40; i++) buf[k++] = (p[i] >= 0x20 && p[i] < 0x7F) ? (char)p[i] : '?';
    if (n > 40 && k + 4 < cap) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = 0;
    return buf;
}

/* Turns byte-level text s[0..n) (valid UTF-8) into bytes at dst; returns the
 * byte count, or -1 (and *bad = the offending character) if a character is
 * not in the alphabet. */
static int64_t unmap(const lmz_bpe *b, const uint8_t *s, uint64_t n, uint8_t *dst, uint32_t *bad) {
    int64_t k = 0;
    for (uint64_t j = 0; j < n;) {
        uint32_t l = lmz_utf8_len(s + j, (size_t)(n - j), 1), c = s[j];
        if (l == 2) c = (uint32_t)(s[j] & 0x1F) << 6 | (s[j + 1] & 0x3F);
        else if (l != 1) c = 0x110000; /* 3- and 4-byte characters are never in the alphabet */
        if (c >= 0x144 || b->char_byte[c] < 0) {
            *bad = c;
            return -1;
        }
        dst[k++] = (uint8_t)b->char_byte[c];
        j += l ? l : 1;
    }
    return k;
}

static uint32_t pow2_at_least(uint64_t n) {
    uint32_t cap = 16;
    while (cap < n) cap <<= 1;
    return cap;
}

static int load_tokens(lmz_bpe *b, const gguf_kv *toks, const gguf_kv *types, lmz_msg *msg) {
    uint32_t n = b->n_vocab;
    gguf_str_iter it;
    gguf_str_iter_init(&it, toks);
    uint32_t pos = 0, max_user = 0;
    char sb[48];
    for (uint32_t i = 0; i < n; i++) {
        gguf_str s;
        if (gguf_str_iter_next(&it, &s)) return BADV("bpe: token %u missing", i);
        const uint8_t *p = (const uint8_t *)s.ptr;
        int32_t ty = types ? (int32_t)lmz_rd32(types->val + 4 * (size_t)i) : TT_NORMAL;
        if (ty < TT_NORMAL || ty > TT_UNUSED)
            return BADV("bpe: token %u '%s' has type %d (expected 1..5; 6, byte tokens, belong to SentencePiece "
                        "vocabularies)", i, shown(p, s.len, sb, sizeof sb), ty);
        if (s.len > BPE_MAX_TOKEN) return BADV("bpe: token %u longer than %d bytes", i, BPE_MAX_TOKEN);
        if (!lmz_utf8_valid(p, (size_t)s.len)) return BADV("bpe: token %u is not valid UTF-8", i);
        b->type[i] = (uint8_t)ty;
        b->off[i] = pos;
        if (ty == TT_NORMAL) {
            if (s.len == 0) return BADV("bpe: normal token %u is empty", i);
            uint32_t bad;
            int64_t k = unmap(b, p, s.len, b->blob + pos, &bad);
            if (k < 0)
                return BADV("bpe: normal token %u '%s' has character U+%04X, which is not in the byte-level alphabet",
                            i, shown(p, s.len, sb, sizeof sb), bad);
            pos += (uint32_t)k;
        } else if (ty == TT_USER) {
            if (s.len == 0) return BADV("bpe: user-defined token %u is empty", i);
            memcpy(b->blob + pos, p, (size_t)s.len); /* raw text, as llama.cpp stores it */
            pos += (uint32_t)s.len;
            b->n_user++;
            if (s.len > max_user) max_user = (uint32_t)s.len;
        } /* control, unknown, unused: decode to nothing */
        b->off[i + 1] = pos;
        if (ty == TT_NORMAL) {
            int32_t o = insert(b, b->tokens, b->tok_mask, (int32_t)i);
            if (o >= 0) return BADV("bpe: token %u '%s' duplicates token %d", i, shown(p, s.len, sb, sizeof sb), o);
        }
    }
    b->off[n] = pos;

    /* user-defined tokens: their table, first bytes and distinct lengths */
    if (b->n_user) {
        uint32_t cap = pow2_at_least(2 * (uint64_t)b->n_user);
        uint8_t *seen_len = calloc((size_t)max_user + 1, 1);
        b->users = malloc(cap * sizeof *b->users);
        b->user_lens = malloc(((size_t)max_user + 1) * sizeof *b->user_lens);
        if (!seen_len || !b->users || !b->user_lens) {
            free(seen_len);
            RETURN_ERROR(LMZ_error_memory, msg, "bpe: out of memory");
        }
        b->user_mask = cap - 1;
        for (uint32_t i = 0; i < cap; i++) b->users[i].id = -1;
        for (uint32_t i = 0; i < n; i++) {
            if (b->type[i] != TT_USER) continue;
            uint32_t len = b->off[i + 1] - b->off[i];
            int32_t o = insert(b, b->users, b->user_mask, (int32_t)i);
            if (o >= 0) {
                free(seen_len);
                return BADV("bpe: user-defined token %u duplicates token %d", i, o);
            }
            uint8_t c = b->blob[b->off[i]];
            b->user_first[c >> 3] |= (uint8_t)(1u << (c & 7));
            seen_len[len] = 1;
        }
        for (uint32_t l = max_user; l > 0; l--)
            if (seen_len[l]) b->user_lens[b->n_user_lens++] = l;
        free(seen_len);
    }
    return 0;
}

static int load_merges(lmz_bpe *b, const gguf_kv *arr, lmz_msg *msg) {
    uint64_t n = arr->arr_len;
    if (n > BPE_MAX_MERGES) return BADV("bpe: %llu merges (at most %u)", (unsigned long long)n, BPE_MAX_MERGES);
    uint32_t cap = pow2_at_least(2 * n);
    b->merges = malloc(cap * sizeof *b->merges);
    RETURN_ERROR_IF(!b->merges, LMZ_error_memory, msg, "bpe: out of memory for %llu merges", (unsigned long long)n);
    b->merge_mask = cap - 1;
    for (uint32_t i = 0; i < cap; i++) b->merges[i].left = -1;
    uint8_t buf[2 * BPE_MAX_TOKEN];
    char sb[48];
    gguf_str_iter it;
    gguf_str_iter_init(&it, arr);
    for (uint32_t r = 0; r < n; r++) {
        gguf_str s;
        if (gguf_str_iter_next(&it, &s)) return BADV("bpe: merge %u missing", r);
        const uint8_t *p = (const uint8_t *)s.ptr;
        /* "LEFT RIGHT": byte-level strings never hold a space (byte 0x20 is Ġ) */
        const uint8_t *sp = s.len ? memchr(p, ' ', (size_t)s.len) : NULL;
        if (!sp || sp == p || sp == p + s.len - 1 || memchr(sp + 1, ' ', (size_t)(p + s.len - sp - 1)))
            return BADV("bpe: merge %u '%s' is not two tokens separated by one space", r,
                        shown(p, s.len, sb, sizeof sb));
        if (s.len > 2 * BPE_MAX_TOKEN) return BADV("bpe: merge %u longer than %d bytes", r, 2 * BPE_MAX_TOKEN);
        if (!lmz_utf8_valid(p, (size_t)s.len)) return BADV("bpe: merge %u is not valid UTF-8", r);
        uint32_t bad;
        uint64_t nl = (uint64_t)(sp - p);
        int64_t kl = unmap(b, p, nl, buf, &bad), kr = kl < 0 ? -1 : unmap(b, sp + 1, s.len - nl - 1, buf + kl, &bad);
        if (kl < 0 || kr < 0)
            return BADV("bpe: merge %u '%s' has character U+%04X, which is not in the byte-level alphabet", r,
                        shown(p, s.len, sb, sizeof sb), bad);
        int32_t l = lookup(b, b->tokens, b->tok_mask, buf, (size_t)kl);
        int32_t rt = lookup(b, b->tokens, b->tok_mask, buf + kl, (size_t)kr);
        int32_t m = lookup(b, b->tokens, b->tok_mask, buf, (size_t)(kl + kr));
        if (l < 0 || rt < 0)
            return BADV("bpe: merge %u '%s' names a token that is not a normal token of the vocabulary", r,
                        shown(p, s.len, sb, sizeof sb));
        if (m < 0)
            return BADV("bpe: merge %u '%s': the merged token is not in the vocabulary", r,
                        shown(p, s.len, sb, sizeof sb));
        uint32_t i;
        for (i = hash_pair(l, rt) & b->merge_mask; b->merges[i].left >= 0; i = (i + 1) & b->merge_mask)
            if (b->merges[i].left == l && b->merges[i].right == rt)
                return BADV("bpe: merge %u '%s' repeats merge %u", r, shown(p, s.len, sb, sizeof sb),
                            b->merges[i].rank);
        b->merges[i] = (merge){l, rt, r, m};
    }
    return 0;
}

static int load(lmz_bpe *b, const gguf_file *g, lmz_msg *msg) {
    gguf_str model, pre;
    if (gguf_get_str(g, "tokenizer.ggml.model", &model))
        return BADV("bpe: tokenizer.ggml.model missing or not a string");
    RETURN_ERROR_IF(!str_is(&model, "gpt2"), LMZ_error_unsupported, msg,
                    "bpe: tokenizer.ggml.model '%.*s' is not 'gpt2' (byte-level BPE)",
                    (int)(model.len > 32 ? 32 : model.len), model.ptr);
    if (gguf_get_str(g, "tokenizer.ggml.pre", &pre))
        return BADV("bpe: tokenizer.ggml.pre missing or not a string (it names the pre-tokenizer; lmz does not guess)");
    b->pre = -1;
    for (size_t i = 0; i < sizeof PRE_NAMES / sizeof PRE_NAMES[0]; i++)
        if (str_is(&pre, PRE_NAMES[i].name)) b->pre = PRE_NAMES[i].pre;
    RETURN_ERROR_IF(b->pre < 0, LMZ_error_unsupported, msg,
                    "bpe: pre-tokenizer '%.*s' (tokenizer.ggml.pre) is not supported; supported: " PRE_LIST,
                    (int)(pre.len > 40 ? 40 : pre.len), pre.ptr);
    b->ignore_merges = b->pre == PRE_LLAMA3;

    const gguf_kv *toks, *types = NULL, *merges;
    if (gguf_get_arr(g, "tokenizer.ggml.tokens", GGUF_T_STRING, &toks))
        return BADV("bpe: tokenizer.ggml.tokens missing or not an array of strings");
    if (gguf_find(g, "tokenizer.ggml.token_type") && gguf_get_arr(g, "tokenizer.ggml.token_type", GGUF_T_I32, &types))
        return BADV("bpe: tokenizer.ggml.token_type is not an array of i32");
    if (gguf_get_arr(g, "tokenizer.ggml.merges", GGUF_T_STRING, &merges))
        return BADV("bpe: tokenizer.ggml.merges missing or not an array of strings");
    uint64_t n = toks->arr_len;
    if (n < 256 || n > BPE_MAX_VOCAB)
        return BADV("bpe: vocabulary size %llu not in [256, %u]", (unsigned long long)n, BPE_MAX_VOCAB);
    if (types && types->arr_len != n)
        return BADV("bpe: %llu tokens but %llu token types", (unsigned long long)n, (unsigned long long)types->arr_len);
    if (toks->val_size > UINT32_MAX)
        return BADV("bpe: token strings too large (%llu bytes)", (unsigned long long)toks->val_size);

    b->n_vocab = (uint32_t)n;
    uint32_t cap = pow2_at_least(2 * n);
    /* unmapped tokens are never longer than their byte-level text */
    b->blob = malloc((size_t)toks->val_size + 1);
    b->off = malloc((n + 1) * sizeof *b->off);
    b->type = malloc(n);
    b->tokens = malloc(cap * sizeof *b->tokens);
    RETURN_ERROR_IF(!b->blob || !b->off || !b->type || !b->tokens, LMZ_error_memory, msg,
                    "bpe: out of memory for %llu tokens", (unsigned long long)n);
    b->tok_mask = cap - 1;
    for (uint32_t i = 0; i < cap; i++) b->tokens[i].id = -1;
    for (uint32_t c = 0; c < 0x144; c++) b->char_byte[c] = -1;
    for (int x = 0; x < 256; x++) b->char_byte[byte_char(x)] = (int16_t)x;

    FORWARD_IF_ERROR(load_tokens(b, toks, types, msg));
    for (int x = 0; x < 256; x++) {
        uint8_t c = (uint8_t)x;
        b->byte_id[x] = lookup(b, b->tokens, b->tok_mask, &c, 1);
        RETURN_ERROR_IF(b->byte_id[x] < 0, LMZ_error_unsupported, msg,
                        "bpe: byte 0x%02X (character U+%04X) has no normal token: this vocabulary cannot express "
                        "every byte string, unsupported for lossless coding", x, byte_char(x));
    }
    FORWARD_IF_ERROR(load_merges(b, merges, msg));

    int64_t v;
    b->bos = -1;
    if (gguf_find(g, "tokenizer.ggml.bos_token_id")) {
        if (gguf_get_int(g, "tokenizer.ggml.bos_token_id", &v) || v >= (int64_t)n)
            return BADV("bpe: tokenizer.ggml.bos_token_id is not a token id (vocabulary size %u)", b->n_vocab);
        b->bos = (int32_t)v;
    }
    b->add_bos = b->pre == PRE_LLAMA3; /* llama.cpp's default when the key is absent */
    const gguf_kv *ab = gguf_find(g, "tokenizer.ggml.add_bos_token");
    if (ab) {
        if (ab->type != GGUF_T_BOOL) return BADV("bpe: tokenizer.ggml.add_bos_token is not a bool");
        b->add_bos = ab->val[0] != 0;
    }
    if (b->add_bos && b->bos < 0)
        return BADV("bpe: the file asks for BOS (add_bos_token) but names no tokenizer.ggml.bos_token_id");
    return 0;
}

int bpe_init(lmz_bpe **out, const gguf_file *g, lmz_msg *msg) {
    *out = NULL;
    lmz_bpe *b = calloc(1, sizeof *b);
    RETURN_ERROR_IF(!b, LMZ_error_memory, msg, "bpe: out of memory");
    int e = load(b, g, msg);
    if (e) {
        bpe_free(b);
        return e;
    }
    *out = b;
    return 0;
}

void bpe_free(lmz_bpe *b) {
    if (!b) return;
    free(b->blob);
    free(b->off);
    free(b->type);
    free(b->tokens);
    free(b->users);
    free(b->user_lens);
    free(b->merges);
    free(b);
}

uint32_t bpe_vocab_size(const lmz_bpe *b) { return b->n_vocab; }
int32_t bpe_bos(const lmz_bpe *b) { return b->bos; }
int bpe_add_bos(const lmz_bpe *b) { return b->add_bos; }
const char *bpe_pre_name(const lmz_bpe *b) { return PRE_CANON[b->pre]; }

/* ------------------------------------------------------------------------ */
/* Pre-tokenizers                                                           */
/* ------------------------------------------------------------------------ */

/* They work on a stretch s[0..n) of valid UTF-8 and return the end of the
 * match that starts at byte i (every position has one: the alternations
 * cover every character). */

/* The code point at s[i] (valid UTF-8) and its length. */
static inline uint32_t cp_at(const uint8_t *s, size_t i, uint32_t *cp) {
    uint8_t c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xE0) {
        *cp = (uint32_t)(c & 0x1F) << 6 | (s[i + 1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        *cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        return 3;
    }
    *cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[i + 1] & 0x3F) << 12 | (uint32_t)(s[i + 2] & 0x3F) << 6 |
          (s[i + 3] & 0x3F);
    return 4;
}

static inline int class_at(const uint8_t *s, size_t i) {
    uint32_t cp;
    cp_at(s, i, &cp);
    return lmz_uc_class(cp);
}

/* End of the run of characters of class k that starts at i. */
static size_t run_end(const uint8_t *s, size_t n, size_t i, int k) {
    while (i < n) {
        uint32_t cp, l = cp_at(s, i, &cp);
        if (lmz_uc_class(cp) != k) break;
        i += l;
    }
    return i;
}

/* After an apostrophe: length of s|t|re|ve|m|ll|d (ASCII case folded when ci),
 * 0 if none. */
static size_t contraction(const uint8_t *s, size_t n, int ci) {
    if (n < 1) return 0;
    uint8_t a = s[0], c = n >= 2 ? s[1] : 0;
    if (ci) {
        if (a >= 'A' && a <= 'Z') a = (uint8_t)(a + 32);
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 1;
    if ((a == 'r' && c == 'e') || (a == 'v' && c == 'e') || (a == 'l' && c == 'l')) return 2;
    return 0;
}

/* At a White_Space character i, the alternatives
 *   \s*[\r\n]+     (crlf != 0): the run up to and including its last CR/LF
 *   \s+(?!\S)      the run, less its last character if a non-space follows
 *   \s+            the run (a lone space before a non-space)
 * with the run = the maximal White_Space run from i. */
static size_t space_match(const uint8_t *s, size_t n, size_t i, int crlf) {
    size_t j = i, last = i, nl = SIZE_MAX;
    while (j < n) {
        uint32_t cp, l = cp_at(s, j, &cp);
        if (lmz_uc_class(cp) != LMZ_UC_SPACE) break;
        if (cp == '\r' || cp == '\n') nl = j;
        last = j;
        j += l;
    }
    if (crlf && nl != SIZE_MAX) return nl + 1;
    if (j == n || last == i) return j;
    return last;
}

/* Qwen2's regex, and Llama 3's with max_digits = 3:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,max_digits}
 *   |  ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
 * (?i:...) folds ASCII only, as the Hugging Face port to JavaScript and
 * llama.cpp spell it ('[sS]...'). */
static size_t split_qwen2(const uint8_t *s, size_t n, size_t i, int max_digits) {
    uint32_t c, l = cp_at(s, i, &c);
    int k = lmz_uc_class(c);
    if (c == '\'') {
        size_t m = contraction(s + i + 1, n - i - 1, 1);
        if (m) return i + 1 + m;
    }
    if (k == LMZ_UC_LETTER) return run_end(s, n, i, LMZ_UC_LETTER);
    if (k != LMZ_UC_NUMBER && c != '\r' && c != '\n' && i + l < n && class_at(s, i + l) == LMZ_UC_LETTER)
        return run_end(s, n, i + l, LMZ_UC_LETTER);
    if (k == LMZ_UC_NUMBER) {
        size_t j = i + l;
        for (int d = 1; d < max_digits && j < n; d++) {
            uint32_t c2, l2 = cp_at(s, j, &c2);
            if (lmz_uc_class(c2) != LMZ_UC_NUMBER) break;
            j += l2;
        }
        return j;
    }
    size_t j = c == ' ' ? i + 1 : i;
    if (j < n && class_at(s, j) == LMZ_UC_OTHER) {
        j = run_end(s, n, j, LMZ_UC_OTHER);
        while (j < n && (s[j] == '\r' || s[j] == '\n')) j++;
        return j;
    }
    return space_match(s, n, i, 1); /* k == LMZ_UC_SPACE here */
}

/* GPT-2's regex (llama.cpp's "gpt-2"; case-sensitive contractions):
 *   's|'t|'re|'ve|'m|'ll|'d |  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+ */
static size_t split_gpt2(const uint8_t *s, size_t n, size_t i) {
    uint32_t c, l = cp_at(s, i, &c);
    int k = lmz_uc_class(c);
    if (c == '\'') {
        size_t m = contraction(s + i + 1, n - i - 1, 0);
        if (m) return i + 1 + m;
    }
    size_t j = i;
    if (c == ' ' && i + l < n) {
        int k2 = class_at(s, i + l);
        if (k2 != LMZ_UC_SPACE) j = i + l, k = k2;
    }
    if (k != LMZ_UC_SPACE) return run_end(s, n, j, k);
    return space_match(s, n, i, 0);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    int32_t id;         /* -1: merged into its left neighbour */
    int32_t prev, next;
} symbol;

/* A candidate merge of the symbol at pos with its right neighbour. */
typedef struct {
    uint32_t rank, pos;
} cand;

/* Heap order: lower rank first, then the leftmost pair. */
static inline int before(cand a, cand b) { return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos); }

typedef struct {
    const lmz_bpe *b;
    symbol *sym;
    size_t sym_cap;
    cand *h;
    size_t hn, hcap;
    int32_t *out;
    size_t k; /* ids written */
} encoder;

static int push(encoder *E, uint32_t rank, uint32_t pos) {
    if (E->hn == E->hcap) {
        size_t cap = E->hcap ? 2 * E->hcap : 256;
        cand *h = realloc(E->h, cap * sizeof *h);
        if (!h) return -1;
        E->h = h;
        E->hcap = cap;
    }
    cand c = {rank, pos};
    size_t i = E->hn++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(c, E->h[up])) break;
        E->h[i] = E->h[up];
        i = up;
    }
    E->h[i] = c;
    return 0;
}

static cand pop(encoder *E) {
    cand top = E->h[0], last = E->h[--E->hn];
    size_t i = 0, n = E->hn;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(E->h[c + 1], E->h[c])) c++;
        if (!before(E->h[c], last)) break;
        E->h[i] = E->h[c];
        i = c;
    }
    if (n) E->h[i] = last;
    return top;
}

/* Pushes the merge of symbol pos with its right neighbour, if there is one. */
static inline int try_pair(encoder *E, int32_t pos) {
    if (pos < 0 || E->sym[pos].next < 0) return 0;
    const merge *m = find_merge(E->b, E->sym[pos].id, E->sym[E->sym[pos].next].id);
    return m ? push(E, m->rank, (uint32_t)pos) : 0;
}

/* BPE over one pre-token p[0..n). */
static int encode_word(encoder *E, const uint8_t *p, size_t n) {
    const lmz_bpe *b = E->b;
    if (n == 1) {
        E->out[E->k++] = b->byte_id[p[0]];
        return 0;
    }
    if (b->ignore_merges) {
        int32_t id = lookup(b, b->tokens, b->tok_mask, p, n);
        if (id >= 0) {
            E->out[E->k++] = id;
            return 0;
        }
    }
    if (n > E->sym_cap) {
        if (n > (size_t)INT32_MAX) return -1;
        size_t cap = E->sym_cap ? E->sym_cap : 64;
        while (cap < n) cap *= 2;
        symbol *s = realloc(E->sym, cap * sizeof *s);
        if (!s) return -1;
        E->sym = s;
        E->sym_cap = cap;
    }
    symbol *sym = E->sym;
    for (size_t i = 0; i < n; i++) sym[i] = (symbol){b->byte_id[p[i]], (int32_t)i - 1, (int32_t)i + 1};
    sym[n - 1].next = -1;
    E->hn = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (try_pair(E, (int32_t)i)) return -1;
    while (E->hn) {
        cand c = pop(E);
        symbol *a = &sym[c.pos];
        if (a->id < 0 || a->next < 0) continue;
        symbol *r = &sym[a->next];
        const merge *m = find_merge(b, a->id, r->id);
        if (!m || m->rank != c.rank) continue; /* stale: a side changed since the push */
        a->id = m->result;
        r->id = -1;
        a->next = r->next;
        if (r->next >= 0) sym[r->next].prev = (int32_t)c.pos;
        if (try_pair(E, a->prev) || try_pair(E, (int32_t)c.pos)) return -1;
    }
    for (int32_t i = 0; i >= 0; i = sym[i].next) E->out[E->k++] = sym[i].id;
    return 0;
}

/* Pre-tokenizes a stretch of valid UTF-8 and encodes each pre-token. */
static int encode_text(encoder *E, const uint8_t *s, size_t n) {
    int pre = E->b->pre;
    for (size_t i = 0; i < n;) {
        size_t j;
        if (pre == PRE_QWEN2) j = split_qwen2(s, n, i, 1);
        else if (pre == PRE_LLAMA3) j = split_qwen2(s, n, i, 3);
        else if (pre == PRE_GPT2) j = split_gpt2(s, n, i);
        else {
            /* smollm: every \p{N} alone, GPT-2's regex over what lies between */
            uint32_t cp, l = cp_at(s, i, &cp);
            if (lmz_uc_class(cp) == LMZ_UC_NUMBER) {
                j = i + l;
            } else {
                size_t e = i;
                while (e < n) {
                    uint32_t c2, l2 = cp_at(s, e, &c2);
                    if (lmz_uc_class(c2) == LMZ_UC_NUMBER) break;
                    e += l2;
                }
                for (size_t x = i; x < e; x = j) {
                    j = split_gpt2(s, e, x);
                    if (encode_word(E, s + x, j - x)) return -1;
                }
                i = e;
                continue;
            }
        }
        if (encode_word(E, s + i, j - i)) return -1;
        i = j;
    }
    return 0;
}

/* A fragment between user-defined tokens: cut at bytes that do not start a
 * well-formed UTF-8 sequence, each of which is its own single-byte token. */
static int encode_fragment(encoder *E, const uint8_t *s, size_t n) {
    size_t start = 0;
    for (size_t i = 0; i < n;) {
        uint32_t l = lmz_utf8_len(s + i, n - i, 1);
        if (l) {
            i += l;
            continue;
        }
        if (encode_text(E, s + start, i - start)) return -1;
        E->out[E->k++] = E->b->byte_id[s[i]];
        start = ++i;
    }
    return encode_text(E, s + start, n - start);
}

/* The user-defined token that starts at s (longest), or -1. */
static int32_t match_user(const lmz_bpe *b, const uint8_t *s, size_t n, size_t *len) {
    for (uint32_t k = 0; k < b->n_user_lens; k++) {
        size_t l = b->user_lens[k];
        if (l > n) continue;
        int32_t id = lookup(b, b->users, b->user_mask, s, l);
        if (id >= 0) {
            *len = l;
            return id;
        }
    }
    return -1;
}

int bpe_encode(const lmz_bpe *b, const uint8_t *src, size_t n, int32_t **out, size_t *n_out) {
    /* every input byte gives at most one id. *out is overwritten, never read */
    *n_out = 0;
    *out = NULL;
    encoder E = {b, NULL, 0, NULL, 0, 0, malloc((n ? n : 1) * sizeof(int32_t)), 0};
    if (!E.out) return LMZ_IERR(LMZ_error_memory);
    int rc = 0;
    size_t frag = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t len;
        int32_t id;
        if (b->n_user && ((b->user_first[src[i] >> 3] >> (src[i] & 7)) & 1) &&
            (id = match_user(b, src + i, n - i, &len)) >= 0) {
            rc = encode_fragment(&E, src + frag, i - frag);
            E.out[E.k++] = id;
            i += len;
            frag = i;
        } else {
            i++;
        }
    }
    if (!rc) rc = encode_fragment(&E, src + frag, n - frag);
    free(E.sym);
    free(E.h);
    if (rc) {
        free(E.out);
        return LMZ_IERR(LMZ_error_memory);
    }
    *out = E.out;
    *n_out = E.k;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */
/* ------------------------------------------------------------------------ */

const uint8_t *bpe_bytes(const lmz_bpe *b, int32_t id, uint32_t *len) {
    if (id < 0 || (uint32_t)id >= b->n_vocab) {
        *len = 0;
        return b->blob;
    }
    *len = b->off[id + 1] - b->off[id];
    return b->blob + b->off[id];
}

int64_t bpe_decode(const lmz_bpe *b, const int32_t *ids, size_t n, uint8_t *dst, size_t cap) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= b->n_vocab) return LMZ_IERR(LMZ_error_corrupt);
        uint32_t o = b->off[ids[i]], l = b->off[ids[i] + 1] - o;
        if (l > cap - w) return LMZ_IERR(LMZ_error_dst_too_small);
        memcpy(dst + w, b->blob + o, l);
        w += l;
    }
    return (int64_t)w;
}
