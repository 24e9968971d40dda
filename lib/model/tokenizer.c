/*
 * lib/model/tokenizer.c — SentencePiece BPE (byte fallback) from GGUF metadata.
 *
 * Encoding follows SentencePiece's bpe_model.cc:
 *   1. split the text into characters (UTF-8 code points); a space stands for
 *      the piece character U+2581 "▁";
 *   2. push every adjacent pair whose concatenation is a vocabulary piece onto
 *      a max-heap keyed by (piece score, then leftmost position);
 *   3. pop the best pair, merge it, and push the two new pairs it forms with
 *      its neighbours; stale heap entries are skipped lazily;
 *   4. a symbol left that is not a piece becomes byte tokens <0xNN>.
 *
 * Two representation tricks keep it fast and lossless:
 *   - Vocabulary pieces are stored with "▁" already turned into a space (their
 *     decoded bytes). Symbols are then plain slices of the input, a pair's
 *     concatenation is a contiguous slice, and no normalised copy is needed.
 *   - Bytes that are not valid UTF-8, and a literal "▁" in the input, are
 *     frozen single symbols that never merge: they always come out as byte
 *     tokens, so decoding gives back exactly the input bytes.
 *
 * Segments: if no mergeable piece contains the two adjacent bytes a b, no
 * merge can ever produce a symbol spanning the boundary between them, so the
 * text is cut there and both sides are processed independently, each with a
 * small heap (same result as one global heap). With SentencePiece vocabularies
 * this cuts before every "▁word", around newlines, digits, most punctuation,
 * so segments are a few characters long and everything stays in L1.
 */
#include "model/tokenizer.h"
#include "model/bpe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* token_type values (SentencePiece / llama.cpp) */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

#define TOK_MAX_VOCAB (1u << 24)
#define TOK_MAX_PIECE 1024 /* bytes of one piece */

/* ------------------------------------------------------------------------ */
/* The tokenizer                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t hash; /* full hash, for a quick reject */
    int32_t id;    /* -1: empty slot */
} slot;

struct lmz_tokenizer {
    uint32_t n_vocab;
    int32_t bos;
    lmz_bpe *bpe;       /* tokenizer.ggml.model = gpt2: byte-level BPE (bpe.c) does the work */
    uint8_t *blob;      /* decoded bytes of every piece, concatenated */
    uint32_t *off;      /* piece i = blob[off[i] .. off[i+1]) (decoded form) */
    float *score;
    uint8_t *type;
    int32_t byte_id[256]; /* <0xNN> token of each byte */
    slot *table;        /* mergeable pieces (normal / user-defined), by decoded bytes */
    uint32_t mask;
    uint32_t max_len;   /* longest mergeable piece, bytes */
    /* bit b&7 of pair_seen[a][b>>3]: some mergeable multi-character piece
     * contains byte a followed by byte b (only kept for ASCII a, b; any
     * non-ASCII neighbour counts as seen, i.e. never cut) */
    uint8_t pair_seen[128][16];
};

/* May a merge span the boundary between bytes a and b? */
static inline int joinable(const lmz_tokenizer *t, uint8_t a, uint8_t b) {
    if ((a | b) & 0x80) return 1;
    return (t->pair_seen[a][b >> 3] >> (b & 7)) & 1;
}

/* FNV-1a over the bytes. Pieces are short, so this is cheap. */
static inline uint32_t hash_bytes(const uint8_t *p, uint32_t n) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Id of the mergeable piece with these decoded bytes, or -1. */
static inline int32_t lookup(const lmz_tokenizer *t, const uint8_t *p, uint32_t n) {
    uint32_t h = hash_bytes(p, n);
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const slot *s = &t->table[i];
        if (s->id < 0) return -1;
        if (s->hash == h) {
            uint32_t o = t->off[s->id], l = t->off[s->id + 1] - o;
            if (l == n && memcmp(t->blob + o, p, n) == 0) return s->id;
        }
    }
}

static int is_byte_piece(const gguf_str *s, int *byte) {
    static const char hex[] = "0123456789ABCDEF";
    if (s->len != 6 || memcmp(s->ptr, "<0x", 3) != 0 || s->ptr[5] != '>') return 0;
    const char *h = strchr(hex, s->ptr[3]), *l = strchr(hex, s->ptr[4]);
    if (!h || !l || !s->ptr[3] || !s->ptr[4]) return 0;
    *byte = (int)((h - hex) * 16 + (l - hex));
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */
/* ------------------------------------------------------------------------ */

#define BADV(...) lmz_fail(msg, LMZ_error_model_invalid, __VA_ARGS__)

/* A byte-level BPE vocabulary: bpe.c, with the start token the chunks
 * begin with (tokenizer.h). */
static int tok_init_bpe(lmz_tokenizer **out, const gguf_file *g, lmz_msg *msg) {
    lmz_tokenizer *t = calloc(1, sizeof *t);
    RETURN_ERROR_IF(!t, LMZ_error_memory, msg, "tokenizer: out of memory");
    int rc = bpe_init(&t->bpe, g, msg);
    if (rc) {
        free(t);
        return rc;
    }
    t->n_vocab = bpe_vocab_size(t->bpe);
    t->bos = bpe_bos(t->bpe);
    if (t->bos < 0) {
        int64_t v;
        if (gguf_get_int(g, "tokenizer.ggml.eos_token_id", &v) == 0 && v >= 0 && v < (int64_t)t->n_vocab)
            t->bos = (int32_t)v;
    }
    if (t->bos < 0) {
        tok_free(t);
        RETURN_ERROR(LMZ_error_unsupported, msg,
                     "tokenizer: the vocabulary names no BOS or EOS token (tokenizer.ggml.bos_token_id, "
                     "eos_token_id): lmz needs one to start each chunk");
    }
    *out = t;
    return 0;
}

int tok_init(lmz_tokenizer **out, const gguf_file *g, lmz_msg *msg) {
    *out = NULL;
    gguf_str kind;
    if (gguf_get_str(g, "tokenizer.ggml.model", &kind) == 0) {
        if (kind.len == 4 && memcmp(kind.ptr, "gpt2", 4) == 0) return tok_init_bpe(out, g, msg);
        RETURN_ERROR_IF(!(kind.len == 5 && !memcmp(kind.ptr, "llama", 5)), LMZ_error_unsupported, msg,
                        "tokenizer: tokenizer.ggml.model '%.*s' is not supported (supported: llama, gpt2)",
                        (int)(kind.len > 32 ? 32 : kind.len), kind.ptr);
    }
    const gguf_kv *toks, *scores, *types;
    if (gguf_get_arr(g, "tokenizer.ggml.tokens", GGUF_T_STRING, &toks))
        return BADV("tokenizer: tokenizer.ggml.tokens missing or not an array of strings");
    if (gguf_get_arr(g, "tokenizer.ggml.scores", GGUF_T_F32, &scores))
        return BADV("tokenizer: tokenizer.ggml.scores missing or not an array of f32");
    if (gguf_get_arr(g, "tokenizer.ggml.token_type", GGUF_T_I32, &types))
        return BADV("tokenizer: tokenizer.ggml.token_type missing or not an array of i32");
    uint64_t n = toks->arr_len;
    if (n < 259 || n > TOK_MAX_VOCAB) return BADV("tokenizer: vocabulary size %llu not in [259, %u]",
                                                  (unsigned long long)n, TOK_MAX_VOCAB);
    if (scores->arr_len != n || types->arr_len != n)
        return BADV("tokenizer: %llu tokens but %llu scores and %llu token types", (unsigned long long)n,
                    (unsigned long long)scores->arr_len, (unsigned long long)types->arr_len);

    lmz_tokenizer *t = calloc(1, sizeof *t);
    RETURN_ERROR_IF(!t, LMZ_error_memory, msg, "tokenizer: out of memory");
    t->n_vocab = (uint32_t)n;
    /* decoded pieces are never longer than the encoded ones (▁ is 3 bytes) */
    size_t blob_cap = (size_t)toks->val_size + 1;
    uint32_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    t->blob = malloc(blob_cap);
    t->off = malloc((n + 1) * sizeof *t->off);
    t->score = malloc(n * sizeof *t->score);
    t->type = malloc(n);
    t->table = malloc(cap * sizeof *t->table);
    if (!t->blob || !t->off || !t->score || !t->type || !t->table) {
        tok_free(t);
        RETURN_ERROR(LMZ_error_memory, msg, "tokenizer: out of memory for %llu pieces", (unsigned long long)n);
    }
    if (toks->val_size > UINT32_MAX) {
        tok_free(t);
        return BADV("tokenizer: token strings too large (%llu bytes)", (unsigned long long)toks->val_size);
    }
    t->mask = cap - 1;
    for (uint32_t i = 0; i < cap; i++) t->table[i].id = -1;
    for (int b = 0; b < 256; b++) t->byte_id[b] = -1;

    gguf_str_iter it;
    gguf_str_iter_init(&it, toks);
    uint32_t pos = 0;
    int e = 0;
    for (uint32_t i = 0; i < n; i++) {
        gguf_str s;
        if (gguf_str_iter_next(&it, &s)) { e = BADV("tokenizer: token %u missing", i); break; }
        int32_t ty = (int32_t)lmz_rd32(types->val + 4 * (size_t)i);
        float sc = lmz_rdf32(scores->val + 4 * (size_t)i);
        if (ty < TT_NORMAL || ty > TT_BYTE) { e = BADV("tokenizer: token %u has unknown type %d", i, ty); break; }
        if (isnan(sc)) { e = BADV("tokenizer: token %u has a NaN score", i); break; }
        if (s.len > TOK_MAX_PIECE) { e = BADV("tokenizer: token %u longer than %d bytes", i, TOK_MAX_PIECE); break; }
        if (!lmz_utf8_valid((const uint8_t *)s.ptr, (size_t)s.len)) {
            e = BADV("tokenizer: token %u is not valid UTF-8", i);
            break;
        }
        t->type[i] = (uint8_t)ty;
        t->score[i] = sc;
        t->off[i] = pos;
        if (ty == TT_BYTE) {
            int b;
            if (!is_byte_piece(&s, &b)) { e = BADV("tokenizer: byte token %u is not <0xNN>", i); break; }
            if (t->byte_id[b] >= 0) { e = BADV("tokenizer: byte <0x%02X> appears twice (%d, %u)", b, t->byte_id[b], i); break; }
            t->byte_id[b] = (int32_t)i;
            t->blob[pos++] = (uint8_t)b;
            continue;
        }
        if (ty == TT_CONTROL || ty == TT_UNKNOWN) continue; /* decodes to nothing */
        /* decoded form: U+2581 (E2 96 81) -> space */
        const uint8_t *p = (const uint8_t *)s.ptr;
        uint32_t start = pos, nchar = 0;
        int has_space = 0;
        for (uint64_t j = 0; j < s.len;) {
            if (j + 3 <= s.len && p[j] == 0xE2 && p[j + 1] == 0x96 && p[j + 2] == 0x81) {
                t->blob[pos++] = ' ';
                j += 3;
            } else {
                uint32_t l = lmz_utf8_len(p + j, (size_t)(s.len - j), 1);
                if (p[j] == ' ') has_space = 1;
                memcpy(t->blob + pos, p + j, l);
                pos += l;
                j += l;
            }
            nchar++;
        }
        /* Normal and user-defined pieces take part in merges. A piece holding
         * a real space could collide with the decoded "▁" form: never merged. */
        if ((ty != TT_NORMAL && ty != TT_USER) || has_space || pos == start) continue;
        uint32_t len = pos - start, h = hash_bytes(t->blob + start, len), k;
        for (k = h & t->mask; t->table[k].id >= 0; k = (k + 1) & t->mask) {
            int32_t o = t->table[k].id;
            if (t->table[k].hash == h && t->off[o + 1] - t->off[o] == len &&
                memcmp(t->blob + t->off[o], t->blob + start, len) == 0)
                break;
        }
        if (t->table[k].id >= 0) {
            /* off[o+1] of a previous piece is set: o < i */
            e = BADV("tokenizer: token %u duplicates token %d", i, t->table[k].id);
            break;
        }
        /* off[i+1] is needed by lookups that compare lengths: set it now */
        t->off[i + 1] = pos;
        t->table[k].hash = h;
        t->table[k].id = (int32_t)i;
        if (len > t->max_len) t->max_len = len;
        for (uint32_t j = start; j + 1 < pos; j++) {
            uint8_t a = t->blob[j], b = t->blob[j + 1];
            if (!((a | b) & 0x80)) t->pair_seen[a][b >> 3] |= (uint8_t)(1u << (b & 7));
        }
    }
    if (!e) {
        t->off[n] = pos;
        for (int b = 0; b < 256 && !e; b++)
            if (t->byte_id[b] < 0) e = BADV("tokenizer: byte token <0x%02X> missing", b);
    }
    if (!e) {
        int64_t bos;
        t->bos = -1;
        if (!gguf_get_int(g, "tokenizer.ggml.bos_token_id", &bos)) {
            if (bos >= (int64_t)n) e = BADV("tokenizer: bos_token_id %lld out of range", (long long)bos);
            else t->bos = (int32_t)bos;
        } else e = BADV("tokenizer: tokenizer.ggml.bos_token_id missing or not an integer >= 0"); /* the codec needs BOS */
    }
    if (e) {
        tok_free(t);
        return e;
    }
    *out = t;
    return 0;
}

void tok_free(lmz_tokenizer *t) {
    if (!t) return;
    bpe_free(t->bpe);
    free(t->blob);
    free(t->off);
    free(t->score);
    free(t->type);
    free(t->table);
    free(t);
}

uint32_t tok_vocab_size(const lmz_tokenizer *t) { return t->n_vocab; }
int32_t tok_bos(const lmz_tokenizer *t) { return t->bos; }

/* ------------------------------------------------------------------------ */
/* Encoding                                                                 */
/* ------------------------------------------------------------------------ */

/* A symbol: a slice of the current segment. Merged-away symbols have len 0. */
typedef struct {
    uint32_t start, len;
    int32_t prev, next;
    int32_t id;     /* piece id, -1 if the symbol is not a piece */
    int32_t frozen; /* never merges (invalid byte, literal U+2581) */
} symbol;

/* A candidate merge of symbols left and right (adjacent when pushed). */
typedef struct {
    float score;
    int32_t id;
    int32_t left, right;
} pair;

/* Heap order: higher score first, then the leftmost pair (SentencePiece). */
static inline int better(const pair *a, const pair *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct {
    pair *h;
    size_t n, cap;
} heap;

static int heap_push(heap *q, pair p) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 256;
        pair *h = realloc(q->h, cap * sizeof *h);
        if (!h) return -1;
        q->h = h;
        q->cap = cap;
    }
    size_t i = q->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!better(&p, &q->h[up])) break;
        q->h[i] = q->h[up];
        i = up;
    }
    q->h[i] = p;
    return 0;
}

static pair heap_pop(heap *q) {
    pair top = q->h[0], last = q->h[--q->n];
    size_t i = 0, n = q->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && better(&q->h[c + 1], &q->h[c])) c++;
        if (!better(&q->h[c], &last)) break;
        q->h[i] = q->h[c];
        i = c;
    }
    if (n) q->h[i] = last;
    return top;
}

typedef struct {
    const lmz_tokenizer *t;
    const uint8_t *src; /* segment start */
    symbol *sym;
    heap q;
} encoder;

/* Pushes the pair (l, r) if their concatenation is a piece. */
static inline int maybe_push(encoder *E, int32_t l, int32_t r) {
    if (l < 0 || r < 0) return 0;
    const symbol *a = &E->sym[l], *b = &E->sym[r];
    if (a->frozen || b->frozen) return 0;
    uint32_t len = a->len + b->len;
    if (len > E->t->max_len) return 0;
    int32_t id = lookup(E->t, E->src + a->start, len);
    if (id < 0) return 0;
    pair p = {E->t->score[id], id, l, r};
    return heap_push(&E->q, p);
}

/* BPE over one segment src[0..n) (cut from its neighbours where no merge can
 * cross, see the top of the file); appends the ids to out[*n_out...]. */
static int encode_segment(encoder *E, const uint8_t *src, size_t n, int32_t *out, size_t *n_out) {
    const lmz_tokenizer *t = E->t;
    symbol *sym = E->sym;
    int32_t ns = 0;
    E->src = src;
    E->q.n = 0;
    for (size_t i = 0; i < n;) {
        uint32_t l = lmz_utf8_len(src + i, n - i, 1);
        symbol *s = &sym[ns];
        s->start = (uint32_t)i;
        s->prev = ns - 1;
        s->next = ns + 1;
        s->frozen = 0;
        if (l == 0) {
            l = 1;
            s->frozen = 1; /* invalid UTF-8: a byte token on its own */
        } else if (l == 3 && src[i] == 0xE2 && src[i + 1] == 0x96 && src[i + 2] == 0x81) {
            s->frozen = 1; /* literal ▁ would decode as a space */
        }
        s->len = l;
        s->id = s->frozen ? -1 : lookup(t, src + i, l);
        i += l;
        ns++;
    }
    if (ns == 0) return 0;
    sym[ns - 1].next = -1;
    for (int32_t i = 1; i < ns; i++)
        if (maybe_push(E, i - 1, i)) return -1;

    while (E->q.n) {
        pair p = heap_pop(&E->q);
        symbol *a = &sym[p.left], *b = &sym[p.right];
        /* stale: one side was merged away or grew since the push */
        if (a->len == 0 || b->len == 0 || a->len + b->len != t->off[p.id + 1] - t->off[p.id]) continue;
        a->len += b->len;
        a->id = p.id;
        a->next = b->next;
        if (b->next >= 0) sym[b->next].prev = p.left;
        b->len = 0;
        if (maybe_push(E, a->prev, p.left) || maybe_push(E, p.left, a->next)) return -1;
    }

    size_t k = *n_out;
    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        const symbol *s = &sym[i];
        if (s->id >= 0) {
            out[k++] = s->id;
        } else {
            for (uint32_t j = 0; j < s->len; j++) out[k++] = t->byte_id[src[s->start + j]];
        }
    }
    *n_out = k;
    return 0;
}

int tok_encode(const lmz_tokenizer *t, const uint8_t *src, size_t n, int32_t **out, size_t *n_out) {
    /* every input byte gives at most one id. *out is overwritten, never read:
     * callers may pass an uninitialised pointer. */
    *n_out = 0;
    *out = NULL;
    if (t->bpe) return bpe_encode(t->bpe, src, n, out, n_out);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) return LMZ_IERR(LMZ_error_memory);
    encoder E = {t, src, NULL, {NULL, 0, 0}};
    size_t sym_cap = 0, k = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t j = i + 1;
        while (j < n && joinable(t, src[j - 1], src[j])) j++;
        if (j - i == 1) {
            /* a lone byte: its piece if it is one, else its byte token */
            int32_t id = src[i] < 0x80 ? lookup(t, src + i, 1) : -1;
            ids[k++] = id >= 0 ? id : t->byte_id[src[i]];
            i = j;
            continue;
        }
        if (j - i > sym_cap) {
            if (j - i > (size_t)INT32_MAX - 1) {
                rc = LMZ_IERR(LMZ_error_memory);
                break;
            }
            size_t cap = sym_cap ? sym_cap : 64;
            while (cap < j - i) cap *= 2;
            symbol *s = realloc(E.sym, cap * sizeof *s);
            if (!s) {
                rc = LMZ_IERR(LMZ_error_memory);
                break;
            }
            E.sym = s;
            sym_cap = cap;
        }
        if (encode_segment(&E, src + i, j - i, ids, &k)) rc = LMZ_IERR(LMZ_error_memory);
        i = j;
    }
    free(E.sym);
    free(E.q.h);
    if (rc) {
        free(ids);
        return rc;
    }
    *out = ids;
    *n_out = k;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */
/* ------------------------------------------------------------------------ */

const uint8_t *tok_bytes(const lmz_tokenizer *t, int32_t id, uint32_t *len) {
    if (t->bpe) return bpe_bytes(t->bpe, id, len);
    if (id < 0 || (uint32_t)id >= t->n_vocab) {
        *len = 0;
        return t->blob;
    }
    *len = t->off[id + 1] - t->off[id];
    return t->blob + t->off[id];
}

int64_t tok_decode(const lmz_tokenizer *t, const int32_t *ids, size_t n, uint8_t *dst, size_t cap) {
    if (t->bpe) return bpe_decode(t->bpe, ids, n, dst, cap);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= t->n_vocab) return LMZ_IERR(LMZ_error_corrupt);
        uint32_t o = t->off[ids[i]], l = t->off[ids[i] + 1] - o;
        if (l > cap - w) return LMZ_IERR(LMZ_error_dst_too_small);
        memcpy(dst + w, t->blob + o, l);
        w += l;
    }
    return (int64_t)w;
}
