/*
 * tests/unit/test_bpe.c — the byte-level BPE tokenizer (lib/model/bpe.c).
 *
 *   - testdata/tokenizer/qwen3-vocab.gguf loads (Qwen3's vocabulary);
 *   - every corpus text file and every adversarial input encodes to exactly
 *     the reference ids of testdata/tokenizer/ (written by tools/tokvec/gen.mjs
 *     with @lenml/tokenizers): qwen2 for the corpus and the adversarial set,
 *     llama-bpe, gpt-2 and smollm for the adversarial set (the same
 *     vocabulary, tokenizer.ggml.pre rewritten in memory);
 *   - decode(encode(x)) == x for those, random byte strings and invalid UTF-8
 *     (each invalid byte its own single-byte token);
 *   - control tokens' text is never encoded as the control token, user-defined
 *     tokens' text is;
 *   - refused pre-tokenizers and malformed vocabularies give clear errors, and
 *     randomly damaged ones are refused or still round-trip;
 *   - 100 KB pre-tokens (one letter, spaces, digits) encode quickly;
 *   - testdata/tokenizer/gpt2-vocab.gguf loads (GPT-2's own vocabulary), and
 *     every corpus text file and adversarial input encodes to exactly the ids
 *     of GPT-2's own tokenizer (gpt2-vocab/, u16 ids) and round-trips.
 * With LMZ_TOKVEC_EXTRA=DIR (node tools/tokvec/gen.mjs --llama3 DIR) it also
 * checks Llama 3's vocabulary (DIR/llama3-vocab.gguf, DIR/llama-bpe/); that
 * vocabulary is not in the repository (its licence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "fixtures/ggufw.h"
#include "model/bpe.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Id i of a vector of w-byte ids (w = 4: .ids files, w = 2: .ids16 files). */
static uint32_t rd_id(const uint8_t *p, int w, size_t i) {
    return w == 2 ? (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8 : rd32(p + 4 * i);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t rng_state = 20;
static uint32_t rnd(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* decode(encode(x)) == x; returns 1 if so. */
static int round_trip(const lmz_bpe *b, const uint8_t *x, size_t n) {
    int32_t *ids;
    size_t k;
    if (bpe_encode(b, x, n, &ids, &k)) return 0;
    uint8_t *d = malloc(n + 1);
    int64_t w = bpe_decode(b, ids, k, d, n);
    int ok = w == (int64_t)n && memcmp(d, x, n) == 0 && k <= n;
    free(d);
    free(ids);
    return ok;
}

/* Encodes x and compares with want[0..nw) (w-byte ids); prints the first
 * difference. */
static int same_ids(const lmz_bpe *b, const uint8_t *x, size_t n, const uint8_t *want, int w, uint32_t nw,
                    const char *what) {
    int32_t *ids;
    size_t k;
    if (bpe_encode(b, x, n, &ids, &k)) return 0;
    size_t i = 0;
    while (i < k && i < nw && (uint32_t)ids[i] == rd_id(want, w, i)) i++;
    int ok = k == nw && i == k;
    if (!ok)
        fprintf(stderr, "  %s: %zu ids, reference %u; first difference at %zu: %d vs %u\n", what, k, nw, i,
                i < k ? ids[i] : -1, i < nw ? rd_id(want, w, i) : 0u);
    free(ids);
    return ok;
}

/* g's metadata with key `key` given the string value v (NULL: dropped). */
static uint8_t *gguf_rekey(const gguf_file *g, const char *key, const char *v, size_t *size) {
    ggufw w = {0};
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const gguf_kv *kv = &g->kv[i];
        if (kv->key.len == strlen(key) && memcmp(kv->key.ptr, key, kv->key.len) == 0) {
            if (v) ggufw_kv_str(&w, key, v, strlen(v));
            continue;
        }
        ggufw_str(&w, kv->key.ptr, (size_t)kv->key.len);
        ggufw_u32(&w, kv->type);
        if (kv->type == GGUF_T_ARRAY) {
            ggufw_u32(&w, kv->arr_type);
            ggufw_u64(&w, kv->arr_len);
        }
        ggufw_put(&w, kv->val, (size_t)kv->val_size);
        w.n_kv++;
    }
    return ggufw_file(&w, size);
}

/* Opens buf as a GGUF and a BPE tokenizer; returns bpe_init's code. */
static int open_bpe(const uint8_t *buf, size_t n, lmz_bpe **b, lmz_msg *msg) {
    gguf_file g;
    int e = gguf_open_buffer(&g, buf, n, msg);
    if (e) return e;
    e = bpe_init(b, &g, msg);
    gguf_close(&g);
    return e;
}

/* ------------------------------------------------------------------------ */
/* Reference vectors                                                        */
/* ------------------------------------------------------------------------ */

/* adversarial.bin against DIR/PRE/adversarial.ids (w = 4) or .ids16 (w = 2,
 * records {u32 count, count x u16 id}); returns inputs matched. */
static int check_adversarial(const lmz_bpe *b, const char *dir, const char *pre, int w, int *n_cases) {
    char p1[1024], p2[1024];
    snprintf(p1, sizeof p1, "%s/tokenizer/adversarial.bin", LMZ_TESTDATA);
    snprintf(p2, sizeof p2, "%s/%s/adversarial.%s", dir, pre, w == 2 ? "ids16" : "ids");
    size_t n1 = 0, n2 = 0;
    uint8_t *in = check_read_file(p1, &n1), *ids = check_read_file(p2, &n2);
    CHECK(in && ids, "reading %s and %s", p1, p2);
    int matched = 0, cases = 0;
    size_t a = 0, c = 0;
    while (in && ids && a + 4 <= n1 && c + 4 <= n2) {
        uint32_t len = rd32(in + a), cnt = rd32(ids + c);
        if (len > n1 - a - 4 || cnt > (n2 - c - 4) / (size_t)w) break;
        char what[96];
        snprintf(what, sizeof what, "%s adversarial input %d", pre, cases);
        int ok = same_ids(b, in + a + 4, len, ids + c + 4, w, cnt, what);
        CHECK(ok, "%s: ids differ from the reference", what);
        CHECK(round_trip(b, in + a + 4, len), "%s: round trip", what);
        matched += ok;
        cases++;
        a += 4 + (size_t)len;
        c += 4 + (size_t)w * cnt;
    }
    CHECK(in && ids && a == n1 && c == n2, "%s: adversarial.bin and adversarial.ids do not pair up", pre);
    free(in);
    free(ids);
    *n_cases = cases;
    return matched;
}

/* Every text file of testdata/corpus/MANIFEST.tsv against DIR/PRE/<path>.ids
 * (w = 4) or .ids16 (w = 2); returns files matched. */
static int check_corpus(const lmz_bpe *b, const char *dir, const char *pre, int w, int *n_files, size_t *n_ids) {
    char path[1024];
    snprintf(path, sizeof path, "%s/corpus/MANIFEST.tsv", LMZ_TESTDATA);
    size_t n = 0;
    char *man = (char *)check_read_file(path, &n);
    CHECK(man != NULL, "reading %s", path);
    if (!man) return 0;
    int matched = 0, files = 0;
    char *save = NULL;
    for (char *line = strtok_r(man, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[256], kind[32];
        if (sscanf(line, "%255[^\t]\t%*s\t%*s\t%31[^\t]", name, kind) != 2 || strcmp(kind, "text") != 0) continue;
        char fp[1024], vp[1024], flat[256];
        snprintf(flat, sizeof flat, "%s", name);
        for (char *q = flat; *q; q++)
            if (*q == '/') *q = '_';
        snprintf(fp, sizeof fp, "%s/corpus/%s", LMZ_TESTDATA, name);
        snprintf(vp, sizeof vp, "%s/%s/%s.%s", dir, pre, flat, w == 2 ? "ids16" : "ids");
        size_t nf = 0, nv = 0;
        uint8_t *text = check_read_file(fp, &nf), *ids = check_read_file(vp, &nv);
        int whole = text && ids && nv >= 4 && rd32(ids) == (nv - 4) / (size_t)w && (nv - 4) % (size_t)w == 0;
        CHECK(whole, "reading %s and %s", fp, vp);
        if (whole) {
            char what[300];
            snprintf(what, sizeof what, "%s %s", pre, name);
            int ok = same_ids(b, text, nf, ids + 4, w, rd32(ids), what);
            CHECK(ok, "%s: ids differ from the reference", what);
            CHECK(round_trip(b, text, nf), "%s: round trip", what);
            matched += ok;
            *n_ids += rd32(ids);
        }
        files++;
        free(text);
        free(ids);
    }
    free(man);
    *n_files = files;
    return matched;
}

/* ------------------------------------------------------------------------ */
/* Round trips, special tokens, long pre-tokens                             */
/* ------------------------------------------------------------------------ */

static void check_invalid_utf8(const lmz_bpe *b) {
    static const struct {
        const char *name, *bytes;
    } cases[] = {
        {"overlong NUL", "\xC0\x80"},
        {"overlong slash", "a\xC0\xAF" "b"},
        {"overlong 3-byte", "\xE0\x80\x80"},
        {"overlong 4-byte", "\xF0\x80\x80\x80"},
        {"surrogate high", "x\xED\xA0\x80y"},
        {"surrogate low", "\xED\xBF\xBF"},
        {"lone continuation", "\x80"},
        {"continuation run", " \x80\xBF\x80 word"},
        {"truncated 2-byte", "caf\xC3"},
        {"truncated 3-byte", "\xE2\x82 euro"},
        {"truncated 4-byte", "\xF0\x9F\x98"},
        {"0xFF", "\xFF"},
        {"0xFE 0xFF", "\xFE\xFF text"},
        {"above U+10FFFF", "\xF4\x90\x80\x80"},
        {"F5 lead", "\xF5\x80\x80\x80"},
        {"Latin-1 word", "Gr\xFC\xDF" "e aus M\xFCnchen"},
        {"invalid in a letter run", "abc\xFF" "def"},
        {"invalid next to a user-defined token", "\xE2<think>\x82"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *x = (const uint8_t *)cases[i].bytes;
        size_t n = strlen(cases[i].bytes);
        CHECK(round_trip(b, x, n), "invalid UTF-8 '%s': round trip", cases[i].name);
    }
    /* each invalid byte is its own single-byte token, and cuts the text:
     * "abc\xFF" "def" = enc("abc") + [byte 0xFF] + enc("def") */
    int32_t *a, *c, *abc, *def;
    size_t na, nc, nabc, ndef;
    const uint8_t all_bad[] = {0xC0, 0x80, 0xED, 0xA0, 0x80, 0xFF, 0xFE, 0xF8, 0xBF};
    if (!bpe_encode(b, all_bad, sizeof all_bad, &a, &na)) {
        int ok = na == sizeof all_bad;
        for (size_t i = 0; ok && i < na; i++) {
            uint32_t l;
            const uint8_t *p = bpe_bytes(b, a[i], &l);
            ok = l == 1 && p[0] == all_bad[i];
        }
        CHECK(ok, "invalid bytes: one single-byte token each (%zu ids for %zu bytes)", na, sizeof all_bad);
        free(a);
    }
    if (!bpe_encode(b, (const uint8_t *)"abc\xFF" "def", 7, &c, &nc) &&
        !bpe_encode(b, (const uint8_t *)"abc", 3, &abc, &nabc) && !bpe_encode(b, (const uint8_t *)"def", 3, &def, &ndef)) {
        uint32_t l;
        int ok = nc == nabc + 1 + ndef && !memcmp(c, abc, nabc * 4) && !memcmp(c + nabc + 1, def, ndef * 4);
        const uint8_t *p = ok ? bpe_bytes(b, c[nabc], &l) : NULL;
        CHECK(ok && l == 1 && p[0] == 0xFF, "an invalid byte cuts the text: abc\\xFFdef");
        free(c);
        free(abc);
        free(def);
    }
}

static void check_random(const lmz_bpe *b) {
    /* byte strings of three kinds: uniform bytes, ASCII with some high bytes,
     * UTF-8 pieces cut anywhere */
    static const char *pieces[] = {"the", " ", "\n", "'s", "é", "中", "😀", "\xE2\x80", "\x99", "12", "\r\n",
                                   "<think>", "<|im_end|>", "\t", "\xC2\xA0", "ab", "\xF0\x9F"};
    uint8_t buf[4096];
    int bad = 0;
    for (int t = 0; t < 600; t++) {
        size_t n = rnd() % sizeof buf, kind = (size_t)t % 3, k = 0;
        while (k < n) {
            if (kind == 0) buf[k++] = (uint8_t)rnd();
            else if (kind == 1) buf[k++] = (uint8_t)(rnd() % 16 ? 32 + rnd() % 95 : 128 + rnd() % 128);
            else {
                const char *s = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
                for (size_t j = 0; s[j] && k < n; j++) buf[k++] = (uint8_t)s[j];
            }
        }
        if (!round_trip(b, buf, n)) bad++;
    }
    CHECK(bad == 0, "random byte strings: %d of 600 do not round-trip", bad);
}

static int contains(const int32_t *ids, size_t n, int32_t id) {
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

static void check_special(const lmz_bpe *b) {
    /* Qwen3: 151643 <|endoftext|>, 151644 <|im_start|>, 151645 <|im_end|>,
     * 151659 <|fim_prefix|> (control); 151667 <think> (user-defined) */
    static const struct {
        const char *text;
        int32_t id;
        int want;
    } cases[] = {
        {"<|endoftext|>", 151643, 0},       {"a<|im_start|>user", 151644, 0},
        {"<|im_end|>\n", 151645, 0},         {"x<|fim_prefix|>y", 151659, 0},
        {"<think>why</think>", 151667, 1},   {"so <think>", 151667, 1},
        {"<think", 151667, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t *ids;
        size_t n, len = strlen(cases[i].text);
        if (bpe_encode(b, (const uint8_t *)cases[i].text, len, &ids, &n)) continue;
        CHECK(contains(ids, n, cases[i].id) == cases[i].want, "'%s': token %d %s", cases[i].text, cases[i].id,
              cases[i].want ? "expected (user-defined)" : "must not be produced from text (control)");
        for (size_t j = 0; j < n; j++)
            CHECK(ids[j] < 151643 || ids[j] == 151667 || ids[j] == 151668, "'%s': control or unused id %d produced",
                  cases[i].text, ids[j]);
        free(ids);
        CHECK(round_trip(b, (const uint8_t *)cases[i].text, len), "'%s': round trip", cases[i].text);
    }
}

static void check_long(const lmz_bpe *b) {
    /* 100 KB of one letter, of spaces, of newlines: one pre-token each (the
     * heap keeps BPE O(n log n)); of one digit: 100,000 pre-tokens */
    size_t n = 100000;
    uint8_t *x = malloc(n);
    const char fill[] = {'a', ' ', '7', '\n'};
    for (size_t f = 0; f < sizeof fill; f++) {
        memset(x, fill[f], n);
        double t0 = now();
        int ok = round_trip(b, x, n);
        double dt = now() - t0;
        CHECK(ok, "100 KB of '%c': round trip", fill[f] == '\n' ? 'N' : fill[f]);
        CHECK(dt < 5.0, "100 KB of '%c': %.2f s", fill[f] == '\n' ? 'N' : fill[f], dt);
        printf("100 KB of %s: encoded and decoded in %.3f s\n", fill[f] == 'a' ? "'a'" : fill[f] == ' ' ? "spaces" :
               fill[f] == '7' ? "'7'" : "newlines", dt);
    }
    free(x);
}

/* ------------------------------------------------------------------------ */
/* Malformed vocabularies                                                   */
/* ------------------------------------------------------------------------ */

/* GPT-2's byte -> character map, written out independently of bpe.c:
 * printable bytes stand for themselves, the rest for 256 + their rank. */
static void byte_utf8(int byte, char out[4]) {
    int n = 0, c = -1;
    for (int x = 0; x < 256; x++) {
        int printable = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE);
        int ch = printable ? x : 256 + n++;
        if (x == byte) c = ch;
    }
    if (c < 0x80) out[0] = (char)c, out[1] = 0;
    else out[0] = (char)(0xC0 | (c >> 6)), out[1] = (char)(0x80 | (c & 0x3F)), out[2] = 0;
}

/* A small vocabulary: the 256 byte tokens (ids = bytes), then 256 "ab",
 * 257 "abc", 258 "Ġthe", 259 "12", 260 "123", 261 "xyz"; merges "a b",
 * "ab c", "1 2", "12 3" ("xyz" is reachable by no merge); then the defect
 * chosen by `bug`. */
enum {
    BUG_NONE, BUG_NO_MERGES, BUG_MERGE_UNKNOWN, BUG_MERGE_RESULT, BUG_MERGE_FORM, BUG_MERGE_DUP, BUG_TOKENS_I32,
    BUG_TYPES_STR, BUG_MERGES_I32, BUG_TYPES_LEN, BUG_TYPE_BYTE, BUG_NO_BYTE, BUG_ALPHABET, BUG_DUP_TOKEN,
    BUG_PRE_DEFAULT, BUG_PRE_DEEPSEEK3, BUG_NO_PRE, BUG_MODEL_LLAMA, BUG_BOS_RANGE, BUG_BOS_MISSING, BUG_COUNT
};
static const struct {
    int code;
    const char *msg;
} BUG_WANT[BUG_COUNT] = {
    [BUG_NO_MERGES] = {LMZ_error_model_invalid, "tokenizer.ggml.merges missing"},
    [BUG_MERGE_UNKNOWN] = {LMZ_error_model_invalid, "names a token that is not"},
    [BUG_MERGE_RESULT] = {LMZ_error_model_invalid, "merged token is not in the vocabulary"},
    [BUG_MERGE_FORM] = {LMZ_error_model_invalid, "not two tokens separated by one space"},
    [BUG_MERGE_DUP] = {LMZ_error_model_invalid, "repeats merge 0"},
    [BUG_TOKENS_I32] = {LMZ_error_model_invalid, "tokenizer.ggml.tokens missing or not an array of strings"},
    [BUG_TYPES_STR] = {LMZ_error_model_invalid, "token_type is not an array of i32"},
    [BUG_MERGES_I32] = {LMZ_error_model_invalid, "merges missing or not an array of strings"},
    [BUG_TYPES_LEN] = {LMZ_error_model_invalid, "token types"},
    [BUG_TYPE_BYTE] = {LMZ_error_model_invalid, "has type 6"},
    [BUG_NO_BYTE] = {LMZ_error_unsupported, "byte 0xFF"},
    [BUG_ALPHABET] = {LMZ_error_model_invalid, "not in the byte-level alphabet"},
    [BUG_DUP_TOKEN] = {LMZ_error_model_invalid, "duplicates token"},
    [BUG_PRE_DEFAULT] = {LMZ_error_unsupported, "pre-tokenizer 'default'"},
    [BUG_PRE_DEEPSEEK3] = {LMZ_error_unsupported, "pre-tokenizer 'deepseek-v3'"},
    [BUG_NO_PRE] = {LMZ_error_model_invalid, "tokenizer.ggml.pre missing"},
    [BUG_MODEL_LLAMA] = {LMZ_error_unsupported, "is not 'gpt2'"},
    [BUG_BOS_RANGE] = {LMZ_error_model_invalid, "bos_token_id is not a token id"},
    [BUG_BOS_MISSING] = {LMZ_error_model_invalid, "names no tokenizer.ggml.bos_token_id"},
};

static uint8_t *small_vocab(int bug, size_t *size) {
    enum { NT = 256 + 6 };
    char store[NT][16];
    char *tok[NT];
    int32_t type[NT];
    for (int i = 0; i < 256; i++) byte_utf8(i, store[i]);
    strcpy(store[256], "ab");
    strcpy(store[257], "abc");
    strcpy(store[258], "\xC4\xA0the"); /* Ġthe */
    strcpy(store[259], "12");
    strcpy(store[260], "123");
    strcpy(store[261], "xyz");
    for (int i = 0; i < NT; i++) tok[i] = store[i], type[i] = 1;
    if (bug == BUG_NO_BYTE) strcpy(store[255], "zz");          /* byte 0xFF (ÿ) gone */
    if (bug == BUG_ALPHABET) strcpy(store[258], "\xE2\x82\xAC"); /* € is not a byte character */
    if (bug == BUG_DUP_TOKEN) strcpy(store[258], "ab");
    if (bug == BUG_TYPE_BYTE) type[258] = 6;
    char *merges[] = {"a b", "ab c", "1 2", "12 3"};
    if (bug == BUG_MERGE_UNKNOWN) merges[1] = "ab zz";
    if (bug == BUG_MERGE_RESULT) merges[1] = "b c";
    if (bug == BUG_MERGE_FORM) merges[1] = "abc";
    if (bug == BUG_MERGE_DUP) merges[1] = "a b";
    ggufw w = {0};
    const char *model = bug == BUG_MODEL_LLAMA ? "llama" : "gpt2";
    const char *pre = bug == BUG_PRE_DEFAULT ? "default" : bug == BUG_PRE_DEEPSEEK3 ? "deepseek-v3" : "qwen2";
    ggufw_kv_str(&w, "general.name", "test vocabulary", strlen("test vocabulary"));
    ggufw_kv_str(&w, "tokenizer.ggml.model", model, strlen(model));
    if (bug != BUG_NO_PRE) ggufw_kv_str(&w, "tokenizer.ggml.pre", pre, strlen(pre));
    if (bug == BUG_TOKENS_I32) ggufw_kv_i32s(&w, "tokenizer.ggml.tokens", type, NT);
    else ggufw_kv_strs(&w, "tokenizer.ggml.tokens", tok, NT);
    if (bug == BUG_TYPES_STR) ggufw_kv_strs(&w, "tokenizer.ggml.token_type", tok, NT);
    else ggufw_kv_i32s(&w, "tokenizer.ggml.token_type", type, bug == BUG_TYPES_LEN ? NT - 1 : NT);
    if (bug == BUG_MERGES_I32) ggufw_kv_i32s(&w, "tokenizer.ggml.merges", type, 2);
    else if (bug != BUG_NO_MERGES) ggufw_kv_strs(&w, "tokenizer.ggml.merges", merges, 4);
    if (bug != BUG_BOS_MISSING) ggufw_kv_u32(&w, "tokenizer.ggml.bos_token_id", GGUF_T_U32, bug == BUG_BOS_RANGE ? NT : 0);
    ggufw_kv_bool(&w, "tokenizer.ggml.add_bos_token", bug == BUG_BOS_MISSING);
    return ggufw_file(&w, size);
}

static void check_malformed(void) {
    size_t n;
    lmz_msg msg;
    lmz_bpe *b = NULL;
    uint8_t *f = small_vocab(BUG_NONE, &n);
    int e = open_bpe(f, n, &b, &msg);
    CHECK(e == 0, "small vocabulary: %s", e ? msg.text : "");
    if (!e) {
        int32_t *ids;
        size_t k;
        /* "abc" merges to 257, "abd" to 256 + 'd', "ab c" is two pre-tokens */
        CHECK(!bpe_encode(b, (const uint8_t *)"abc", 3, &ids, &k) && k == 1 && ids[0] == 257, "small: abc");
        free(ids);
        CHECK(!bpe_encode(b, (const uint8_t *)"abd", 3, &ids, &k) && k == 2 && ids[0] == 256 && ids[1] == 'd',
              "small: abd");
        free(ids);
        CHECK(!bpe_encode(b, (const uint8_t *)"ab c", 4, &ids, &k) && k == 3 && ids[0] == 256, "small: ab c");
        free(ids);
        CHECK(bpe_add_bos(b) == 0 && bpe_bos(b) == 0 && !strcmp(bpe_pre_name(b), "qwen2"), "small: BOS, pre");
        /* qwen2: digits one by one, "xyz" stays letters; llama-bpe: digits in
         * threes, and a pre-token that is a token is taken whole */
        static const int32_t q[] = {'1', '2', '3', '4', '5', '\n', 'x', 'y', 'z'}, l[] = {260, '4', '5', '\n', 261};
        CHECK(!bpe_encode(b, (const uint8_t *)"12345\nxyz", 9, &ids, &k) && k == 9 && !memcmp(ids, q, sizeof q),
              "small qwen2: 12345\\nxyz");
        free(ids);
        bpe_free(b);
        gguf_file g;
        size_t n2;
        if (!gguf_open_buffer(&g, f, n, &msg)) {
            uint8_t *f2 = gguf_rekey(&g, "tokenizer.ggml.pre", "llama-bpe", &n2);
            b = NULL;
            CHECK(!open_bpe(f2, n2, &b, &msg), "small llama-bpe: %s", msg.text);
            if (b) {
                CHECK(!bpe_encode(b, (const uint8_t *)"12345\nxyz", 9, &ids, &k) && k == 5 && !memcmp(ids, l, sizeof l),
                      "small llama-bpe: 12345\\nxyz");
                free(ids);
                CHECK(bpe_add_bos(b) == 0, "small llama-bpe: add_bos_token false wins over the default");
            }
            bpe_free(b);
            free(f2);
            gguf_close(&g);
        }
    }
    free(f);
    for (int bug = 1; bug < BUG_COUNT; bug++) {
        f = small_vocab(bug, &n);
        b = NULL;
        msg.text[0] = 0;
        e = open_bpe(f, n, &b, &msg);
        CHECK(e == -BUG_WANT[bug].code && b == NULL && strstr(msg.text, BUG_WANT[bug].msg),
              "malformed vocabulary %d: got %d '%s', want %d '%s'", bug, e, msg.text, -BUG_WANT[bug].code,
              BUG_WANT[bug].msg);
        if (bug == BUG_PRE_DEFAULT || bug == BUG_MERGE_UNKNOWN || bug == BUG_NO_BYTE)
            printf("  e.g. %s\n", msg.text);
        bpe_free(b);
        free(f);
    }
}

/* Random byte changes to the small vocabulary's file: bpe_init either
 * refuses it or gives a tokenizer that still round-trips (under ASan in the
 * asan run: no read outside the buffer either way). */
static void check_mutations(void) {
    size_t n;
    uint8_t *f = small_vocab(BUG_NONE, &n), *m = malloc(n);
    static const uint8_t text[] = "abc 12345 xyz, the\n\xFF\xC3\xA9 <think> d'oh\r\n";
    int loaded = 0, bad = 0;
    for (int t = 0; t < 3000; t++) {
        memcpy(m, f, n);
        for (int k = 1 + (int)(rnd() % 3); k > 0; k--) {
            size_t at = rnd() % n;
            m[at] = (uint8_t)(t % 2 ? rnd() : m[at] ^ (1u << (rnd() % 8)));
        }
        lmz_bpe *b = NULL;
        lmz_msg msg;
        msg.text[0] = 0;
        if (open_bpe(m, n, &b, &msg) == 0) {
            loaded++;
            if (!round_trip(b, text, sizeof text - 1)) bad++;
            bpe_free(b);
        } else if (!msg.text[0]) {
            bad++; /* an error must say what */
        }
    }
    printf("mutated vocabularies: %d of 3000 still load\n", loaded);
    CHECK(bad == 0, "mutated vocabularies: %d loaded but do not round-trip, or failed without a message", bad);
    free(m);
    free(f);
}

/* ------------------------------------------------------------------------ */

static lmz_bpe *load_file(const char *path, lmz_mmap *m, gguf_file *g) {
    lmz_msg msg;
    lmz_bpe *b = NULL;
    if (lmz_mmap_open(m, path, &msg)) {
        CHECK(0, "%s", msg.text);
        return NULL;
    }
    int e = gguf_open_buffer(g, m->addr, m->size, &msg);
    if (!e) e = bpe_init(&b, g, &msg);
    CHECK(e == 0, "%s: %s", path, e ? msg.text : "");
    return b;
}

/* GPT-2's own vocabulary and tokenizer: testdata/tokenizer/gpt2-vocab.gguf
 * against the ids of gpt2-vocab/ (GPT-2's tokenizer, pre-tokenizer gpt-2). */
static void check_gpt2(const char *dir) {
    char path[1100];
    snprintf(path, sizeof path, "%s/gpt2-vocab.gguf", dir);
    lmz_mmap m;
    gguf_file g;
    double t0 = now();
    lmz_bpe *b = load_file(path, &m, &g);
    if (!b) return;
    printf("gpt2-vocab.gguf: %u tokens, loaded in %.3f s\n", bpe_vocab_size(b), now() - t0);
    CHECK(bpe_vocab_size(b) == 50257 && bpe_bos(b) == 50256 && bpe_add_bos(b) == 0 && !strcmp(bpe_pre_name(b), "gpt-2"),
          "GPT-2 vocabulary: size %u, BOS %d, add_bos %d, pre %s", bpe_vocab_size(b), bpe_bos(b), bpe_add_bos(b),
          bpe_pre_name(b));
    int files = 0, cases = 0;
    size_t ids = 0;
    t0 = now();
    int ok = check_corpus(b, dir, "gpt2-vocab", 2, &files, &ids);
    printf("gpt-2 (GPT-2 vocabulary): %d of %d corpus text files match the reference (%zu ids, %.2f s)\n", ok, files,
           ids, now() - t0);
    CHECK(files == 22, "22 corpus text files, found %d", files);
    ok = check_adversarial(b, dir, "gpt2-vocab", 2, &cases);
    printf("gpt-2 (GPT-2 vocabulary): %d of %d adversarial inputs match\n", ok, cases);
    CHECK(cases == 39, "39 adversarial inputs, found %d", cases);
    /* <|endoftext|> (50256, control) is never produced from text */
    static const char eot[] = "<|endoftext|> a<|endoftext|>b";
    int32_t *v;
    size_t k;
    if (!bpe_encode(b, (const uint8_t *)eot, sizeof eot - 1, &v, &k)) {
        CHECK(!contains(v, k, 50256), "GPT-2: <|endoftext|> produced from text");
        free(v);
    }
    check_invalid_utf8(b);
    check_random(b);
    bpe_free(b);
    gguf_close(&g);
    lmz_mmap_close(&m);
}

/* The same vocabulary with tokenizer.ggml.pre = pre. */
static lmz_bpe *with_pre(const gguf_file *g, const char *pre) {
    size_t n;
    lmz_msg msg;
    lmz_bpe *b = NULL;
    uint8_t *f = gguf_rekey(g, "tokenizer.ggml.pre", pre, &n);
    int e = open_bpe(f, n, &b, &msg);
    CHECK(e == 0, "pre %s: %s", pre, e ? msg.text : "");
    free(f);
    return b;
}

int main(void) {
    char path[1024], dir[1024];
    snprintf(path, sizeof path, "%s/tokenizer/qwen3-vocab.gguf", LMZ_TESTDATA);
    snprintf(dir, sizeof dir, "%s/tokenizer", LMZ_TESTDATA);
    lmz_mmap m;
    gguf_file g;
    double t0 = now();
    lmz_bpe *b = load_file(path, &m, &g);
    if (!b) return check_done("test_bpe");
    printf("qwen3-vocab.gguf: %u tokens, loaded in %.3f s\n", bpe_vocab_size(b), now() - t0);
    CHECK(bpe_vocab_size(b) == 151936 && bpe_bos(b) == 151643 && bpe_add_bos(b) == 0 &&
              !strcmp(bpe_pre_name(b), "qwen2"),
          "Qwen3 vocabulary: size %u, BOS %d, add_bos %d, pre %s", bpe_vocab_size(b), bpe_bos(b), bpe_add_bos(b),
          bpe_pre_name(b));

    int files = 0, cases = 0;
    size_t ids = 0;
    t0 = now();
    int ok = check_corpus(b, dir, "qwen2", 4, &files, &ids);
    printf("qwen2: %d of %d corpus text files match the reference (%zu ids, %.2f s)\n", ok, files, ids, now() - t0);
    CHECK(files == 22, "22 corpus text files, found %d", files);
    ok = check_adversarial(b, dir, "qwen2", 4, &cases);
    printf("qwen2: %d of %d adversarial inputs match\n", ok, cases);
    static const char *other[] = {"llama-bpe", "gpt-2", "smollm"};
    for (int i = 0; i < 3; i++) {
        lmz_bpe *o = with_pre(&g, other[i]);
        if (!o) continue;
        ok = check_adversarial(o, dir, other[i], 4, &cases);
        printf("%s (Qwen3 vocabulary): %d of %d adversarial inputs match\n", other[i], ok, cases);
        bpe_free(o);
    }
    /* aliases load as their targets; refused values name themselves */
    static const struct {
        const char *alias, *as;
    } aliases[] = {{"llama3", "llama-bpe"}, {"llama-v3", "llama-bpe"}, {"deepseek-r1-qwen", "qwen2"}};
    for (int i = 0; i < 3; i++) {
        lmz_bpe *o = with_pre(&g, aliases[i].alias);
        CHECK(o && !strcmp(bpe_pre_name(o), aliases[i].as), "pre %s loads as %s", aliases[i].alias, aliases[i].as);
        if (o && i == 0) CHECK(bpe_add_bos(o) == 0, "add_bos_token false wins over llama-bpe's default");
        bpe_free(o);
    }

    check_invalid_utf8(b);
    check_random(b);
    check_special(b);
    check_long(b);
    check_malformed();
    check_mutations();
    bpe_free(b);
    gguf_close(&g);
    lmz_mmap_close(&m);

    check_gpt2(dir);

    const char *extra = getenv("LMZ_TOKVEC_EXTRA");
    if (extra && *extra) {
        snprintf(path, sizeof path, "%s/llama3-vocab.gguf", extra);
        b = load_file(path, &m, &g);
        if (b) {
            CHECK(bpe_add_bos(b) == 1 && bpe_bos(b) == 128000, "Llama 3: BOS");
            ok = check_corpus(b, extra, "llama-bpe", 4, &files, &ids);
            printf("llama-bpe (Llama 3 vocabulary): %d of %d corpus text files match\n", ok, files);
            ok = check_adversarial(b, extra, "llama-bpe", 4, &cases);
            printf("llama-bpe (Llama 3 vocabulary): %d of %d adversarial inputs match\n", ok, cases);
            bpe_free(b);
            gguf_close(&g);
            lmz_mmap_close(&m);
        }
    } else {
        printf("Llama 3 vocabulary: skipped (LMZ_TOKVEC_EXTRA not set)\n");
    }
    return check_done("test_bpe");
}
