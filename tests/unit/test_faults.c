/*
 * tests/unit/test_faults.c — fault tables: damaged frames and damaged model
 * files, end to end through the public API (lmz_decompress / lmz_dstream,
 * lmz_model_load_buffer), with tiny generated models.
 *
 * Frames (doc/format.md):
 *   - "big": ~10 KB of text, 4 KiB chunks -> 3 `lm` chunks;
 *   - "mixed": one frame assembled here with every plain method: lm, stored,
 *     zstd, xz, lm (small, so that every bit flip can be decoded);
 *   - "seg": a tar-like archive -> one `seg` chunk (§3.1), "mail": a mail
 *     with a base64 text attachment -> one `seg` chunk with a base64 run,
 *     "utf16": UTF-16LE text with a BOM -> one `utf16` chunk (§3.2): the
 *     compressor's choices, checked;
 *   - "ext": assembled here: seg, lm, utf16 and seg / utf16 chunks whose
 *     parts the model codes (several layouts in one frame, model parts).
 *   For each: truncation at every byte (must be rejected), single-bit flips
 *   (every bit of "mixed", "seg", "mail", "utf16"; every header bit and a
 *   sample of payload bits of "big" and "ext": rejected, or decoded to the
 *   exact original — never wrong output), and every header field set to
 *   absurd or inconsistent values with the header checksum recomputed (so
 *   that the field checks themselves run): each case must fail with the
 *   expected error, and the message must name the problem.
 * seg/utf16 layouts: the payloads of those chunks damaged field by field
 *   (run counts, run table entries, base64 entries, text_coded, the parts'
 *   methods and sizes, byte order, utf8_size, UTF-8 that is not strict),
 *   with the frame re-sealed where sizes change; other valid layouts of the
 *   same bytes (stored parts, other run tables, empty parts) must decode
 *   exactly.
 * Resource limits: frames whose header claims terabytes (a decompression
 *   bomb) are refused under the default and an explicit memory_limit, before
 *   anything of that size is allocated (peak RSS checked), and quickly.
 * GGUF: truncation at every byte, bit flips over the metadata and tensor
 *   infos (every bit of the fixed header and tensor infos, a sample
 *   elsewhere), and targeted edits of counts, offsets, types, shapes,
 *   hyper-parameters and the vocabulary. A model that loads must work (round
 *   trip).
 *
 * Output: one "CASE |" line per targeted case and one "SUMMARY |" line per
 * category (tests/fuzz/robustness_report.sh turns them into
 * doc/robustness.md). A crash would end the run: reaching the end means
 * 0 crashes.
 *
 * LMZ_FAULTS_QUICK=1 in the environment samples the bit flips more sparsely
 * (for slow sanitizer builds); the default runs the full tables.
 */
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zstd.h>

#include "check.h"
#include "common/common.h"
#include "codec/codec.h" /* lzma2_dict_size */
#include "format/frame.h"
#include "lmz.h"
#include "lmz_frame_info.h"
#include "fixtures/tinymodel.h"

/* ======================================================================== */
/* Tallies and reporting                                                     */
/* ======================================================================== */

typedef struct {
    const char *name;
    long cases, rejected, exact, wrong, unexpected;
    long by_code[LMZ_error_maxCode + 1];
    int n_examples;
    char examples[3][200]; /* the first failures of bulk cases */
} tally;

enum { T_TRUNC, T_FLIP, T_FIELDS, T_LAYOUT, T_LIMITS, T_GTRUNC, T_GFLIP, T_GFIELDS, T_COUNT };
static tally g_t[T_COUNT] = {
    {.name = "frame truncations"}, {.name = "frame bit flips"},  {.name = "frame fields (re-sealed)"},
    {.name = "seg/utf16 layouts"}, {.name = "resource limits"},  {.name = "gguf truncations"},
    {.name = "gguf bit flips"},    {.name = "gguf fields"},
};

/* Records a failed case: targeted cases are checked one by one, bulk cases
 * (truncations, flips) keep their first examples and are checked in total by
 * summary(). */
static void failed(tally *t, int bulk, const char *fmt, ...) {
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!bulk) {
        CHECK(0, "%s: %s", t->name, buf);
        return;
    }
    if (t->n_examples < 3) snprintf(t->examples[t->n_examples++], sizeof t->examples[0], "%s", buf);
}
static int g_quick;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

static void summary(int cat, const char *note) {
    tally *t = &g_t[cat];
    for (int i = 0; i < t->n_examples; i++) fprintf(stderr, "FAIL %s, e.g.: %s\n", t->name, t->examples[i]);
    CHECK(t->wrong == 0 && t->unexpected == 0, "%s: %ld wrong output, %ld unexpected results", t->name, t->wrong,
          t->unexpected);
    char codes[512] = "";
    size_t w = 0;
    for (int c = 1; c < LMZ_error_maxCode; c++)
        if (t->by_code[c] && w < sizeof codes - 80)
            w += (size_t)snprintf(codes + w, sizeof codes - w, "%s%s %ld", w ? ", " : "",
                                  lmz_error_name(LMZ_ERR(c)), t->by_code[c]);
    printf("SUMMARY | %s | %ld cases | %ld rejected | %ld exact | %ld wrong output | %ld unexpected | %s | %s\n",
           t->name, t->cases, t->rejected, t->exact, t->wrong, t->unexpected, codes[0] ? codes : "-",
           note ? note : "");
    printf("%s: %ld cases: %s, 0 crashes\n", t->name, t->cases,
           t->wrong == 0 && t->unexpected == 0 ? (t->exact ? "all rejected or exact" : "all rejected")
                                               : "FAILURES");
}

/* ======================================================================== */
/* Models                                                                    */
/* ======================================================================== */

/* Small and fast, with a 64-token context so that chunks slide their window. */
static tinymodel_opts small_opts(void) {
    tinymodel_opts o = tinymodel_defaults();
    o.n_embd = 32;
    o.n_head = 1;
    o.n_head_kv = 1;
    o.n_ff = 32;
    o.n_ctx = 64;
    return o;
}

static lmz_model *g_model, *g_other;
static uint8_t *g_gguf, *g_gguf_other;
static size_t g_gguf_n, g_gguf_other_n;

static lmz_model *load_tiny(uint32_t seed, uint8_t **buf, size_t *n) {
    tinymodel_opts o = small_opts();
    size_t err;
    char msg[256];
    if (tinymodel_build(seed, &o, buf, n)) return NULL;
    lmz_model *m = lmz_model_load_buffer(*buf, *n, &err, msg, sizeof msg);
    if (!m) fprintf(stderr, "tiny model: %s\n", msg);
    return m;
}

/* ======================================================================== */
/* Decoding with the message                                                 */
/* ======================================================================== */

/* Like lmz_decompress, through lmz_dstream so that the message is known.
 * The input is copied to an exact-size block: ASan catches any overread. */
static size_t decode(const lmz_model *m, const uint8_t *src, size_t n, const lmz_params *p, uint8_t *dst, size_t cap,
                     char *msg, size_t msg_cap) {
    uint8_t *c = malloc(n ? n : 1);
    if (n) memcpy(c, src, n);
    lmz_dstream *s = lmz_dstream_create(m, p);
    lmz_in_buffer in = {c, n, 0};
    lmz_out_buffer out = {dst, cap, 0};
    size_t r;
    for (;;) {
        r = lmz_decompress_stream(s, &out, &in);
        if (lmz_is_error(r)) break;
        if (r == 0 && in.pos == in.size) break;
        if (out.pos == out.size) {
            r = LMZ_ERR(LMZ_error_dst_too_small);
            break;
        }
        if (in.pos == in.size) {
            r = LMZ_ERR(LMZ_error_src_size);
            break;
        }
    }
    if (msg) {
        const char *t = lmz_get_error_code(r) == LMZ_error_src_size ? "input ends inside a frame (truncated)"
                                                                     : lmz_dstream_message(s);
        snprintf(msg, msg_cap, "%s", lmz_is_error(r) ? t : "");
    }
    lmz_dstream_free(s);
    free(c);
    return lmz_is_error(r) ? r : out.pos;
}

/* ======================================================================== */
/* Frames                                                                    */
/* ======================================================================== */

typedef struct {
    const char *name;
    uint8_t *b;
    size_t n;
    uint8_t *orig; /* the content */
    size_t orig_n;
} frame;

static frame g_big, g_mixed, g_seg, g_mail, g_utf16, g_ext;

/* offsets of the fields after the model name (doc/format.md §2) */
enum { F_WINDOW = 0, F_OVERLAP = 2, F_CHUNK = 4, F_ORIG = 8, F_CSUM = 16, F_NCH = 24, F_TABLE = 28 };
enum { E_RAW = 0, E_CODED = 4, E_METHOD = 8, E_CHECK = 9 };
static size_t fbase(const uint8_t *b) { return 43 + (size_t)b[42]; }
static size_t fentry(const uint8_t *b, unsigned i) { return fbase(b) + F_TABLE + 13 * (size_t)i; }
static uint32_t fnch(const uint8_t *b) { return lmz_rd32(b + fbase(b) + F_NCH); }
static size_t fextra(const uint8_t *b) { return fentry(b, fnch(b)); } /* offset of extra_size */
static void reseal(uint8_t *b, size_t n) {
    uint32_t hs = lmz_rd32(b + 6);
    if (hs >= 8 && hs <= n) lmz_wr32(b + hs - 4, (uint32_t)lmz_xxh64(b, hs - 4));
}
static void setv(uint8_t *b, size_t off, int width, uint64_t v) {
    for (int k = 0; k < width; k++) b[off + (size_t)k] = (uint8_t)(v >> (8 * k));
}

static uint8_t *g_dst;
#define DST_CAP (1u << 20)

/* ---- expectations -------------------------------------------------------- */

enum { X_ERR, X_EXACT, X_SAFE }; /* error with code; exact original; either */

/* Runs one decoding and tallies it. Returns the result code. */
static size_t judge(int cat, const frame *f, const uint8_t *b, size_t n, const lmz_params *p, int kind,
                    lmz_error_code want, const char *needle, const char *what, int print) {
    char msg[LMZ_MSG_MAX];
    tally *t = &g_t[cat];
    size_t r = decode(g_model, b, n, p, g_dst, DST_CAP, msg, sizeof msg);
    t->cases++;
    int exact = !lmz_is_error(r) && r == f->orig_n && memcmp(g_dst, f->orig, r) == 0;
    int ok;
    if (lmz_is_error(r)) {
        t->rejected++;
        t->by_code[lmz_get_error_code(r)]++;
    } else if (exact) {
        t->exact++;
    } else {
        t->wrong++;
    }
    if (kind == X_ERR)
        ok = lmz_get_error_code(r) == want && (!needle || strstr(msg, needle) != NULL);
    else if (kind == X_EXACT)
        ok = exact;
    else
        ok = lmz_is_error(r) || exact;
    if (!ok) {
        t->unexpected++;
        failed(t, !print, "%s / %s: got '%s' (%s), expected %s%s%s", f->name, what,
               lmz_is_error(r) ? lmz_error_name(r) : exact ? "the exact original" : "WRONG BYTES", msg,
               kind == X_ERR ? lmz_error_name(LMZ_ERR(want)) : kind == X_EXACT ? "the exact original"
                                                                               : "rejected or exact",
               needle ? " naming " : "", needle ? needle : "");
    } else if (print) {
        check_pass_++;
    }
    if (print) {
        const char *res = lmz_is_error(r) ? lmz_error_name(r) : exact ? "decoded exactly" : "WRONG OUTPUT";
        printf("CASE | %s | %s: %s | %s | %s | %s\n", g_t[cat].name, f->name, what,
               kind == X_ERR ? lmz_error_name(LMZ_ERR(want)) : kind == X_EXACT ? "exact" : "rejected or exact", res,
               lmz_is_error(r) ? msg : "-");
    }
    return r;
}

/* One targeted edit: copy, edit (via the callback-free helpers below), reseal,
 * judge. */
typedef struct {
    uint8_t *b;
    size_t n;
} edit;
static int g_ed_cat = T_FIELDS; /* the tally of ed_end's cases */
static edit ed_begin(const frame *f) {
    edit e = {malloc(f->n + 4096), f->n};
    memcpy(e.b, f->b, f->n);
    return e;
}
static void ed_end(edit *e, const frame *f, int do_reseal, const lmz_params *p, int kind, lmz_error_code want,
                   const char *needle, const char *fmt, ...) {
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (do_reseal) reseal(e->b, e->n);
    judge(g_ed_cat, f, e->b, e->n, p, kind, want, needle, what, 1);
    free(e->b);
}

/* Inserts k bytes at offset at (the buffer has 4096 bytes of room). */
static void ed_insert(edit *e, size_t at, const void *bytes, size_t k) {
    memmove(e->b + at + k, e->b + at, e->n - at);
    memcpy(e->b + at, bytes, k);
    e->n += k;
}

/* Offset of chunk c's payload in frame b (the coded sizes of the table). */
static size_t fpayload(const uint8_t *b, unsigned c) {
    size_t off = lmz_rd32(b + 6);
    for (unsigned k = 0; k < c; k++) off += lmz_rd32(b + fentry(b, k) + E_CODED);
    return off;
}

/* Replaces bytes [at, at + del) of chunk c's payload with ins[0..k); the
 * chunk's coded_size follows (re-seal the header). Room: 4096 bytes. */
static void ed_payload(edit *e, unsigned c, size_t at, size_t del, const void *ins, size_t k) {
    const size_t off = fpayload(e->b, c) + at, en = fentry(e->b, c);
    memmove(e->b + off + k, e->b + off + del, e->n - off - del);
    if (k) memcpy(e->b + off, ins, k);
    e->n = e->n - del + k;
    setv(e->b, en + E_CODED, 4, lmz_rd32(e->b + en + E_CODED) - del + k);
}

/* ---- the head of a `seg` payload (doc/format.md §3.1) ------------------- */
/* u8 text_method, u8 binary_method, varint n_runs, n_runs entries (varint
 * v * 4 + kind; base64 kinds 2-3: varint w, u8 eol), u32 text_coded; then
 * the text part, the binary part. Read from the compressor's (valid)
 * payloads and written back with changes. */
enum { K_TEXT, K_BIN, K_B64_BIN, K_B64_TEXT };
typedef struct {
    uint8_t kind, eol;
    uint32_t v, w;
} seg_ent;
typedef struct {
    uint8_t tm, bm;
    uint32_t nr;       /* n_runs as written */
    uint32_t nl;       /* entries written (nr unless a case says otherwise) */
    seg_ent e[64];
    uint32_t tc;       /* text_coded */
} seg_head;

/* LEB128 of v in exactly w bytes (w = 0: the shortest); w > 5 or v >= 2^32:
 * what a reader must refuse. */
static size_t var_put(uint8_t *d, uint64_t v, int w) {
    size_t n = 0;
    do {
        d[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        n++;
        if (w ? (int)n < w : v != 0) d[n - 1] |= 0x80;
    } while (w ? (int)n < w : v != 0);
    return n;
}

static size_t var_get(const uint8_t *p, uint32_t *v) {
    size_t n = 0;
    *v = 0;
    do *v |= (uint32_t)(p[n] & 0x7F) << (7 * n);
    while (p[n++] & 0x80 && n < 5);
    return n;
}

/* Bytes of the chunk run e stands for (base64: C = 4 ceil(v/3) characters
 * in lines of w, each ended by 1 + eol bytes). */
static uint64_t ent_len(const seg_ent *e) {
    if (e->kind < K_B64_BIN) return e->v;
    const uint64_t c = ((uint64_t)e->v + 2) / 3 * 4;
    return c + (c + e->w - 1) / e->w * (1u + e->eol);
}
static int ent_part(const seg_ent *e) { return e->kind == K_TEXT || e->kind == K_B64_TEXT ? 0 : 1; }

static size_t ent_put(uint8_t *d, const seg_ent *e) {
    size_t n = var_put(d, (uint64_t)e->v << 2 | e->kind, 0);
    if (e->kind >= K_B64_BIN) n += var_put(d + n, e->w, 0), d[n++] = e->eol;
    return n;
}

/* The head of a valid payload p[0..n): its size, 0 when it does not fit s. */
static size_t seg_head_read(const uint8_t *p, size_t n, seg_head *s) {
    memset(s, 0, sizeof *s);
    if (n < 16) return 0;
    s->tm = p[0], s->bm = p[1];
    size_t at = 2 + var_get(p + 2, &s->nr);
    if (s->nr > 64) return 0;
    s->nl = s->nr;
    for (uint32_t r = 0; r < s->nr && at + 11 < n; r++) {
        uint32_t x;
        at += var_get(p + at, &x);
        s->e[r].kind = (uint8_t)(x & 3), s->e[r].v = x >> 2;
        if (s->e[r].kind >= K_B64_BIN) at += var_get(p + at, &s->e[r].w), s->e[r].eol = p[at++];
    }
    if (at + 4 > n) return 0;
    s->tc = lmz_rd32(p + at);
    return at + 4;
}

static size_t seg_head_write(const seg_head *s, uint8_t *d) {
    size_t at = 0;
    d[at++] = s->tm, d[at++] = s->bm;
    at += var_put(d + at, s->nr, 0);
    for (uint32_t r = 0; r < s->nl; r++) at += ent_put(d + at, &s->e[r]);
    lmz_wr32(d + at, s->tc);
    return at + 4;
}

/* Base64 (lines, padding) at p[0..n) to dst, v bytes. */
static void b64_get(const uint8_t *p, size_t n, uint8_t *dst, uint32_t v) {
    uint32_t acc = 0, bits = 0, o = 0;
    for (size_t i = 0; i < n && o < v; i++) {
        const uint8_t c = p[i];
        int x = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (x < 0) continue;
        acc = acc << 6 | (uint32_t)x, bits += 6;
        if (bits >= 8) bits -= 8, dst[o++] = (uint8_t)(acc >> bits);
    }
}

/* The text and binary parts of content src under head s: text to t (*tn
 * bytes), binary to bin (*bn bytes). */
static void seg_split(const seg_head *s, const uint8_t *src, uint8_t *t, size_t *tn, uint8_t *bin, size_t *bn) {
    size_t at = 0, *len[2] = {tn, bn};
    uint8_t *dst[2] = {t, bin};
    *tn = *bn = 0;
    for (uint32_t r = 0; r < s->nr; r++) {
        const int k = ent_part(&s->e[r]);
        if (s->e[r].kind < K_B64_BIN) memcpy(dst[k] + *len[k], src + at, s->e[r].v);
        else b64_get(src + at, ent_len(&s->e[r]), dst[k] + *len[k], s->e[r].v);
        *len[k] += s->e[r].v;
        at += ent_len(&s->e[r]);
    }
}

/* ---- building the frames ------------------------------------------------- */

static size_t make_text(uint8_t *dst, size_t n, uint64_t *rng) {
    static const char *w[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran", "away", "from",
                              "Alice", "who", "was", "not", "very", "happy", "1865", "--", "said", "\"yes\","};
    size_t p = 0;
    while (p < n) {
        *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
        const char *s = w[(*rng >> 33) % (sizeof w / sizeof *w)];
        for (size_t i = 0; s[i] && p < n; i++) dst[p++] = (uint8_t)s[i];
        if (p < n) dst[p++] = (*rng >> 40) % 11 == 0 ? '\n' : ' ';
    }
    return n;
}

static int g_mix1 = -1; /* lmz_params.mix of compress1 (-1: lm+mix where it pays) */
static size_t compress1(const uint8_t *src, size_t n, uint8_t **out, int fallback) {
    lmz_params p;
    lmz_params_default(&p);
    p.mix = g_mix1;
    p.threads = 1;
    p.chunk_size = 4096;
    p.fallback = fallback;
    p.compact = 0; /* these tables are about the v1 header (compact frames: test_dict) */
    size_t cap = lmz_compress_bound(n);
    *out = malloc(cap);
    return lmz_compress(g_model, *out, cap, src, n, &p);
}

static int build_frames(void) {
    uint64_t rng = 777;
    /* big: ~10 KB of text, three lm chunks */
    g_big.name = "big";
    g_big.orig_n = 10000;
    g_big.orig = malloc(g_big.orig_n);
    make_text(g_big.orig, g_big.orig_n, &rng);
    g_big.n = compress1(g_big.orig, g_big.orig_n, &g_big.b, 0);
    if (lmz_is_error(g_big.n)) return -1;

    /* mixed: lm (text), stored (random), zstd, xz (repetitive), lm (text) */
    enum { NC = 5 };
    static const uint32_t raw[NC] = {160, 100, 2000, 1500, 90};
    static const uint8_t meth[NC] = {LMZ_M_LM, LMZ_M_STORED, LMZ_M_ZSTD, LMZ_M_XZ, LMZ_M_LM};
    g_mixed.name = "mixed";
    g_mixed.orig_n = 0;
    for (int i = 0; i < NC; i++) g_mixed.orig_n += raw[i];
    g_mixed.orig = malloc(g_mixed.orig_n);
    uint8_t *payload = malloc(g_mixed.orig_n * 2 + 4096);
    size_t pn = 0, at = 0;
    lmz_chunk_info ch[NC];
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < NC; i++) {
        uint8_t *c = g_mixed.orig + at;
        if (meth[i] == LMZ_M_LM) make_text(c, raw[i], &rng);
        else if (meth[i] == LMZ_M_STORED)
            for (uint32_t k = 0; k < raw[i]; k++) c[k] = (uint8_t)((rng = rng * 6364136223846793005ull + 1) >> 56);
        else
            for (uint32_t k = 0; k < raw[i]; k++) c[k] = (uint8_t)("abcabcabd\n"[k % 10] + (k % 97 == 0));
        size_t coded = 0;
        if (meth[i] == LMZ_M_LM) {
            uint8_t *f;
            g_mix1 = 0; /* this frame's table lists plain lm chunks */
            size_t fs = compress1(c, raw[i], &f, 0);
            g_mix1 = -1;
            lmz_chunk_info_t ci;
            lmz_frame_info_t fi;
            if (lmz_is_error(fs) || lmz_frame_chunks(f, fs, &ci, 1) != 1 || ci.method != LMZ_METHOD_LM ||
                lmz_is_error(lmz_frame_info(f, fs, &fi))) {
                fprintf(stderr, "mixed frame: the text chunk did not use the model\n");
                return -1;
            }
            memcpy(payload + pn, f + ci.offset, ci.coded_size);
            coded = ci.coded_size;
            memcpy(h.model_sha256, fi.model_sha256, 32);
            snprintf(h.model_name, sizeof h.model_name, "%s", fi.model_name);
            h.window = (uint16_t)fi.window;
            h.overlap = (uint16_t)fi.sink_tokens;
            free(f);
        } else if (meth[i] == LMZ_M_STORED) {
            memcpy(payload + pn, c, raw[i]);
            coded = raw[i];
        } else if (meth[i] == LMZ_M_ZSTD) {
            coded = ZSTD_compress(payload + pn, raw[i] + 512, c, raw[i], 3);
            if (ZSTD_isError(coded)) return -1;
        } else {
            /* method 3: raw LZMA2, dictionary derived from raw_size (doc/format.md) */
            size_t pos = 0;
            lzma_options_lzma opt;
            if (lzma_lzma_preset(&opt, 1)) return -1;
            opt.dict_size = lzma2_dict_size(raw[i]);
            lzma_filter flt[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
            if (lzma_raw_buffer_encode(flt, NULL, c, raw[i], payload + pn, &pos, raw[i] + 512) != LZMA_OK) return -1;
            coded = pos;
        }
        ch[i].raw_size = raw[i];
        ch[i].coded_size = (uint32_t)coded;
        ch[i].method = meth[i];
        ch[i].checksum = (uint32_t)lmz_xxh64(c, raw[i]);
        pn += coded;
        at += raw[i];
    }
    h.chunk_size = 4096;
    h.original_size = g_mixed.orig_n;
    h.content_checksum = lmz_xxh64(g_mixed.orig, g_mixed.orig_n);
    h.n_chunks = NC;
    h.chunks = ch;
    size_t hs = frame_header_size(&h);
    if (lmz_is_error(hs)) return -1;
    g_mixed.b = malloc(hs + pn);
    size_t w = frame_write_header(&h, g_mixed.b, hs);
    if (w != hs) return -1;
    memcpy(g_mixed.b + hs, payload, pn);
    g_mixed.n = hs + pn;
    free(payload);
    return 0;
}

/* ---- the frames with `seg` and `utf16` chunks (doc/format.md §3.1, §3.2) -- */

/* The layout of chunk c of frame b (methods 5 and 6), through the public
 * reader; -1 when the chunk has another method or the layout is refused. */
static int frame_layout(const uint8_t *b, size_t n, unsigned c, lmz_chunk_info_t *ci, lmz_chunk_layout_t *lay) {
    lmz_chunk_info_t ch[8];
    size_t k = lmz_frame_chunks(b, n, ch, 8);
    if (lmz_is_error(k) || c >= k || c >= 8 || ch[c].offset + ch[c].coded_size > n) return -1;
    *ci = ch[c];
    return lmz_is_error(lmz_chunk_layout(b + ch[c].offset, n - ch[c].offset, &ch[c], lay)) ? -1 : 0;
}

/* A small tar-like archive: three text files (400-542 bytes of generated
 * text) behind 128-byte headers (a name, octal fields, NULs, a field of
 * high bytes), padded with NULs: 72 % text, the rest binary-looking. The
 * compressor codes it as one `seg` chunk (the text joined, the binary
 * joined, each by its best method), which beats coding it whole. */
static size_t make_tar(uint8_t *dst, uint64_t *rng) {
    static const uint32_t len[] = {400, 471, 542};
    static const uint8_t fields[] = {0x01, 0x7f, 0x80, 0xff, 0x02, 0x1c, 0x00, 0x81};
    size_t p = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t *h = dst + p;
        memset(h, 0, 128);
        snprintf((char *)h, 24, "doc/part%d.txt", i);
        memcpy(h + 40, "0000644", 8);
        snprintf((char *)h + 48, 12, "%011o", (unsigned)len[i]);
        memcpy(h + 64, "ustar", 6);
        memcpy(h + 72 + i, fields, sizeof fields);
        for (int k = 0; k < 40; k++) h[84 + k] = (uint8_t)(0x80 + (k * 37) % 128);
        p += 128;
        make_text(dst + p, len[i], rng);
        p += len[i];
        while (p % 32) dst[p++] = 0;
    }
    memset(dst + p, 0, 128); /* end of archive */
    return p + 128;
}

/* A mail with a text attachment in base64 (76-character lines): the
 * compressor codes it as one `seg` chunk whose base64 run's bytes, decoded,
 * join the text part. */
static size_t make_mail(uint8_t *dst, uint64_t *rng) {
    static const char head[] = "From: alice@example.org\nTo: bob@example.org\nSubject: the report\n"
                               "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n"
                               "Content-Type: text/plain\n\n";
    static const char att[] = "\n--b1\nContent-Type: text/plain; name=\"notes.txt\"\n"
                              "Content-Transfer-Encoding: base64\n\n";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    memcpy(dst, head, sizeof head - 1), n += sizeof head - 1;
    n += make_text(dst + n, 240, rng);
    memcpy(dst + n, att, sizeof att - 1), n += sizeof att - 1;
    uint8_t t[900];
    make_text(t, sizeof t, rng);
    for (size_t i = 0, col = 0; i < sizeof t; i += 3) {
        const uint32_t v = (uint32_t)t[i] << 16 | (uint32_t)t[i + 1] << 8 | t[i + 2];
        for (int j = 3; j >= 0; j--) dst[n++] = (uint8_t)b64[(v >> (6 * j)) & 63];
        if ((col += 4) == 76 || i + 3 >= sizeof t) dst[n++] = '\n', col = 0;
    }
    memcpy(dst + n, "--b1--\n", 7);
    return n + 7;
}

/* ASCII-ish text as UTF-8 (generated words, a few 2-, 3- and 4-byte
 * characters), then as UTF-16 with a BOM in byte order be. */
static size_t make_utf16(uint8_t *dst, size_t cap, int be, size_t n1, size_t n2, uint64_t *rng) {
    static const char extra[] = " caf\xc3\xa9 \xe2\x82\xac" "5 \xf0\x9f\x98\x80 na\xc3\xafve\n";
    uint8_t u8[1024];
    size_t n = 0;
    memcpy(u8, "\xef\xbb\xbf", 3), n = 3; /* the BOM, U+FEFF */
    n += make_text(u8 + n, n1, rng);
    memcpy(u8 + n, extra, sizeof extra - 1), n += sizeof extra - 1;
    n += make_text(u8 + n, n2, rng);
    size_t r = lmz_utf8_to_utf16(u8, n, be, dst, cap);
    return r == LMZ_UTF16_BAD ? 0 : r;
}

/* Frame f's chunk c must be of method m (and, for utf16, of byte order
 * order): what the compressor chose. */
static int check_method(const frame *f, unsigned c, unsigned m, unsigned order) {
    lmz_chunk_info_t ci;
    lmz_chunk_layout_t lay;
    int ok = frame_layout(f->b, f->n, c, &ci, &lay) == 0 && ci.method == m && (m != 6 || lay.utf16_order == order);
    CHECK(ok, "frame '%s': chunk %u is not of method %u (order %u): the compressor's choice changed", f->name, c, m,
          order);
    return ok ? 0 : -1;
}

/* "seg": the tar-like archive, one `seg` chunk (compressor's choice).
 * "utf16": UTF-16LE text with a BOM, one `utf16` chunk (compressor's choice).
 * "ext": assembled here: seg, lm, utf16 (the payloads of "seg", of mixed's
 * first chunk and of "utf16"), then seg and utf16 payloads with
 * model-coded parts (the first three runs of "seg": text by lm+mix, binary
 * stored; a shorter UTF-16 text: UTF-8 by lm): several seg/utf16 chunks in
 * one frame, their parts decoded together with the plain chunks and put in
 * place one after the other. */
static int build_ext_frames(void) {
    uint64_t rng = 4242;
    g_seg.name = "seg";
    g_seg.orig = malloc(4096);
    g_seg.orig_n = make_tar(g_seg.orig, &rng);
    g_seg.n = compress1(g_seg.orig, g_seg.orig_n, &g_seg.b, -1);
    if (lmz_is_error(g_seg.n) || check_method(&g_seg, 0, LMZ_METHOD_SEG, 0)) return -1;

    g_mail.name = "mail";
    g_mail.orig = malloc(4096);
    g_mail.orig_n = make_mail(g_mail.orig, &rng);
    g_mail.n = compress1(g_mail.orig, g_mail.orig_n, &g_mail.b, -1);
    if (lmz_is_error(g_mail.n) || check_method(&g_mail, 0, LMZ_METHOD_SEG, 0)) return -1;
    {
        lmz_chunk_info_t ci;
        lmz_chunk_layout_t lay;
        CHECK(frame_layout(g_mail.b, g_mail.n, 0, &ci, &lay) == 0 && lay.base64_runs == 1,
              "frame 'mail': no base64 run: the compressor's choice changed");
    }

    g_utf16.name = "utf16";
    g_utf16.orig = malloc(4096);
    g_utf16.orig_n = make_utf16(g_utf16.orig, 4096, 0, 360, 180, &rng);
    if (g_utf16.orig_n < 4 || g_utf16.orig[0] != 0xFF || g_utf16.orig[1] != 0xFE) return -1;
    g_utf16.n = compress1(g_utf16.orig, g_utf16.orig_n, &g_utf16.b, -1);
    if (lmz_is_error(g_utf16.n) || check_method(&g_utf16, 0, LMZ_METHOD_UTF16, 0)) return -1;
    /* and big-endian text: order 1, decoded exactly */
    {
        frame be = {"utf16be", NULL, 0, malloc(4096), 0};
        be.orig_n = make_utf16(be.orig, 4096, 1, 360, 180, &rng);
        be.n = compress1(be.orig, be.orig_n, &be.b, -1);
        lmz_params p;
        lmz_params_default(&p);
        if (lmz_is_error(be.n) || check_method(&be, 0, LMZ_METHOD_UTF16, 1)) return -1;
        judge(T_FIELDS, &be, be.b, be.n, &p, X_EXACT, 0, NULL, "unmodified (UTF-16BE with a BOM)", 1);
        free(be.b);
        free(be.orig);
    }

    /* ext: seg, lm, utf16 (the compressor's payloads), then seg and utf16
     * payloads made here with model-coded parts: the text part by lm+mix
     * (the binary part stored), the UTF-8 form by lm */
    enum { NX = 5 };
    lmz_chunk_info ch[NX];
    uint8_t *pay[NX];
    const frame *src[NX] = {&g_seg, &g_mixed, &g_utf16, &g_seg, &g_utf16};
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    lmz_frame_info_t fi;
    if (lmz_is_error(lmz_frame_info(g_seg.b, g_seg.n, &fi))) return -1;
    memcpy(h.model_sha256, fi.model_sha256, 32);
    snprintf(h.model_name, sizeof h.model_name, "%s", fi.model_name);
    h.window = (uint16_t)fi.window;
    h.overlap = (uint16_t)fi.sink_tokens;
    h.flags = LMZ_F_EXT;
    h.chunk_size = 4096;
    g_ext.name = "ext";
    g_ext.orig = malloc(NX * 4096);
    size_t pn = 0;
    for (int i = 0; i < NX; i++) {
        lmz_chunk_info_t c0;
        uint8_t *at = g_ext.orig + g_ext.orig_n;
        if (lmz_frame_chunks(src[i]->b, src[i]->n, &c0, 1) < 1) return -1;
        /* the first chunk of each source frame: its content is the first raw_size bytes */
        memcpy(at, src[i]->orig, c0.raw_size);
        ch[i] = (lmz_chunk_info){c0.raw_size, c0.coded_size, (uint8_t)c0.method, c0.checksum, 0};
        pay[i] = malloc(2 * 4096 + 64);
        if (i < 3) {
            memcpy(pay[i], src[i]->b + c0.offset, c0.coded_size);
        } else if (i == 3) {
            /* the first three runs of "seg" (binary, text, binary): the
             * model's work on each decoding stays small */
            seg_head s;
            uint8_t t[4096], bin[4096], *z;
            size_t tn, bn;
            if (!seg_head_read(src[i]->b + c0.offset, c0.coded_size, &s) || s.nr < 3 || s.e[0].kind != K_BIN ||
                s.e[1].kind != K_TEXT || s.e[2].kind != K_BIN)
                return -1;
            s.nr = s.nl = 3;
            ch[i].raw_size = s.e[0].v + s.e[1].v + s.e[2].v;
            seg_split(&s, src[i]->orig, t, &tn, bin, &bn);
            size_t zn = compress1(t, tn, &z, 0);
            lmz_chunk_info_t zc;
            if (lmz_is_error(zn) || lmz_frame_chunks(z, zn, &zc, 1) != 1 || zc.method != LMZ_METHOD_LM_MIX) return -1;
            s.tm = LMZ_M_LM_MIX, s.bm = LMZ_M_STORED, s.tc = zc.coded_size;
            size_t w = seg_head_write(&s, pay[i]);
            memcpy(pay[i] + w, z + zc.offset, zc.coded_size);
            memcpy(pay[i] + w + zc.coded_size, bin, bn);
            ch[i].coded_size = (uint32_t)(w + zc.coded_size + bn);
            free(z);
        } else {
            /* shorter UTF-16 text, the UTF-8 form by lm */
            uint8_t u8[4096], *z;
            uint64_t rng2 = 99;
            ch[i].raw_size = (uint32_t)make_utf16(at, 4096, 0, 100, 60, &rng2);
            size_t un = lmz_utf16_to_utf8(at, ch[i].raw_size, 0, u8, sizeof u8);
            g_mix1 = 0;
            size_t zn = un == LMZ_UTF16_BAD ? LMZ_ERR(LMZ_error_generic) : compress1(u8, un, &z, 0);
            g_mix1 = -1;
            lmz_chunk_info_t zc;
            if (lmz_is_error(zn) || lmz_frame_chunks(z, zn, &zc, 1) != 1 || zc.method != LMZ_METHOD_LM) return -1;
            pay[i][0] = 0, pay[i][1] = LMZ_M_LM;
            lmz_wr32(pay[i] + 2, (uint32_t)un);
            memcpy(pay[i] + 6, z + zc.offset, zc.coded_size);
            ch[i].coded_size = 6 + zc.coded_size;
            free(z);
        }
        ch[i].checksum = (uint32_t)lmz_xxh64(at, ch[i].raw_size);
        g_ext.orig_n += ch[i].raw_size;
        pn += ch[i].coded_size;
    }
    h.original_size = g_ext.orig_n;
    h.content_checksum = lmz_xxh64(g_ext.orig, g_ext.orig_n);
    h.n_chunks = NX;
    h.chunks = ch;
    size_t hs = frame_header_size(&h);
    if (lmz_is_error(hs)) return -1;
    g_ext.b = malloc(hs + pn);
    if (frame_write_header(&h, g_ext.b, hs) != hs) return -1;
    g_ext.n = hs;
    for (int i = 0; i < NX; i++) {
        memcpy(g_ext.b + g_ext.n, pay[i], ch[i].coded_size);
        g_ext.n += ch[i].coded_size;
        free(pay[i]);
    }
    return 0;
}

static void print_frame(const frame *f) {
    lmz_frame_info_t fi;
    lmz_chunk_info_t ch[8];
    lmz_frame_info(f->b, f->n, &fi);
    size_t k = lmz_frame_chunks(f->b, f->n, ch, 8);
    printf("frame '%s': %zu bytes -> %zu bytes, header %llu bytes, flags 0x%02x, window %u overlap %u, chunks:",
           f->name, f->orig_n, f->n, (unsigned long long)fi.header_size, fi.flags, fi.window, fi.sink_tokens);
    static const char *mn[] = {"stored", "lm", "zstd", "xz", "lm+mix", "seg", "utf16"};
    for (size_t i = 0; i < k && i < 8; i++) {
        printf(" %s %u->%u", ch[i].method < 7 ? mn[ch[i].method] : "?", ch[i].raw_size, ch[i].coded_size);
        lmz_chunk_layout_t lay;
        if (ch[i].method >= LMZ_METHOD_SEG &&
            !lmz_is_error(lmz_chunk_layout(f->b + ch[i].offset, f->n - ch[i].offset, &ch[i], &lay))) {
            printf(" [");
            if (ch[i].method == LMZ_METHOD_SEG) printf("%u runs, %u base64; ", lay.n_runs, lay.base64_runs);
            else printf("%s; ", lay.utf16_order ? "BE" : "LE");
            for (unsigned p = 0; p < lay.n_parts; p++)
                printf("%s%s %u->%u", p ? ", " : "", lay.part_method[p] < 5 ? mn[lay.part_method[p]] : "?",
                       lay.part_raw[p], lay.part_coded[p]);
            printf("]");
        }
    }
    printf("\n");
}

/* ======================================================================== */
/* Frame: truncations and bit flips                                          */
/* ======================================================================== */

static void frame_truncations(const frame *f) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    /* the empty input is the empty stream (zero frames): k starts at 1 */
    for (size_t k = 1; k < f->n; k++) {
        size_t r = judge(T_TRUNC, f, f->b, k, &p, X_ERR, LMZ_error_src_size, NULL, "truncated", 0);
        if (lmz_get_error_code(r) != LMZ_error_src_size) printf("  truncated at %zu: %s\n", k, lmz_error_name(r));
    }
    /* and the one-shot API agrees */
    size_t r = lmz_decompress(g_model, g_dst, DST_CAP, f->b, f->n - 1, &p);
    CHECK(lmz_get_error_code(r) == LMZ_error_src_size, "lmz_decompress of a truncated frame: %s", lmz_error_name(r));
}

/* A truncated second frame must not pass for the first frame alone. */
static void concat_truncations(void) {
    frame c = {"mixed+big", NULL, g_mixed.n + g_big.n, NULL, g_mixed.orig_n + g_big.orig_n};
    c.b = malloc(c.n);
    c.orig = malloc(c.orig_n);
    memcpy(c.b, g_mixed.b, g_mixed.n);
    memcpy(c.b + g_mixed.n, g_big.b, g_big.n);
    memcpy(c.orig, g_mixed.orig, g_mixed.orig_n);
    memcpy(c.orig + g_mixed.orig_n, g_big.orig, g_big.orig_n);
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    judge(T_TRUNC, &c, c.b, c.n, &p, X_EXACT, 0, NULL, "both frames", 1);
    const size_t h2 = lmz_rd32(g_big.b + 6), step = g_quick ? 211 : 23;
    for (size_t k = g_mixed.n + 1; k < c.n; k += k < g_mixed.n + h2 + 16 ? 1 : step)
        judge(T_TRUNC, &c, c.b, k, &p, X_ERR, LMZ_error_src_size, NULL, "second frame truncated", 0);
    free(c.b);
    free(c.orig);
}

static void flip(const frame *f, uint8_t *bad, size_t bit, const lmz_params *p) {
    memcpy(bad, f->b, f->n);
    bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    judge(T_FLIP, f, bad, f->n, p, X_SAFE, 0, NULL, "bit flip", 0);
}

static void frame_bitflips(void) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    uint8_t *bad = malloc(g_big.n > g_mixed.n ? g_big.n : g_mixed.n);
    /* mixed: every bit (LMZ_FAULTS_QUICK: every header bit, 1 in 5 elsewhere) */
    const size_t hm = lmz_rd32(g_mixed.b + 6);
    for (size_t bit = 0; bit < g_mixed.n * 8; bit++)
        if (!g_quick || bit < hm * 8 || bit % 5 == 0) flip(&g_mixed, bad, bit, &p);
    /* big: every bit of the header, then a spread of payload bits per chunk */
    const size_t hb = lmz_rd32(g_big.b + 6);
    for (size_t bit = 0; bit < hb * 8; bit++) flip(&g_big, bad, bit, &p);
    lmz_chunk_info_t ch[4];
    size_t nc = lmz_frame_chunks(g_big.b, g_big.n, ch, 4);
    const int per_chunk = g_quick ? 3 : 8;
    for (size_t c = 0; c < nc && c < 4; c++)
        for (int s = 0; s < per_chunk; s++) {
            size_t byte = ch[c].offset + (ch[c].coded_size - 1) * (size_t)s / (size_t)(per_chunk - 1);
            flip(&g_big, bad, byte * 8 + (size_t)s % 8, &p);
        }
    free(bad);
}

/* Frames with seg/utf16 chunks: every header bit, every bit of the layout
 * head (the fields before the parts) of each seg/utf16 chunk from chunk c0
 * on, and 1 bit in `step` of the rest. */
static void ext_bitflips(const frame *f, size_t c0, size_t step) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    uint8_t *bad = malloc(f->n), *head = calloc(f->n, 1);
    lmz_chunk_info_t ch[8];
    size_t k = lmz_frame_chunks(f->b, f->n, ch, 8);
    for (size_t i = c0; i < k && i < 8; i++) {
        lmz_chunk_layout_t lay;
        if (ch[i].method < LMZ_METHOD_SEG ||
            lmz_is_error(lmz_chunk_layout(f->b + ch[i].offset, f->n - ch[i].offset, &ch[i], &lay)))
            continue;
        size_t hl = ch[i].coded_size;
        for (unsigned q = 0; q < lay.n_parts; q++) hl -= lay.part_coded[q];
        memset(head + ch[i].offset, 1, hl);
    }
    const size_t hs = lmz_rd32(f->b + 6);
    for (size_t bit = 0; bit < f->n * 8; bit++)
        if (bit < hs * 8 || head[bit / 8] || bit % step == 0) flip(f, bad, bit, &p);
    free(head);
    free(bad);
}

/* ======================================================================== */
/* Frame: fields                                                             */
/* ======================================================================== */

#define ANY ((lmz_error_code)0)

/* Whether decoding f runs the model: an lm / lm+mix chunk, or a seg/utf16
 * chunk with such a part. */
static int frame_needs_model(const frame *f) {
    lmz_chunk_info_t ch[8];
    size_t k = lmz_frame_chunks(f->b, f->n, ch, 8);
    for (size_t i = 0; i < k && i < 8; i++) {
        if (ch[i].method == LMZ_METHOD_LM || ch[i].method == LMZ_METHOD_LM_MIX) return 1;
        lmz_chunk_layout_t lay;
        if (ch[i].method >= LMZ_METHOD_SEG &&
            !lmz_is_error(lmz_chunk_layout(f->b + ch[i].offset, f->n - ch[i].offset, &ch[i], &lay)))
            for (unsigned q = 0; q < lay.n_parts; q++)
                if (lay.part_method[q] == LMZ_METHOD_LM || lay.part_method[q] == LMZ_METHOD_LM_MIX) return 1;
    }
    return 0;
}

static void frame_fields(const frame *f) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 2;
    const uint32_t hs = lmz_rd32(f->b + 6);
    const uint32_t nch = fnch(f->b);
    const uint16_t W = lmz_rd16(f->b + fbase(f->b) + F_WINDOW), O = lmz_rd16(f->b + fbase(f->b) + F_OVERLAP);
    /* a frame of seg/utf16 chunks (flag bit 1); whether any chunk or part
     * needs the model (the model's checks apply only then) */
    const int ext = (f->b[5] & LMZ_F_EXT) != 0, model = frame_needs_model(f);
    const int mk = model ? X_ERR : X_EXACT;
    const char *nomodel = model ? "" : " (no chunk needs the model: decoded)";
    edit e;

    /* magic, version */
    e = ed_begin(f), e.b[0] ^= 1;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_bad_magic, "magic", "magic byte 0 changed");
    e = ed_begin(f), e.b[3] = 0;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_bad_magic, "magic", "magic byte 3 changed");
    static const uint8_t versions[] = {0, 4, 255}; /* (2 and 3 are the compact frames: test_dict, test_frame) */
    for (int i = 0; i < 3; i++) {
        e = ed_begin(f), e.b[4] = versions[i];
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_version, "version", "version %u", versions[i]);
    }
    /* flags */
    for (int bit = 3; bit < 8; bit++) {
        e = ed_begin(f), e.b[5] |= (uint8_t)(1u << bit);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_unsupported, "unknown flags", "unknown flag bit %d", bit);
    }
    e = ed_begin(f), e.b[5] |= LMZ_F_DICT; /* a dictionary flag needs the section that names it */
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "dictionary flag without", "dictionary flag, no section");
    if (!ext) {
        e = ed_begin(f), e.b[5] |= LMZ_F_EXT; /* allows methods 5 and 6; none is used */
        ed_end(&e, f, 1, &p, X_EXACT, 0, NULL, "extended-methods flag set (content unchanged)");
    } else {
        e = ed_begin(f), e.b[5] &= (uint8_t)~LMZ_F_EXT;
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "without the extended-methods flag",
               "extended-methods flag cleared (methods 5/6 in use)");
    }
    e = ed_begin(f), e.b[5] |= 1;
    ed_end(&e, f, 1, &p, X_EXACT, 0, NULL, "lossy flag set (content unchanged)");
    /* header checksum itself */
    e = ed_begin(f), e.b[hs - 1] ^= 0x80;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_header_checksum, "checksum", "header_checksum changed");
    e = ed_begin(f), e.b[fbase(f->b) + F_WINDOW] ^= 1;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_header_checksum, "checksum", "window changed, checksum not recomputed");
    /* header_size */
    static const uint32_t hsz[] = {0, 78, (1u << 26) + 1, 0xFFFFFFFFu};
    for (int i = 0; i < 4; i++) {
        e = ed_begin(f), setv(e.b, 6, 4, hsz[i]);
        ed_end(&e, f, 0, &p, X_ERR, LMZ_error_corrupt, "header_size", "header_size %u", hsz[i]);
    }
    e = ed_begin(f), setv(e.b, 6, 4, hs - 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "header_size", "header_size - 1 (re-sealed there)");
    e = ed_begin(f), setv(e.b, 6, 4, hs + 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "header_size", "header_size + 1 (re-sealed there)");
    e = ed_begin(f), setv(e.b, 6, 4, 1u << 26);
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_src_size, "truncated", "header_size 64 MiB, input shorter");
    /* model name */
    e = ed_begin(f), e.b[42] = 255;
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "model_name_len", "model_name_len 255 (does not fit)");
    if (f->b[42] > 0) {
        e = ed_begin(f), e.b[43] = 0;
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "NUL", "NUL byte in model_name");
        e = ed_begin(f), e.b[43] = 'X';
        ed_end(&e, f, 1, &p, X_EXACT, 0, NULL, "model_name changed (display only)");
    }
    /* model sha */
    e = ed_begin(f), e.b[10] ^= 1;
    ed_end(&e, f, 1, &p, mk, LMZ_error_model_mismatch, "compressed with model", "model_sha256 one bit off%s", nomodel);
    e = ed_begin(f), memset(e.b + 10, 0, 32);
    ed_end(&e, f, 1, &p, mk, LMZ_error_model_mismatch, "compressed with model", "model_sha256 all zero%s", nomodel);
    /* window / overlap */
    const size_t b0 = fbase(f->b);
    static const uint16_t bad_w[] = {0, 1};
    for (int i = 0; i < 2; i++) {
        e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, bad_w[i]), setv(e.b, b0 + F_OVERLAP, 2, 0);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "window", "window %u", bad_w[i]);
    }
    e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, lmz_model_context(g_model) + 1);
    ed_end(&e, f, 1, &p, mk, LMZ_error_corrupt, "model context", "window = model context + 1%s", nomodel);
    e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, 65535);
    ed_end(&e, f, 1, &p, mk, LMZ_error_corrupt, "model context", "window 65535%s", nomodel);
    e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, W);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "overlap", "overlap = window");
    e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, 65535);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "overlap", "overlap 65535");
    e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, W - 7u);
    ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "window - 7 (valid, but not what was coded)");
    /* `overlap` holds the sink size S (doc/format.md §4.1): 1 in this version */
    e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, O + 1u);
    ed_end(&e, f, 1, &p, mk, LMZ_error_unsupported, "sink", "overlap (sink tokens) %u%s", O + 1u, nomodel);
    if (O > 0) {
        e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, O - 1u);
        ed_end(&e, f, 1, &p, mk, LMZ_error_unsupported, "sink", "overlap (sink tokens) %u%s", O - 1u, nomodel);
    }
    /* chunk_size */
    static const uint32_t bad_cs[] = {0, (1u << 26) + 1, 0xFFFFFFFFu};
    for (int i = 0; i < 3; i++) {
        e = ed_begin(f), setv(e.b, b0 + F_CHUNK, 4, bad_cs[i]);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "chunk_size", "chunk_size %u", bad_cs[i]);
    }
    e = ed_begin(f), setv(e.b, b0 + F_CHUNK, 4, 50);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "raw_size", "chunk_size 50 < a chunk's raw_size");
    e = ed_begin(f), setv(e.b, b0 + F_CHUNK, 4, 1u << 16);
    ed_end(&e, f, 1, &p, X_EXACT, 0, NULL, "chunk_size 64 KiB (larger bound, still valid)");
    /* original_size and content checksum */
    const uint64_t osz = lmz_rd64(f->b + b0 + F_ORIG);
    e = ed_begin(f), setv(e.b, b0 + F_ORIG, 8, osz + 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "original_size", "original_size + 1");
    e = ed_begin(f), setv(e.b, b0 + F_ORIG, 8, osz - 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "original_size", "original_size - 1");
    e = ed_begin(f), setv(e.b, b0 + F_ORIG, 8, 5ull << 40);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "original_size", "original_size 5 TiB (table disagrees)");
    e = ed_begin(f), setv(e.b, b0 + F_ORIG, 8, UINT64_MAX);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "original_size", "original_size 2^64 - 1");
    e = ed_begin(f), e.b[b0 + F_CSUM] ^= 4;
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_content_checksum, "content checksum", "content_checksum one bit off");
    /* n_chunks */
    static const uint32_t bad_n[] = {65537, 0x80000000u, 0xFFFFFFFFu};
    for (int i = 0; i < 3; i++) {
        e = ed_begin(f), setv(e.b, b0 + F_NCH, 4, bad_n[i]);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "n_chunks", "n_chunks %u", bad_n[i]);
    }
    e = ed_begin(f), setv(e.b, b0 + F_NCH, 4, nch + 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "header_size", "n_chunks + 1 (table runs into the checksum)");
    e = ed_begin(f), setv(e.b, b0 + F_NCH, 4, nch - 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "extra_size", "n_chunks - 1 (last entry left over)");
    e = ed_begin(f), setv(e.b, b0 + F_NCH, 4, 0);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "extra_size", "n_chunks 0");
    /* chunk table entries: first, last */
    unsigned which[2] = {0, nch - 1};
    for (int w = 0; w < (nch > 1 ? 2 : 1); w++) {
        const unsigned i = which[w];
        const size_t en = fentry(f->b, i);
        const uint32_t raw = lmz_rd32(f->b + en + E_RAW), coded = lmz_rd32(f->b + en + E_CODED);
        const uint8_t m = f->b[en + E_METHOD];
        e = ed_begin(f), setv(e.b, en + E_RAW, 4, 0);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "raw_size", "chunk %u raw_size 0", i);
        e = ed_begin(f), setv(e.b, en + E_RAW, 4, 4097);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "raw_size", "chunk %u raw_size > chunk_size", i);
        e = ed_begin(f), setv(e.b, en + E_RAW, 4, 0xFFFFFFFFu);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "raw_size", "chunk %u raw_size 2^32 - 1", i);
        /* raw sizes that still sum to original_size: the table is consistent,
         * the payload is not */
        if (raw > 1 && m != LMZ_M_STORED) {
            e = ed_begin(f), setv(e.b, en + E_RAW, 4, raw - 1), setv(e.b, b0 + F_ORIG, 8, osz - 1);
            ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "chunk %u raw_size - 1, original_size - 1", i);
        }
        if (raw < 4096 && m != LMZ_M_STORED) {
            e = ed_begin(f), setv(e.b, en + E_RAW, 4, raw + 1), setv(e.b, b0 + F_ORIG, 8, osz + 1);
            ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "chunk %u raw_size + 1, original_size + 1", i);
        }
        e = ed_begin(f), setv(e.b, en + E_CODED, 4, 0);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "coded_size 0", "chunk %u coded_size 0", i);
        if (m != LMZ_M_STORED) {
            e = ed_begin(f), setv(e.b, en + E_CODED, 4, coded + 1);
            ed_end(&e, f, 1, &p, X_ERR, LMZ_error_src_size, NULL, "chunk %u coded_size + 1 (frame past the input)", i);
            e = ed_begin(f), setv(e.b, en + E_CODED, 4, 0xFFFFFFFFu);
            ed_end(&e, f, 1, &p, X_ERR, LMZ_error_memory_limit, "limit", "chunk %u coded_size 4 GiB (default limit)",
                   i);
            lmz_params big = p;
            big.memory_limit = 1ull << 40;
            e = ed_begin(f), setv(e.b, en + E_CODED, 4, 0xFFFFFFFFu);
            ed_end(&e, f, 1, &big, X_ERR, LMZ_error_src_size, NULL,
                   "chunk %u coded_size 4 GiB (1 TiB limit: waits for input)", i);
            if (coded > 4 && nch > 1) { /* coded sizes that still sum to the payload size */
                unsigned j = i + 1 < nch ? i + 1 : i - 1;
                const size_t ej = fentry(f->b, j);
                const uint32_t cj = lmz_rd32(f->b + ej + E_CODED);
                e = ed_begin(f), setv(e.b, en + E_CODED, 4, coded - 3), setv(e.b, ej + E_CODED, 4, cj + 3);
                ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "chunk %u coded_size - 3, chunk %u + 3 (payloads shifted)", i, j);
            }
        }
        /* methods */
        for (unsigned nm = 0; nm < 8; nm++) {
            if (nm == m) continue;
            e = ed_begin(f), e.b[en + E_METHOD] = (uint8_t)nm;
            if ((nm == LMZ_M_SEG || nm == LMZ_M_UTF16) && !ext)
                ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "extended-methods flag", "chunk %u method %u", i, nm);
            else if ((nm == LMZ_M_SEG || nm == LMZ_M_UTF16) &&
                     m >= LMZ_M_SEG) /* a seg payload read as utf16, or back */
                ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, nm == LMZ_M_SEG ? "seg chunk" : "utf16 chunk",
                       "chunk %u method %u -> %u", i, m, nm);
            else if (nm == LMZ_M_SEG || nm == LMZ_M_UTF16)
                ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "chunk %u method %u -> %u", i, m, nm);
            else if (nm >= LMZ_M_COUNT)
                ed_end(&e, f, 1, &p, X_ERR, LMZ_error_unsupported, "not known", "chunk %u method %u", i, nm);
            else if (nm == LMZ_M_STORED && raw != coded)
                ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "stored", "chunk %u method %u -> stored", i, m);
            else
                ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "chunk %u method %u -> %u", i, m, nm);
        }
        e = ed_begin(f), e.b[en + E_METHOD] = 255;
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_unsupported, "not known", "chunk %u method 255", i);
        e = ed_begin(f), e.b[en + E_CHECK] ^= 1;
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_chunk_checksum, "checksum mismatch", "chunk %u checksum one bit off", i);
    }
    /* extra sections */
    const size_t ex = fextra(f->b);
    e = ed_begin(f), setv(e.b, ex, 4, 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "extra_size", "extra_size 1 (header_size not grown)");
    {
        static const uint8_t unk[] = {7, 0, 3, 0, 0, 0, 'a', 'b', 'c'};
        e = ed_begin(f), ed_insert(&e, ex + 4, unk, sizeof unk), setv(e.b, ex, 4, sizeof unk),
        setv(e.b, 6, 4, hs + sizeof unk);
        ed_end(&e, f, 1, &p, X_EXACT, 0, NULL, "extra section with unknown tag 7 (skipped)");
        static const uint8_t over[] = {7, 0, 200, 0, 0, 0, 'a', 'b', 'c'};
        e = ed_begin(f), ed_insert(&e, ex + 4, over, sizeof over), setv(e.b, ex, 4, sizeof over),
        setv(e.b, 6, 4, hs + sizeof over);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "overruns", "extra section len 200 > extra_size");
        static const uint8_t trunc[] = {1, 0, 0, 0};
        e = ed_begin(f), ed_insert(&e, ex + 4, trunc, sizeof trunc), setv(e.b, ex, 4, sizeof trunc),
        setv(e.b, 6, 4, hs + sizeof trunc);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "truncated", "extra section header cut short (4 bytes)");
        /* a lossy report (tag 1): frame_info finds it */
        static const uint8_t rep[] = {1, 0, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
        e = ed_begin(f), ed_insert(&e, ex + 4, rep, sizeof rep), setv(e.b, ex, 4, sizeof rep),
        setv(e.b, 6, 4, hs + sizeof rep), e.b[5] |= 1;
        reseal(e.b, e.n);
        lmz_frame_info_t fi;
        CHECK(!lmz_is_error(lmz_frame_info(e.b, e.n, &fi)) && fi.report_size == 5 &&
                  memcmp(e.b + fi.report_offset, "hello", 5) == 0,
              "report section not found by lmz_frame_info");
        ed_end(&e, f, 0, &p, X_EXACT, 0, NULL, "lossy flag + report section (tag 1)");
    }
    /* what follows the frame */
    /* (fewer than 10 bytes are reported as a truncated frame: the stream
     * decoder waits for the 10-byte prefix before it looks at the magic) */
    e = ed_begin(f), memcpy(e.b + e.n, "xyz", 3), e.n += 3;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_src_size, NULL, "3 garbage bytes after the frame");
    e = ed_begin(f), memcpy(e.b + e.n, "garbage bytes", 13), e.n += 13;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_bad_magic, "magic", "13 garbage bytes after the frame");
    e = ed_begin(f), memcpy(e.b + e.n, "LMZ\x1a\x01", 5), e.n += 5;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_src_size, NULL, "a frame's first 5 bytes after the frame");
    e = ed_begin(f), memset(e.b + e.n, 0, 100), e.n += 100;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_bad_magic, "magic", "100 zero bytes after the frame");
    /* the model */
    {
        char msg[LMZ_MSG_MAX];
        size_t r = decode(g_other, f->b, f->n, &p, g_dst, DST_CAP, msg, sizeof msg);
        g_t[T_FIELDS].cases++;
        g_t[T_FIELDS].rejected += lmz_is_error(r) != 0;
        /* (a frame none of whose chunks needs the model decodes with any) */
        const int exact = !lmz_is_error(r) && r == f->orig_n && memcmp(g_dst, f->orig, r) == 0;
        int ok = model ? lmz_get_error_code(r) == LMZ_error_model_mismatch && strstr(msg, lmz_model_name(g_other))
                       : exact;
        g_t[T_FIELDS].unexpected += !ok;
        g_t[T_FIELDS].exact += exact;
        if (lmz_is_error(r)) g_t[T_FIELDS].by_code[lmz_get_error_code(r)]++;
        CHECK(ok, "%s: another model: %s (%s)", f->name, lmz_error_name(r), msg);
        printf("CASE | %s | %s: decoded with another model%s | %s | %s | %s\n", g_t[T_FIELDS].name, f->name, nomodel,
               model ? lmz_error_name(LMZ_ERR(LMZ_error_model_mismatch)) : "exact",
               lmz_is_error(r) ? lmz_error_name(r)
               : exact         ? "decoded exactly"
                               : "WRONG OUTPUT",
               lmz_is_error(r) ? msg : "-");
        r = decode(NULL, f->b, f->n, &p, g_dst, DST_CAP, msg, sizeof msg);
        g_t[T_FIELDS].cases++;
        g_t[T_FIELDS].rejected += lmz_is_error(r) != 0;
        const int exact0 = !lmz_is_error(r) && r == f->orig_n && memcmp(g_dst, f->orig, r) == 0;
        ok = model ? lmz_get_error_code(r) == LMZ_error_parameter && strstr(msg, "model") : exact0;
        g_t[T_FIELDS].unexpected += !ok;
        g_t[T_FIELDS].exact += exact0;
        if (lmz_is_error(r)) g_t[T_FIELDS].by_code[lmz_get_error_code(r)]++;
        CHECK(ok, "%s: no model: %s (%s)", f->name, lmz_error_name(r), msg);
        printf("CASE | %s | %s: decoded without a model%s | %s | %s | %s\n", g_t[T_FIELDS].name, f->name, nomodel,
               model ? lmz_error_name(LMZ_ERR(LMZ_error_parameter)) : "exact",
               lmz_is_error(r) ? lmz_error_name(r)
               : exact0        ? "decoded exactly"
                               : "WRONG OUTPUT",
               lmz_is_error(r) ? msg : "-");
    }
    /* a destination one byte short: refused, nothing partial counts */
    {
        size_t r = lmz_decompress(g_model, g_dst, f->orig_n - 1, f->b, f->n, &p);
        g_t[T_FIELDS].cases++;
        g_t[T_FIELDS].rejected += lmz_is_error(r) != 0;
        if (lmz_is_error(r)) g_t[T_FIELDS].by_code[lmz_get_error_code(r)]++;
        g_t[T_FIELDS].unexpected += lmz_get_error_code(r) != LMZ_error_dst_too_small;
        CHECK(lmz_get_error_code(r) == LMZ_error_dst_too_small, "%s: short dst: %s", f->name, lmz_error_name(r));
        printf("CASE | %s | %s: destination one byte short | %s | %s | -\n", g_t[T_FIELDS].name, f->name,
               lmz_error_name(LMZ_ERR(LMZ_error_dst_too_small)), lmz_error_name(r));
    }
}

/* Method swaps in the mixed frame, between the classical methods. */
static void mixed_method_swaps(void) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    for (unsigned i = 1; i <= 3; i++) { /* stored, zstd, xz */
        const size_t en = fentry(g_mixed.b, i);
        const uint8_t m = g_mixed.b[en + E_METHOD];
        for (unsigned nm = 0; nm < 4; nm++) {
            if (nm == m) continue;
            edit e = ed_begin(&g_mixed);
            e.b[en + E_METHOD] = (uint8_t)nm;
            if (nm == LMZ_M_STORED)
                ed_end(&e, &g_mixed, 1, &p, X_ERR, LMZ_error_corrupt, "stored", "chunk %u method %u -> stored", i, m);
            else if (m == LMZ_M_STORED || nm == LMZ_M_LM)
                ed_end(&e, &g_mixed, 1, &p, X_SAFE, 0, NULL, "chunk %u method %u -> %u", i, m, nm);
            else
                ed_end(&e, &g_mixed, 1, &p, X_ERR, LMZ_error_corrupt, nm == LMZ_M_ZSTD ? "zstd" : "xz",
                       "chunk %u method %u -> %u", i, m, nm);
        }
    }
}

/* ======================================================================== */
/* seg / utf16 chunk layouts (doc/format.md §3.1, §3.2)                      */
/* ======================================================================== */

/* A needle from a format (4 alive at a time). */
static const char *nd(const char *fmt, ...) {
    static char b[4][160];
    static int i;
    i = (i + 1) % 4;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b[i], sizeof b[i], fmt, ap);
    va_end(ap);
    return b[i];
}

/* One layout case: bytes [0, del) of chunk c's payload replaced by
 * ins[0..k) (the coded size follows, the header re-sealed). */
static void lay_case(const frame *f, unsigned c, size_t del, const void *ins, size_t k, int kind, lmz_error_code want,
                     const char *needle, const char *fmt, ...) {
    char what[160];
    int w = snprintf(what, sizeof what, "chunk %u ", c);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what + w, sizeof what - (size_t)w, fmt, ap);
    va_end(ap);
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    edit e = ed_begin(f);
    ed_payload(&e, c, 0, del, ins, k);
    g_ed_cat = T_LAYOUT;
    ed_end(&e, f, 1, &p, kind, want, needle, "%s", what);
    g_ed_cat = T_FIELDS;
}

/* Chunk c's table entry and the offset of its content in f->orig. */
static int chunk_at(const frame *f, unsigned c, lmz_chunk_info_t *ci, size_t *content) {
    lmz_chunk_info_t ch[8];
    size_t k = lmz_frame_chunks(f->b, f->n, ch, 8);
    if (lmz_is_error(k) || c >= k || c >= 8) return -1;
    *ci = ch[c];
    *content = 0;
    for (unsigned i = 0; i < c; i++) *content += ch[i].raw_size;
    return 0;
}

/* Damaged `seg` payloads: chunk c of f. Every case must be refused with the
 * error naming the problem (or, where the damage leaves a valid layout,
 * give the exact original or be refused). */
static void seg_cases(const frame *f, unsigned c) {
    lmz_chunk_info_t ci;
    size_t at0;
    seg_head S, M;
    CHECK(chunk_at(f, c, &ci, &at0) == 0 && ci.method == LMZ_METHOD_SEG, "%s: chunk %u is seg", f->name, c);
    const uint8_t *pl = f->b + ci.offset;
    const uint32_t raw = ci.raw_size, coded = ci.coded_size;
    const size_t hn = seg_head_read(pl, coded, &S);
    CHECK(hn > 0 && S.nr >= 2 && S.nr < 64, "%s: chunk %u: the seg head", f->name, c);
    if (!hn || S.nr < 2 || S.nr >= 64) return;
    const unsigned L = S.nr - 1; /* the last run */
    /* where the entries are: ro[r], ro[nr] = the end of the run table */
    size_t ro[65];
    uint8_t tmp[16];
    int b64 = -1; /* a base64 entry */
    ro[0] = 2 + var_put(tmp, S.nr, 0);
    for (uint32_t r = 0; r < S.nr; r++) {
        ro[r + 1] = ro[r] + ent_put(tmp, &S.e[r]);
        if (S.e[r].kind >= K_B64_BIN && b64 < 0) b64 = (int)r;
    }
    CHECK(ro[S.nr] + 4 == hn, "%s: chunk %u: minimal varints", f->name, c);
    uint8_t *h = malloc(3 * 4096), *t = malloc(4096), *bin = malloc(4096);
    size_t k, tn, bn;
    seg_split(&S, f->orig + at0, t, &tn, bin, &bn);
#define SEGC(edit_, kind, want, needle, ...)                                                                    \
    do {                                                                                                       \
        M = S;                                                                                                 \
        edit_;                                                                                                 \
        k = seg_head_write(&M, h);                                                                             \
        lay_case(f, c, hn, h, k, kind, want, needle, __VA_ARGS__);                                             \
    } while (0)
#define SEGX(edit_, needle, ...) SEGC(edit_, X_ERR, LMZ_error_corrupt, needle, __VA_ARGS__)
    char P[64], C[32];
    snprintf(P, sizeof P, "chunk %u: seg chunk: ", c);
    snprintf(C, sizeof C, "chunk %u: ", c);
    const seg_ent t1 = {K_TEXT, 0, 1, 0};

    /* the run count */
    SEGX((M.nr = 0, M.nl = 0), nd("%s0 runs for %u bytes", P, raw), "seg: n_runs 0");
    SEGX((M.nr = raw + 1), nd("%s%u runs for", P, raw + 1), "seg: n_runs = raw_size + 1");
    SEGX((M.nr = 0xFFFFFFFFu), nd("%s4294967295 runs for", P), "seg: n_runs 2^32 - 1");
    SEGX((M.nr = S.nr - 1, M.nl = S.nr - 1), nd("%sruns cover %llu of %u", P, raw - ent_len(&S.e[L]), raw),
         "seg: n_runs - 1 (the last run left out)");
    SEGX((M.nr = S.nr + 1, M.nl = S.nr + 1, M.e[S.nr] = t1), nd("%srun %u ends past the chunk", P, S.nr),
         "seg: n_runs + 1 (one more text run of 1 byte)");
    SEGX((M.nr = S.nr + 1), P, "seg: n_runs + 1 (text_coded read as the last entry)");
    /* the run count's varint */
    {
        uint8_t b[16] = {S.tm, S.bm};
        k = 2 + var_put(b + 2, 1ull << 32 | S.nr, 5);
        lay_case(f, c, ro[0], b, k, X_ERR, LMZ_error_corrupt, nd("%sbad run count", P),
                 "seg: n_runs 2^32 + %u (5 bytes)", S.nr);
        k = 2 + var_put(b + 2, S.nr, 6);
        lay_case(f, c, ro[0], b, k, X_ERR, LMZ_error_corrupt, nd("%sbad run count", P), "seg: n_runs in 6 bytes");
        k = 2 + var_put(b + 2, S.nr, 5);
        lay_case(f, c, ro[0], b, k, X_EXACT, 0, NULL, "seg: n_runs in 5 bytes (not minimal: valid)");
        b[2] = 0x80;
        lay_case(f, c, coded, b, 3, X_ERR, LMZ_error_corrupt, nd("%sbad run count", P),
                 "seg: payload of 3 bytes, n_runs unterminated at its end");
        b[2] = 0x83, b[3] = 0x80;
        lay_case(f, c, coded, b, 4, X_ERR, LMZ_error_corrupt, nd("%sbad run count", P),
                 "seg: payload of 4 bytes, n_runs unterminated at its end");
        lay_case(f, c, coded, b, 2, X_ERR, LMZ_error_corrupt, nd("%spayload of 2 bytes", P), "seg: payload of 2 bytes");
        lay_case(f, c, coded, b, 1, X_ERR, LMZ_error_corrupt, nd("%spayload of 1 bytes", P), "seg: payload of 1 byte");
    }
    /* run lengths (x: the last text or binary run) */
    unsigned x = L;
    while (x > 0 && S.e[x].kind >= K_B64_BIN) x--;
    SEGX((M.e[0].v = 0), nd("%srun 0 has length 0", P), "seg: run 0 of length 0");
    SEGX((M.e[L].v = 0), nd("%srun %u has length 0", P, L), "seg: last run of length 0");
    SEGX((M.e[0].v = raw + 1), nd("%srun 0 ends past the chunk (%u bytes)", P, raw), "seg: run 0 of raw_size + 1");
    SEGX((M.e[1].v = (1u << 30) - 1), nd("%srun 1 ends past the chunk", P), "seg: run 1 of 2^30 - 1 bytes (the most)");
    SEGX((M.e[x].v++), nd("ends past the chunk (%u bytes)", raw), "seg: run %u + 1 byte", x);
    SEGX((M.e[x].v--), nd("%sruns cover %u of %u bytes", P, raw - 1, raw), "seg: run %u - 1 byte (short of the chunk)",
         x);
    SEGC((M.e[x].kind ^= 1), X_SAFE, 0, NULL, "seg: run %u %s -> %s (parts' sizes off)", x,
         S.e[x].kind ? "binary" : "text", S.e[x].kind ? "text" : "binary");
    if (bn > 0)
        SEGX((M.nr = M.nl = 1, M.e[0] = (seg_ent){K_TEXT, 0, raw, 0}), nd("%sbinary part: empty, but", C),
             "seg: one text run of the whole chunk (binary part left with its bytes)");
    {
        /* run 0's varint v * 4 + kind (bytes [ro[0], e0_end) of the payload) rewritten */
        const uint64_t e0 = (uint64_t)S.e[0].v << 2 | S.e[0].kind;
        const size_t e0_end = ro[0] + var_put(tmp, e0, 0);
        memcpy(h, pl, ro[0]);
        size_t q = ro[0] + var_put(h + ro[0], e0, 6);
        lay_case(f, c, e0_end, h, q, X_ERR, LMZ_error_corrupt, nd("%srun 0: bad table entry", P),
                 "seg: run 0's entry in 6 bytes");
        q = ro[0] + var_put(h + ro[0], 1ull << 32 | e0, 5);
        lay_case(f, c, e0_end, h, q, X_ERR, LMZ_error_corrupt, nd("%srun 0: bad table entry", P),
                 "seg: run 0's entry 2^32 + %llu", (unsigned long long)e0);
        q = ro[0] + var_put(h + ro[0], e0, 5);
        lay_case(f, c, e0_end, h, q, X_EXACT, 0, NULL, "seg: run 0's entry in 5 bytes (not minimal: valid)");
        /* the payload ends inside the last entry, or right after the table */
        memcpy(h, pl, ro[L]);
        h[ro[L]] = 0x80 | (uint8_t)(((uint64_t)S.e[L].v << 2 | S.e[L].kind) & 0x7F);
        lay_case(f, c, coded, h, ro[L] + 1, X_ERR, LMZ_error_corrupt, nd("%srun %u: bad table entry", P, L),
                 "seg: payload ends inside the last entry");
        memcpy(h, pl, hn);
        lay_case(f, c, coded, h, ro[S.nr], X_ERR, LMZ_error_corrupt, nd("%struncated after the run table", P),
                 "seg: payload ends after the run table");
        lay_case(f, c, coded, h, ro[S.nr] + 3, X_ERR, LMZ_error_corrupt, nd("%struncated after the run table", P),
                 "seg: payload ends inside text_coded");
    }
    /* base64 entries: the frame's own, or run 0 made one */
    {
        const unsigned bi = b64 >= 0 ? (unsigned)b64 : 0;
        seg_ent be = S.e[bi];
        if (b64 < 0) be.kind = be.kind == K_TEXT ? K_B64_TEXT : K_B64_BIN, be.w = 76, be.eol = 0;
        const char *what = b64 >= 0 ? "base64" : "made base64";
        static const uint32_t bad_w[] = {0, 3, 6, 4100, 0xFFFFFFFFu};
        for (int i = 0; i < 5; i++)
            SEGX((M.e[bi] = be, M.e[bi].w = bad_w[i]), nd("%srun %u: bad table entry", P, bi),
                 "seg: run %u %s, line width %u", bi, what, bad_w[i]);
        SEGX((M.e[bi] = be, M.e[bi].eol = 2), nd("%srun %u: bad table entry", P, bi), "seg: run %u %s, eol 2", bi,
             what);
        SEGX((M.e[bi] = be, M.e[bi].eol = 255), nd("%srun %u: bad table entry", P, bi), "seg: run %u %s, eol 255",
             bi, what);
        M = S, M.e[bi] = be;
        k = seg_head_write(&M, h);
        size_t eo = 2 + var_put(tmp, S.nr, 0); /* the entry's offset in h */
        for (unsigned r = 0; r < bi; r++) eo += ent_put(tmp, &M.e[r]);
        const size_t vl = var_put(tmp, (uint64_t)be.v << 2 | be.kind, 0), wl = var_put(tmp, be.w, 0);
        lay_case(f, c, coded, h, eo + vl + wl, X_ERR, LMZ_error_corrupt, nd("%srun %u: bad table entry", P, bi),
                 "seg: run %u %s, payload ends before its eol byte", bi, what);
        lay_case(f, c, coded, h, eo + vl + wl - 1, X_ERR, LMZ_error_corrupt, nd("%srun %u: bad table entry", P, bi),
                 "seg: run %u %s, payload ends inside its width", bi, what);
        /* w in 6 bytes */
        memmove(h + eo + vl + 6, h + eo + vl + wl, k - (eo + vl + wl));
        var_put(h + eo + vl, be.w, 6);
        lay_case(f, c, hn, h, k + 6 - wl, X_ERR, LMZ_error_corrupt, nd("%srun %u: bad table entry", P, bi),
                 "seg: run %u %s, line width in 6 bytes", bi, what);
        if (b64 >= 0) {
            SEGX((M.e[bi].eol ^= 1), P, "seg: run %u base64, eol %u -> %u (length changes)", bi, be.eol, be.eol ^ 1);
            SEGC((M.e[bi].w += 4), X_SAFE, 0, NULL, "seg: run %u base64, line width %u -> %u", bi, be.w, be.w + 4);
            SEGC((M.e[bi].kind ^= 1), X_SAFE, 0, NULL, "seg: run %u base64 of %s -> of %s", bi,
                 be.kind == K_B64_TEXT ? "text" : "binary", be.kind == K_B64_TEXT ? "binary" : "text");
            SEGC((M.e[bi].v++), X_SAFE, 0, NULL, "seg: run %u base64, %u -> %u bytes", bi, be.v, be.v + 1);
        } else {
            SEGX((M.e[bi] = be), P, "seg: run 0 made base64 (its length changes)");
        }
    }
    /* text_coded */
    if (S.tc > 0 && tn > 0)
        SEGX((M.tc = 0), nd("%stext part: no coded bytes", C), "seg: text_coded 0");
    if (bn > 0)
        SEGX((M.tc = coded - (uint32_t)hn), nd("%sbinary part: no coded bytes", C),
             "seg: text_coded = the rest of the payload (no binary bytes)");
    SEGX((M.tc = coded - (uint32_t)hn + 1),
         nd("%stext part of %u bytes runs past the payload", P, coded - (uint32_t)hn + 1),
         "seg: text_coded past the payload by 1");
    SEGX((M.tc = 0xFFFFFFFFu), nd("%stext part of 4294967295 bytes runs past the payload", P),
         "seg: text_coded 2^32 - 1");
    SEGC((M.tc--), X_SAFE, 0, NULL, "seg: text_coded - 1 (parts' payloads shifted)");
    SEGC((M.tc++), X_SAFE, 0, NULL, "seg: text_coded + 1 (parts' payloads shifted)");
    /* the parts' methods */
    static const uint8_t bad_m[] = {5, 6, 7, 255};
    for (int i = 0; i < 4; i++) {
        SEGX((M.tm = bad_m[i]), nd("%stext part: method %u is not a plain method", C, bad_m[i]),
             "seg: text method %u", bad_m[i]);
        SEGX((M.bm = bad_m[i]), nd("%sbinary part: method %u is not a plain method", C, bad_m[i]),
             "seg: binary method %u", bad_m[i]);
    }
    if (S.tm != LMZ_M_STORED)
        SEGX((M.tm = LMZ_M_STORED), nd("%stext part: stored, but %u coded bytes for %zu", C, S.tc, tn),
             "seg: text method %u -> stored (sizes differ)", S.tm);
    if (S.bm != LMZ_M_STORED)
        SEGX((M.bm = LMZ_M_STORED), nd("%sbinary part: stored, but", C), "seg: binary method %u -> stored (sizes differ)",
             S.bm);
    else if (bn > 0)
        SEGX((M.bm = LMZ_M_ZSTD), "zstd", "seg: binary method stored -> zstd");
    else
        SEGX((M.bm = LMZ_M_ZSTD), nd("%sbinary part: empty, but 0 coded bytes of method 2", C),
             "seg: the empty binary part of method zstd");
    SEGC((M.tm = S.tm == LMZ_M_ZSTD ? LMZ_M_XZ : LMZ_M_ZSTD), X_ERR, LMZ_error_corrupt,
         S.tm == LMZ_M_ZSTD ? "xz" : "zstd", "seg: text method %u -> %u", S.tm, M.tm);
    /* other valid layouts of the same bytes: parts stored, other splits,
     * empty parts; and their damage */
    {
        M = S;
        M.bm = LMZ_M_STORED;
        k = seg_head_write(&M, h);
        memcpy(h + k, pl + hn, S.tc), k += S.tc;
        memcpy(h + k, bin, bn), k += bn;
        lay_case(f, c, coded, h, k, X_EXACT, 0, NULL, "seg: binary part re-coded as stored (valid)");
        M.tm = LMZ_M_STORED, M.tc = (uint32_t)tn;
        k = seg_head_write(&M, h);
        memcpy(h + k, t, tn), k += tn;
        memcpy(h + k, bin, bn), k += bn;
        lay_case(f, c, coded, h, k, X_EXACT, 0, NULL, "seg: both parts stored (valid)");
        h[k - bn / 2 - 1] ^= 0x20;
        lay_case(f, c, coded, h, k, X_ERR, LMZ_error_chunk_checksum,
                 nd("chunk %u (%u bytes at offset %zu): checksum mismatch", c, raw, at0),
                 "seg: both parts stored, one byte changed");
        M = S;
        M.tm = LMZ_M_STORED, M.tc = (uint32_t)tn;
        k = seg_head_write(&M, h);
        memcpy(h + k, t, tn), k += tn;
        memcpy(h + k, pl + hn + S.tc, coded - hn - S.tc), k += coded - hn - S.tc;
        lay_case(f, c, coded, h, k, X_EXACT, 0, NULL, "seg: text part re-coded as stored (valid)");
        /* any table is valid: 1 binary byte, then the rest as "text" */
        M.nr = M.nl = 2, M.e[0] = (seg_ent){K_BIN, 0, 1, 0}, M.e[1] = (seg_ent){K_TEXT, 0, raw - 1, 0};
        M.tm = M.bm = LMZ_M_STORED, M.tc = raw - 1;
        k = seg_head_write(&M, h);
        memcpy(h + k, f->orig + at0 + 1, raw - 1), k += raw - 1;
        h[k++] = f->orig[at0];
        lay_case(f, c, coded, h, k, X_EXACT, 0, NULL, "seg: 2 runs, 1 binary byte then the rest, stored (valid)");
        k = seg_head_write(&M, h);
        h[k] = f->orig[at0];
        memcpy(h + k + 1, f->orig + at0 + 1, raw - 1);
        lay_case(f, c, coded, h, k + raw, X_ERR, LMZ_error_chunk_checksum, "checksum mismatch",
                 "seg: the same, the binary byte first in the payload (valid, other bytes)");
        /* one run: the other part empty (stored, no bytes) */
        M.nr = M.nl = 1, M.e[0] = (seg_ent){K_TEXT, 0, raw, 0}, M.tc = raw;
        k = seg_head_write(&M, h);
        memcpy(h + k, f->orig + at0, raw), k += raw;
        lay_case(f, c, coded, h, k, X_EXACT, 0, NULL, "seg: one text run, stored; binary part empty (valid)");
        h[k] = 'x';
        lay_case(f, c, coded, h, k + 1, X_ERR, LMZ_error_corrupt,
                 nd("%sbinary part: empty, but 1 coded bytes of method 0", C), "seg: the same, 1 byte after the text part");
        M.bm = LMZ_M_ZSTD;
        k = seg_head_write(&M, h);
        memcpy(h + k, f->orig + at0, raw), k += raw;
        lay_case(f, c, coded, h, k, X_ERR, LMZ_error_corrupt, nd("%sbinary part: empty, but 0 coded bytes of method 2", C),
                 "seg: the same, the empty binary part of method zstd");
        M.bm = LMZ_M_STORED, M.e[0].kind = K_BIN, M.tc = 0;
        k = seg_head_write(&M, h);
        memcpy(h + k, f->orig + at0, raw), k += raw;
        lay_case(f, c, coded, h, k, X_EXACT, 0, NULL, "seg: one binary run, stored; text part empty (valid)");
    }
#undef SEGX
#undef SEGC
    free(h);
    free(t);
    free(bin);
}

/* Damaged `utf16` payloads: chunk c of f. */
static void utf16_cases(const frame *f, unsigned c) {
    lmz_chunk_info_t ci;
    size_t at0;
    CHECK(chunk_at(f, c, &ci, &at0) == 0 && ci.method == LMZ_METHOD_UTF16, "%s: chunk %u is utf16", f->name, c);
    const uint8_t *pl = f->b + ci.offset;
    const uint32_t raw = ci.raw_size, coded = ci.coded_size, U = lmz_rd32(pl + 2);
    const uint8_t order = pl[0], m = pl[1];
    uint8_t *h = malloc(2 * 4096), *u8 = malloc(3 * 4096);
    const size_t un = lmz_utf16_to_utf8(f->orig + at0, raw, order, u8, 3 * 4096);
    CHECK(un == U, "%s: chunk %u: utf8_size %u is the size of the UTF-8 form (%zu)", f->name, c, U, un);
    char P[64];
    snprintf(P, sizeof P, "chunk %u: utf16 chunk: ", c);
#define U16C(edit_, kind, want, needle, ...)                                                                    \
    do {                                                                                                       \
        memcpy(h, pl, 6);                                                                                      \
        edit_;                                                                                                 \
        lay_case(f, c, 6, h, 6, kind, want, needle, __VA_ARGS__);                                              \
    } while (0)
    U16C((h[0] = 2), X_ERR, LMZ_error_corrupt, nd("%sbyte order 2", P), "utf16: byte order 2");
    U16C((h[0] = 255), X_ERR, LMZ_error_corrupt, nd("%sbyte order 255", P), "utf16: byte order 255");
    U16C((h[0] ^= 1), X_ERR, LMZ_error_chunk_checksum, "checksum mismatch",
         "utf16: byte order %u -> %u (valid, other bytes)", order, order ^ 1);
    static const uint8_t bad_m[] = {5, 6, 7, 255};
    for (int i = 0; i < 4; i++)
        U16C((h[1] = bad_m[i]), X_ERR, LMZ_error_corrupt,
             nd("chunk %u: utf16 part: method %u is not a plain method", c, bad_m[i]), "utf16: inner method %u",
             bad_m[i]);
    if (m != LMZ_M_STORED)
        U16C((h[1] = LMZ_M_STORED), X_ERR, LMZ_error_corrupt, "stored, but",
             "utf16: inner method %u -> stored (sizes differ)", m);
    U16C((h[1] = m == LMZ_M_ZSTD ? LMZ_M_XZ : LMZ_M_ZSTD), X_ERR, LMZ_error_corrupt, m == LMZ_M_ZSTD ? "xz" : "zstd",
         "utf16: inner method %u -> %u", m, m == LMZ_M_ZSTD ? LMZ_M_XZ : LMZ_M_ZSTD);
    const uint32_t bad_u[] = {0, raw / 2 - 1, raw / 2 * 3 + 1, 0xFFFFFFFFu};
    for (int i = 0; i < 4; i++)
        U16C(lmz_wr32(h + 2, bad_u[i]), X_ERR, LMZ_error_corrupt,
             nd("%s%u UTF-8 bytes cannot make %u UTF-16 bytes", P, bad_u[i], raw), "utf16: utf8_size %u (raw_size %u)",
             bad_u[i], raw);
    U16C(lmz_wr32(h + 2, U + 1), X_SAFE, 0, NULL, "utf16: utf8_size + 1");
    U16C(lmz_wr32(h + 2, U - 1), X_SAFE, 0, NULL, "utf16: utf8_size - 1");
    U16C(lmz_wr32(h + 2, raw / 2), X_SAFE, 0, NULL, "utf16: utf8_size raw_size / 2 (the least possible)");
    memcpy(h, pl, 6);
    lay_case(f, c, coded, h, 6, X_ERR, LMZ_error_corrupt, nd("%spayload of 6 bytes", P),
             "utf16: payload of 6 bytes (no part)");
    lay_case(f, c, coded, h, 1, X_ERR, LMZ_error_corrupt, nd("%spayload of 1 bytes", P), "utf16: payload of 1 byte");
    /* the part stored: the UTF-8 form itself, then damaged */
    h[1] = LMZ_M_STORED;
    memcpy(h + 6, u8, un);
    lay_case(f, c, coded, h, 6 + un, X_EXACT, 0, NULL, "utf16: part re-coded as stored (valid)");
    const char *dnm = nd("%sthe UTF-8 form does not make %u UTF-16 bytes", P, raw);
    /* (positions past the BOM, in ASCII text) */
    size_t q = un / 2;
    while (q + 4 < un && (u8[q] >= 0x80 || u8[q + 1] >= 0x80 || u8[q + 2] >= 0x80 || u8[q + 3] >= 0x80)) q++;
    static const struct {
        const char *bytes, *what;
        int n;
    } bad8[] = {{"\xff", "a byte 0xFF", 1},
                {"\xc0\xaf", "an overlong '/' (C0 AF)", 2},
                {"\xed\xa0\x80", "a surrogate code point (ED A0 80)", 3},
                {"\xf4\x90\x80\x80", "a code point above U+10FFFF", 4},
                {"\xe2\x82", "a cut 3-byte sequence", 2},
                {"\xe2\x82\xac", "a 3-byte character for 3 ASCII ones (fewer UTF-16 bytes)", 3},
                {"\xf0\x9f\x98\x80", "a 4-byte character for 4 ASCII ones (fewer UTF-16 bytes)", 4}};
    for (size_t i = 0; i < sizeof bad8 / sizeof *bad8; i++) {
        memcpy(h + 6, u8, un);
        memcpy(h + 6 + q, bad8[i].bytes, (size_t)bad8[i].n);
        lay_case(f, c, coded, h, 6 + un, X_ERR, LMZ_error_corrupt, dnm, "utf16: stored part with %s", bad8[i].what);
    }
    memcpy(h + 6, u8, un);
    h[6 + un - 1] = 0xE2; /* a sequence cut by the end of the part */
    lay_case(f, c, coded, h, 6 + un, X_ERR, LMZ_error_corrupt, dnm, "utf16: stored part ending inside a sequence");
    memcpy(h + 6, u8, un);
    h[6 + q] ^= 0x01; /* still ASCII */
    lay_case(f, c, coded, h, 6 + un, X_ERR, LMZ_error_chunk_checksum, "checksum mismatch",
             "utf16: stored part, one ASCII letter changed");
    memcpy(h + 6, u8, un);
    lmz_wr32(h + 2, (uint32_t)un - 1);
    lay_case(f, c, coded, h, 6 + un - 1, X_ERR, LMZ_error_corrupt, dnm, "utf16: stored part 1 byte short");
#undef U16C
    free(h);
    free(u8);
}

/* Sizes in the chunk table of a utf16 chunk (header re-sealed, original_size
 * following): raw_size odd, or even but not what the UTF-8 form makes. */
static void utf16_table_cases(const frame *f, unsigned c) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    const size_t b0 = fbase(f->b), en = fentry(f->b, c);
    const uint32_t raw = lmz_rd32(f->b + en + E_RAW);
    const uint64_t osz = lmz_rd64(f->b + b0 + F_ORIG);
    static const int delta[] = {-1, 1, -2, 2};
    g_ed_cat = T_LAYOUT;
    for (int i = 0; i < 4; i++) {
        edit e = ed_begin(f);
        setv(e.b, en + E_RAW, 4, raw + (uint32_t)delta[i]);
        setv(e.b, b0 + F_ORIG, 8, osz + (uint64_t)(int64_t)delta[i]);
        if (delta[i] % 2)
            ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt,
                   nd("chunk %u: utf16 chunk: odd raw size %u", c, raw + (uint32_t)delta[i]),
                   "chunk %u utf16: raw_size %+d (odd)", c, delta[i]);
        else
            ed_end(
                &e, f, 1, &p, X_ERR, LMZ_error_corrupt,
                nd("chunk %u: utf16 chunk: the UTF-8 form does not make %u UTF-16 bytes", c, raw + (uint32_t)delta[i]),
                "chunk %u utf16: raw_size %+d (even, not what the part makes)", c, delta[i]);
    }
    g_ed_cat = T_FIELDS;
}

/* ======================================================================== */
/* Resource limits: decompression bombs                                      */
/* ======================================================================== */

/* A header whose table claims n chunks of raw bytes each, all of method m
 * with the given coded size. Returns the header bytes (malloc'd). */
static uint8_t *bomb_header(uint32_t n, uint32_t raw, uint8_t m, uint32_t coded, size_t *out_n) {
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    lmz_model_sha256(g_model, h.model_sha256);
    strcpy(h.model_name, "bomb");
    h.window = lmz_rd16(g_big.b + fbase(g_big.b) + F_WINDOW); /* as the codec writes them */
    h.overlap = lmz_rd16(g_big.b + fbase(g_big.b) + F_OVERLAP);
    h.chunk_size = raw;
    h.n_chunks = n;
    h.original_size = (uint64_t)n * raw;
    h.content_checksum = 0;
    h.chunks = calloc(n, sizeof *h.chunks);
    for (uint32_t i = 0; i < n; i++) h.chunks[i] = (lmz_chunk_info){raw, coded, m, 0, 0};
    size_t hs = frame_header_size(&h);
    uint8_t *b = malloc(hs + 64);
    memset(b, 0, hs + 64);
    *out_n = frame_write_header(&h, b, hs);
    free(h.chunks);
    return b;
}

static void limit_case(const char *what, const uint8_t *b, size_t n, uint64_t limit, lmz_error_code want,
                       const char *needle) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    p.memory_limit = limit;
    char msg[LMZ_MSG_MAX];
    const long rss0 = peak_rss_kib();
    const double t0 = now_s();
    size_t r = decode(g_model, b, n, &p, g_dst, DST_CAP, msg, sizeof msg);
    const double dt = now_s() - t0;
    const long grew = peak_rss_kib() - rss0;
    tally *t = &g_t[T_LIMITS];
    t->cases++;
    if (lmz_is_error(r)) {
        t->rejected++;
        t->by_code[lmz_get_error_code(r)]++;
    } else {
        t->wrong++;
    }
    int ok = lmz_get_error_code(r) == want && (!needle || strstr(msg, needle)) && grew < 32 * 1024 && dt < 5.0;
    t->unexpected += !ok;
    CHECK(ok, "%s: %s (%s), peak RSS +%ld KiB, %.3f s", what, lmz_error_name(r), msg, grew, dt);
    char lim[32];
    if (limit) snprintf(lim, sizeof lim, "%llu MiB", (unsigned long long)(limit >> 20));
    else snprintf(lim, sizeof lim, "default");
    printf("CASE | %s | %s, limit %s | %s | %s | %s (peak RSS +%ld KiB, %.3f s)\n", t->name, what, lim,
           lmz_error_name(LMZ_ERR(want)), lmz_error_name(r), msg, grew, dt);
}

static void resource_limits(void) {
    size_t n;
    /* 65536 stored chunks of 64 MiB: 4 TiB of content, 4 TiB of payload */
    uint8_t *b = bomb_header(65536, 1u << 26, LMZ_M_STORED, 1u << 26, &n);
    CHECK(!lmz_is_error(n), "bomb header");
    lmz_frame_info_t fi;
    CHECK(!lmz_is_error(lmz_frame_info(b, n, &fi)) && fi.original_size == 1ull << 42, "bomb: frame_info");
    CHECK(lmz_decompressed_size(b, n) == LMZ_ERR(LMZ_error_src_size), "bomb: decompressed_size of the header alone");
    limit_case("4 TiB frame, 65536 stored chunks (header only)", b, n, 0, LMZ_error_memory_limit, "limit");
    limit_case("4 TiB frame, 65536 stored chunks (header only)", b, n, 64u << 20, LMZ_error_memory_limit, "limit");
    /* the stream refuses as soon as the header is in, without the payload */
    {
        lmz_params p;
        lmz_params_default(&p);
        p.memory_limit = 64u << 20;
        lmz_dstream *s = lmz_dstream_create(g_model, &p);
        lmz_in_buffer in = {b, n, 0};
        lmz_out_buffer out = {g_dst, DST_CAP, 0};
        size_t r;
        do r = lmz_decompress_stream(s, &out, &in);
        while (!lmz_is_error(r) && in.pos < in.size);
        CHECK(lmz_get_error_code(r) == LMZ_error_memory_limit && in.pos <= n && out.pos == 0,
              "bomb: stream did not refuse at the header (%s)", lmz_error_name(r));
        lmz_dstream_free(s);
    }
    free(b);
    /* 16 lm chunks of 64 MiB with 1-byte payloads: 1 GiB out of 16 bytes */
    b = bomb_header(16, 1u << 26, LMZ_M_LM, 1, &n);
    memset(b + n, 0x55, 16);
    limit_case("1 GiB from 16 payload bytes, 16 lm chunks", b, n + 16, 0, LMZ_error_memory_limit, "limit");
    limit_case("1 GiB from 16 payload bytes, 16 lm chunks", b, n + 16, 64u << 20, LMZ_error_memory_limit, "limit");
    free(b);
    /* one stored chunk of 64 MiB, payload absent */
    b = bomb_header(1, 1u << 26, LMZ_M_STORED, 1u << 26, &n);
    limit_case("64 MiB stored chunk, payload absent", b, n, 64u << 20, LMZ_error_memory_limit, "limit");
    limit_case("64 MiB stored chunk, payload absent", b, n, 0, LMZ_error_src_size, NULL);
    free(b);
    /* an ordinary frame under a limit below its needs */
    {
        lmz_params p;
        lmz_params_default(&p);
        p.memory_limit = 64u << 10; /* 64 KiB: less than the frame and its output */
        size_t r = lmz_decompress(g_model, g_dst, DST_CAP, g_big.b, g_big.n, &p);
        g_t[T_LIMITS].cases++;
        g_t[T_LIMITS].rejected += lmz_is_error(r) != 0;
        if (lmz_is_error(r)) g_t[T_LIMITS].by_code[lmz_get_error_code(r)]++;
        int ok = lmz_get_error_code(r) == LMZ_error_memory_limit;
        g_t[T_LIMITS].unexpected += !ok;
        CHECK(ok, "64 KiB limit on the big frame: %s", lmz_error_name(r));
        printf("CASE | %s | big frame (3 lm chunks), limit 64 KiB | %s | %s | -\n", g_t[T_LIMITS].name,
               lmz_error_name(LMZ_ERR(LMZ_error_memory_limit)), lmz_error_name(r));
    }
}

/* ======================================================================== */
/* GGUF                                                                      */
/* ======================================================================== */

/* Where the fields of the (valid) tiny model file are. */
typedef struct {
    char key[64];
    size_t key_off;  /* the key's u64 length */
    size_t type_off; /* u32 type */
    size_t val_off;  /* the value; for arrays the u32 element type */
    uint32_t type;
} gkv;
typedef struct {
    char name[64];
    size_t name_off, ndims_off, ne_off, type_off, offset_off;
} gten;
static struct {
    gkv kv[64];
    int nkv;
    gten t[64];
    int nt;
    size_t data_off, infos_end;
} G;

static size_t scalar_size(uint32_t t) {
    static const size_t s[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < 13 ? s[t] : 0;
}

static size_t skip_val(const uint8_t *b, size_t p, uint32_t type) {
    if (scalar_size(type)) return p + scalar_size(type);
    if (type == 8) return p + 8 + lmz_rd64(b + p);
    /* array of scalars or strings */
    uint32_t et = lmz_rd32(b + p);
    uint64_t n = lmz_rd64(b + p + 4);
    p += 12;
    for (uint64_t i = 0; i < n; i++) p = skip_val(b, p, et);
    return p;
}

static void gguf_map(const uint8_t *b) {
    memset(&G, 0, sizeof G);
    uint64_t nt = lmz_rd64(b + 8), nkv = lmz_rd64(b + 16);
    size_t p = 24;
    for (uint64_t i = 0; i < nkv && i < 64; i++) {
        gkv *k = &G.kv[G.nkv++];
        k->key_off = p;
        uint64_t l = lmz_rd64(b + p);
        snprintf(k->key, sizeof k->key, "%.*s", (int)l, (const char *)b + p + 8);
        p += 8 + l;
        k->type_off = p;
        k->type = lmz_rd32(b + p);
        p += 4;
        k->val_off = p;
        p = skip_val(b, p, k->type);
    }
    for (uint64_t i = 0; i < nt && i < 64; i++) {
        gten *t = &G.t[G.nt++];
        t->name_off = p;
        uint64_t l = lmz_rd64(b + p);
        snprintf(t->name, sizeof t->name, "%.*s", (int)l, (const char *)b + p + 8);
        p += 8 + l;
        t->ndims_off = p;
        uint32_t nd = lmz_rd32(b + p);
        p += 4;
        t->ne_off = p;
        p += 8 * (size_t)nd;
        t->type_off = p;
        p += 4;
        t->offset_off = p;
        p += 8;
    }
    G.infos_end = p;
    G.data_off = (p + 31) / 32 * 32;
}

static const gkv *gk(const char *key) {
    for (int i = 0; i < G.nkv; i++)
        if (!strcmp(G.kv[i].key, key)) return &G.kv[i];
    fprintf(stderr, "test_faults: key %s not in the tiny model\n", key);
    abort(); /* test bug */
}
static const gten *gt(const char *name) {
    for (int i = 0; i < G.nt; i++)
        if (!strcmp(G.t[i].name, name)) return &G.t[i];
    fprintf(stderr, "test_faults: tensor %s not in the tiny model\n", name);
    abort();
}
/* offset of the u64 length of token i's string */
static size_t token_off(const uint8_t *b, uint32_t i) {
    size_t p = gk("tokenizer.ggml.tokens")->val_off + 12;
    for (uint32_t k = 0; k < i; k++) p += 8 + lmz_rd64(b + p);
    return p;
}

/* which key or tensor info a byte of the file belongs to (for messages) */
static const char *gregion(size_t byte) {
    static char r[96];
    if (byte < 24) return "file header";
    if (byte >= G.data_off) return "tensor data";
    if (byte >= G.infos_end) return "padding";
    if (byte < G.t[0].name_off)
        for (int i = G.nkv - 1; i >= 0; i--)
            if (byte >= G.kv[i].key_off) {
                snprintf(r, sizeof r, "key %s", G.kv[i].key);
                return r;
            }
    for (int i = G.nt - 1; i >= 0; i--)
        if (byte >= G.t[i].name_off) {
            snprintf(r, sizeof r, "tensor info %s", G.t[i].name);
            return r;
        }
    return "?";
}

static const char k_probe[] = "The cat sat on the mat. caf\xc3\xa9 \xe2\x96\x81 1865";

/* Loads b[0..n) as a model; tallies; checks the expectation. An accepted
 * model must compress and decompress a short text back exactly. */
static void gjudge(int cat, const uint8_t *b, size_t n, int kind, lmz_error_code want, const char *needle,
                   const char *what, int print, int probe) {
    uint8_t *c = malloc(n ? n : 1);
    if (n) memcpy(c, b, n);
    size_t err = 0;
    char msg[256] = "";
    lmz_model *m = lmz_model_load_buffer(c, n, &err, msg, sizeof msg);
    tally *t = &g_t[cat];
    t->cases++;
    int works = 0;
    if (m) {
        works = 1;
        if (probe) {
            lmz_params p;
            lmz_params_default(&p);
            p.threads = 1;
            p.fallback = 0;
            uint8_t z[1024], d[sizeof k_probe];
            size_t cs = lmz_compress(m, z, sizeof z, k_probe, sizeof k_probe - 1, &p);
            size_t ds = lmz_is_error(cs) ? cs : lmz_decompress(m, d, sizeof d, z, cs, &p);
            works = ds == sizeof k_probe - 1 && memcmp(d, k_probe, ds) == 0;
            if (!works) snprintf(msg, sizeof msg, "loaded, but the round trip failed: %s", lmz_error_name(ds));
        }
        lmz_model_free(m);
        if (works) t->exact++;
        else t->wrong++;
    } else {
        t->rejected++;
        t->by_code[lmz_get_error_code(err)]++;
    }
    int ok;
    if (kind == X_ERR)
        ok = !m && lmz_get_error_code(err) == want && (!needle || strstr(msg, needle)) && msg[0];
    else if (kind == X_EXACT)
        ok = m && works;
    else
        ok = (!m && msg[0]) || works;
    if (!ok) {
        t->unexpected++;
        failed(t, !print, "%s: got %s '%s', expected %s%s%s", what, m ? "a model" : lmz_error_name(err), msg,
               kind == X_ERR ? lmz_error_name(LMZ_ERR(want)) : "a working model", needle ? " naming " : "",
               needle ? needle : "");
    } else if (print) {
        check_pass_++;
    }
    if (print)
        printf("CASE | %s | %s | %s | %s | %s\n", t->name, what,
               kind == X_ERR ? lmz_error_name(LMZ_ERR(want)) : kind == X_EXACT ? "loads and works" : "rejected or works",
               m ? (works ? "loads and works" : "LOADS, BROKEN") : lmz_error_name(err), m ? "-" : msg);
    free(c);
}

typedef struct {
    uint8_t *b;
    size_t n;
} gedit;
static gedit ge_begin(void) {
    gedit e = {malloc(g_gguf_n + 8192), g_gguf_n};
    memcpy(e.b, g_gguf, g_gguf_n);
    return e;
}
static void ge_end(gedit *e, int kind, lmz_error_code want, const char *needle, const char *fmt, ...) {
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    gjudge(T_GFIELDS, e->b, e->n, kind, want, needle, what, 1, 1);
    free(e->b);
}
/* inserts k bytes (k a multiple of 32 keeps the data section aligned) */
static void ge_insert(gedit *e, size_t at, const void *bytes, size_t k) {
    memmove(e->b + at + k, e->b + at, e->n - at);
    if (bytes) memcpy(e->b + at, bytes, k);
    e->n += k;
}

static void gguf_truncations_and_flips(void) {
    /* every truncation */
    for (size_t k = 0; k < g_gguf_n; k++)
        gjudge(T_GTRUNC, g_gguf, k, X_ERR, LMZ_error_model_invalid, NULL, "truncated", 0, 0);
    /* bit flips: every bit of the fixed header, the keys, types and scalar
     * values and the tensor infos; 1 bit in 3 of the vocabulary arrays
     * (1 in 17 quick); 1 bit in 97 of the tensor data (1 in 499 quick). An
     * accepted model must work: probed every 16th time. */
    uint8_t *bad = malloc(g_gguf_n);
    const gkv *tokens = gk("tokenizer.ggml.tokens");
    const size_t vocab_lo = tokens->val_off, vocab_hi = gk("tokenizer.ggml.unknown_token_id")->key_off;
    long accepted = 0;
    for (size_t bit = 0; bit < g_gguf_n * 8; bit++) {
        const size_t byte = bit / 8;
        int take;
        if (byte >= G.data_off) take = bit % (g_quick ? 499 : 97) == 0;
        else if (byte >= vocab_lo && byte < vocab_hi) take = bit % (g_quick ? 17 : 3) == 0;
        else take = !g_quick || bit % 2 == 0;
        if (!take) continue;
        memcpy(bad, g_gguf, g_gguf_n);
        bad[byte] ^= (uint8_t)(1u << (bit % 8));
        long before = g_t[T_GFLIP].exact;
        char what[160];
        snprintf(what, sizeof what, "bit flip at byte %zu bit %zu (%s)", byte, bit % 8, gregion(byte));
        gjudge(T_GFLIP, bad, g_gguf_n, X_SAFE, 0, NULL, what, 0, accepted % 16 == 0);
        if (g_t[T_GFLIP].exact != before) accepted++;
    }
    free(bad);
}

static void gguf_fields(void) {
    gedit e;
    /* the file header */
    e = ge_begin(), e.b[3] = 'X';
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "magic", "magic GGUX");
    static const uint32_t vers[] = {1, 4, 0xFFFFFFFFu};
    for (int i = 0; i < 3; i++) {
        e = ge_begin(), setv(e.b, 4, 4, vers[i]);
        ge_end(&e, X_ERR, LMZ_error_unsupported, "version", "version %u", vers[i]);
    }
    const uint64_t nt = lmz_rd64(g_gguf + 8), nkv = lmz_rd64(g_gguf + 16);
    static const uint64_t huge[] = {1ull << 40, 1ull << 62, UINT64_MAX};
    for (int i = 0; i < 3; i++) {
        e = ge_begin(), setv(e.b, 8, 8, huge[i]);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "counts", "n_tensors %llu", (unsigned long long)huge[i]);
        e = ge_begin(), setv(e.b, 16, 8, huge[i]);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "counts", "n_kv %llu", (unsigned long long)huge[i]);
    }
    e = ge_begin(), setv(e.b, 16, 8, nkv - 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, NULL, "n_kv - 1 (last key read as a tensor info)");
    e = ge_begin(), setv(e.b, 16, 8, nkv + 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, NULL, "n_kv + 1 (first tensor info read as a key)");
    e = ge_begin(), setv(e.b, 8, 8, nt - 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, NULL, "n_tensors - 1");
    e = ge_begin(), setv(e.b, 8, 8, nt + 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, NULL, "n_tensors + 1");
    e = ge_begin(), setv(e.b, 8, 8, 0), setv(e.b, 16, 8, 0);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "tokenizer", "no keys, no tensors");

    /* keys and values */
    const gkv *name = gk("general.name"), *bos = gk("tokenizer.ggml.add_bos_token");
    e = ge_begin(), setv(e.b, name->key_off, 8, 0);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "key length", "key length 0");
    e = ge_begin(), setv(e.b, name->key_off, 8, 1ull << 40);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "key length 2^40");
    e = ge_begin(), e.b[name->key_off + 8 + 3] = 0;
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "NUL", "NUL byte in a key");
    e = ge_begin(), memcpy(e.b + gk("llama.rope.freq_base")->key_off + 8, "llama.context_length", 20);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "duplicate", "duplicate key llama.context_length");
    static const uint32_t bad_types[] = {13, 0xFFFFFFFFu};
    for (int i = 0; i < 2; i++) {
        e = ge_begin(), setv(e.b, name->type_off, 4, bad_types[i]);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "unknown type", "value type %u", bad_types[i]);
    }
    e = ge_begin(), setv(e.b, name->val_off, 8, 1ull << 62);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "string length", "string value length 2^62");
    e = ge_begin(), e.b[bos->val_off] = 2;
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "bool", "bool value 2");
    const gkv *toks = gk("tokenizer.ggml.tokens"), *scores = gk("tokenizer.ggml.scores"),
              *types = gk("tokenizer.ggml.token_type");
    e = ge_begin(), setv(e.b, toks->val_off, 4, 13);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "element type", "tokens: array element type 13");
    e = ge_begin(), setv(e.b, toks->val_off + 4, 8, 1ull << 60);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "array count", "tokens: array count 2^60");
    e = ge_begin(), setv(e.b, scores->val_off + 4, 8, 1ull << 60);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "scores: array count 2^60");
    e = ge_begin(), setv(e.b, scores->val_off, 4, 5 /* i32 */);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "scores", "scores: element type f32 -> i32");
    e = ge_begin(), setv(e.b, types->val_off, 4, 4 /* u32 */);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "token_type", "token_type: element type i32 -> u32");
    {
        /* arrays nested 5 deep (limit 4): a new key, 32-byte multiple */
        uint8_t kv[256];
        memset(kv, 0, sizeof kv);
        size_t p = 0, klen = 0;
        const char *key = "test.nested";
        klen = strlen(key);
        /* key(8+klen) type(4) + 5 x (u32 9, u64 1) + final (u32 4, u64 1, u32 0) = 8+11+4+60+16 = 99: pad
         * the key instead to get a multiple of 32 */
        size_t body = 4 + 5 * 12 + 12 + 4, total = 8 + klen + body;
        size_t padk = (32 - total % 32) % 32;
        char kbuf[64];
        memset(kbuf, 'k', sizeof kbuf);
        memcpy(kbuf, key, klen);
        klen += padk;
        setv(kv, p, 8, klen), p += 8;
        memcpy(kv + p, kbuf, klen), p += klen;
        setv(kv, p, 4, 9), p += 4; /* ARRAY */
        for (int d = 0; d < 5; d++) setv(kv, p, 4, 9), setv(kv, p + 4, 8, 1), p += 12;
        setv(kv, p, 4, 4), setv(kv, p + 4, 8, 1), p += 12;
        setv(kv, p, 4, 0), p += 4;
        e = ge_begin();
        ge_insert(&e, G.kv[G.nkv - 1].key_off, kv, p);
        setv(e.b, 16, 8, nkv + 1);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "nested", "arrays nested 6 deep");
        /* 3 deep is fine: same bytes with two levels less, padded to 32 */
        p = 0;
        total = 8 + strlen(key) + 4 + 3 * 12 + 12 + 4;
        padk = (32 - total % 32) % 32;
        klen = strlen(key) + padk;
        setv(kv, p, 8, klen), p += 8;
        memcpy(kv + p, kbuf, klen), p += klen;
        setv(kv, p, 4, 9), p += 4;
        for (int d = 0; d < 3; d++) setv(kv, p, 4, 9), setv(kv, p + 4, 8, 1), p += 12;
        setv(kv, p, 4, 4), setv(kv, p + 4, 8, 1), p += 12;
        setv(kv, p, 4, 7), p += 4;
        e = ge_begin();
        ge_insert(&e, G.kv[G.nkv - 1].key_off, kv, p);
        setv(e.b, 16, 8, nkv + 1);
        ge_end(&e, X_EXACT, 0, NULL, "an unknown key: arrays nested 4 deep (allowed)");
    }
    /* alignment */
    const gkv *al = gk("general.alignment");
    static const uint32_t aligns[] = {0, 3, 48, 1u << 17};
    for (int i = 0; i < 4; i++) {
        e = ge_begin(), setv(e.b, al->val_off, 4, aligns[i]);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "alignment", "general.alignment %u", aligns[i]);
    }
    e = ge_begin(), setv(e.b, al->val_off, 4, 64);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "alignment", "general.alignment 64 (offsets misaligned)");

    /* tensor infos */
    const gten *emb = gt("token_embd.weight"), *qw = gt("blk.0.attn_q.weight"), *kw = gt("blk.0.attn_k.weight"),
               *on = gt("output_norm.weight");
    e = ge_begin(), setv(e.b, emb->name_off, 8, 0);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "name length", "tensor name length 0");
    e = ge_begin(), setv(e.b, emb->name_off, 8, 1ull << 50);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "tensor name length 2^50");
    e = ge_begin(), memcpy(e.b + kw->name_off + 8, "blk.0.attn_q.weight", 19);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "duplicate", "duplicate tensor name blk.0.attn_q.weight");
    e = ge_begin(), e.b[on->name_off + 8 + 7] = 'X';
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "missing tensor", "output_norm.weight renamed");
    static const uint32_t nds[] = {0, 5, 0xFFFFFFFFu};
    for (int i = 0; i < 3; i++) {
        e = ge_begin(), setv(e.b, qw->ndims_off, 4, nds[i]);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "n_dims", "tensor n_dims %u", nds[i]);
    }
    e = ge_begin(), setv(e.b, qw->ne_off, 8, 0);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "out of range", "tensor ne[0] = 0");
    e = ge_begin(), setv(e.b, qw->ne_off + 8, 8, 1ull << 62);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "overflows", "tensor ne[1] = 2^62 (element count overflows)");
    e = ge_begin(), setv(e.b, qw->ne_off + 8, 8, 1ull << 40);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "tensor ne[1] = 2^40 (data past the end)");
    e = ge_begin(), setv(e.b, qw->ne_off, 8, 33);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "block size", "tensor ne[0] = 33 (not a Q8_0 block multiple)");
    static const uint32_t tt[] = {99, 0xFFFFFFFFu};
    for (int i = 0; i < 2; i++) {
        e = ge_begin(), setv(e.b, qw->type_off, 4, tt[i]);
        ge_end(&e, X_ERR, LMZ_error_unsupported, "tensor type", "tensor type %u", tt[i]);
    }
    e = ge_begin(), setv(e.b, emb->type_off, 4, 0 /* F32 */);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "token_embd Q8_0 -> F32 (4x the bytes)");
    e = ge_begin(), setv(e.b, qw->type_off, 4, 2 /* Q4_0: fewer bytes, still inside */);
    ge_end(&e, X_SAFE, 0, NULL, "attn_q Q8_0 -> Q4_0 (reinterpreted)");
    const uint64_t qoff = lmz_rd64(g_gguf + qw->offset_off);
    e = ge_begin(), setv(e.b, qw->offset_off, 8, qoff + 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "alignment", "tensor offset + 1 (misaligned)");
    e = ge_begin(), setv(e.b, qw->offset_off, 8, 1ull << 40);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "tensor offset 2^40");
    e = ge_begin(), setv(e.b, qw->offset_off, 8, UINT64_MAX - 31);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "past end", "tensor offset 2^64 - 32 (wraps)");
    e = ge_begin(), setv(e.b, qw->offset_off, 8, lmz_rd64(g_gguf + kw->offset_off));
    ge_end(&e, X_SAFE, 0, NULL, "attn_q offset = attn_k offset (overlapping data)");

    /* shapes against the vocabulary and the hyper-parameters */
    const uint64_t nv = lmz_rd64(g_gguf + emb->ne_off + 8);
    e = ge_begin(), setv(e.b, emb->ne_off + 8, 8, nv - 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "tokenizer has", "token_embd rows = vocabulary - 1");
    e = ge_begin(), setv(e.b, emb->ne_off + 8, 8, 100);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "vocabulary size", "token_embd rows = 100");
    e = ge_begin(), setv(e.b, qw->ne_off + 8, 8, 16);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "shape", "attn_q rows 32 -> 16");
    struct {
        const char *key;
        uint32_t v;
        lmz_error_code code;
        const char *needle;
    } hp[] = {
        {"llama.context_length", 0, LMZ_error_model_invalid, "context_length"},
        {"llama.context_length", 1u << 25, LMZ_error_model_invalid, "context_length"},
        {"llama.embedding_length", 0, LMZ_error_model_invalid, "embedding_length"},
        {"llama.embedding_length", 48, LMZ_error_unsupported, "multiples of 32"},
        {"llama.embedding_length", 64, LMZ_error_model_invalid, "shape"},
        {"llama.block_count", 0, LMZ_error_model_invalid, "block_count"},
        {"llama.block_count", 2, LMZ_error_model_invalid, "missing tensor blk.1"},
        {"llama.feed_forward_length", 48, LMZ_error_unsupported, "multiples of 32"},
        {"llama.feed_forward_length", 64, LMZ_error_model_invalid, "shape"},
        {"llama.attention.head_count", 0, LMZ_error_model_invalid, "head_count"},
        {"llama.attention.head_count", 3, LMZ_error_model_invalid, "divisible"},
        {"llama.attention.head_count_kv", 2, LMZ_error_model_invalid, "head_count_kv"},
        {"llama.rope.dimension_count", 3, LMZ_error_model_invalid, "rope dimension"},
        {"llama.rope.dimension_count", 64, LMZ_error_model_invalid, "rope dimension"},
    };
    for (size_t i = 0; i < sizeof hp / sizeof *hp; i++) {
        e = ge_begin(), setv(e.b, gk(hp[i].key)->val_off, 4, hp[i].v);
        ge_end(&e, X_ERR, hp[i].code, hp[i].needle, "%s = %u", hp[i].key, hp[i].v);
    }
    /* Dimensions far beyond what the file holds: 1024 layers x 65536 wide
     * (about 88 TB of weights) over the tiny model's tensors. llama_init
     * checks every tensor's shape before it allocates anything, so this is a
     * shape error, not an allocation of the declared size. */
    e = ge_begin(), setv(e.b, gk("llama.embedding_length")->val_off, 4, 65536),
    setv(e.b, gk("llama.attention.head_count")->val_off, 4, 2048),
    setv(e.b, gk("llama.attention.head_count_kv")->val_off, 4, 2048),
    setv(e.b, gk("llama.feed_forward_length")->val_off, 4, 262144), setv(e.b, gk("llama.block_count")->val_off, 4, 1024);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "shape", "hyper-parameters declaring 88 TB of weights (tensors absent)");
    e = ge_begin(), setv(e.b, gk("llama.context_length")->type_off, 4, 6 /* f32 */);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "context_length", "llama.context_length typed f32");
    e = ge_begin(), setv(e.b, gk("llama.rope.freq_base")->val_off, 4, 0x7FC00000u);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "rope base", "rope.freq_base NaN");
    e = ge_begin(), setv(e.b, gk("llama.attention.layer_norm_rms_epsilon")->val_off, 4, 0);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "epsilon", "layer_norm_rms_epsilon 0");
    e = ge_begin(), memcpy(e.b + gk("general.architecture")->val_off + 8, "gpt2x", 5);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "architecture", "general.architecture 'gpt2x'");
    e = ge_begin(), memcpy(e.b + gk("tokenizer.ggml.model")->val_off + 8, "gpt2x", 5);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "tokenizer.ggml.model", "tokenizer.ggml.model 'gpt2x'");
    const gkv *bosid = gk("tokenizer.ggml.bos_token_id");
    e = ge_begin(), setv(e.b, bosid->val_off, 4, 100000);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "bos_token_id", "bos_token_id 100000");
    e = ge_begin(), e.b[bosid->key_off + 8 + 15] ^= 0x20;
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "bos_token_id", "bos_token_id key absent (renamed)");
    e = ge_begin(), setv(e.b, bosid->type_off, 4, 6 /* f32 */);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "bos_token_id", "bos_token_id typed f32");
    e = ge_begin(), setv(e.b, bosid->val_off, 4, 300);
    ge_end(&e, X_EXACT, 0, NULL, "bos_token_id 300 (a normal piece: allowed)");

    /* the vocabulary */
    const uint32_t byte_A = 3 + 0x41, first_merge = 3 + 256 + 95;
    e = ge_begin(), e.b[token_off(g_gguf, byte_A) + 8 + 4] = 'G';
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "<0xNN>", "byte token <0x41> renamed <0x4G>");
    e = ge_begin(), e.b[token_off(g_gguf, byte_A) + 8 + 4] = '2';
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "twice", "byte token <0x41> renamed <0x42> (duplicate)");
    e = ge_begin();
    for (uint32_t i = 3; i < 259; i++) setv(e.b, types->val_off + 12 + 4 * (size_t)i, 4, 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "byte token <0x00> missing", "a vocabulary without byte tokens");
    e = ge_begin(), setv(e.b, types->val_off + 12 + 4 * (size_t)(3 + 0x7F), 4, 1);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "byte token <0x7F> missing", "byte token <0x7F> made normal");
    e = ge_begin(), e.b[token_off(g_gguf, first_merge) + 8] = 0xFF;
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "UTF-8", "token string with byte 0xFF (not UTF-8)");
    e = ge_begin(), e.b[token_off(g_gguf, first_merge) + 8] = 0xC3;
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "UTF-8", "token string with a cut UTF-8 sequence");
    {
        /* two normal pieces with the same bytes */
        size_t a = token_off(g_gguf, first_merge), b2 = token_off(g_gguf, first_merge + 1);
        if (lmz_rd64(g_gguf + a) == lmz_rd64(g_gguf + b2)) {
            e = ge_begin(), memcpy(e.b + b2 + 8, g_gguf + a + 8, lmz_rd64(g_gguf + a));
            ge_end(&e, X_ERR, LMZ_error_model_invalid, "duplicates", "two merged pieces with the same bytes");
        }
    }
    static const int32_t bad_tt[] = {0, 7, -1};
    for (int i = 0; i < 3; i++) {
        e = ge_begin(), setv(e.b, types->val_off + 12 + 4 * 300, 4, (uint32_t)bad_tt[i]);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "unknown type", "token_type %d", bad_tt[i]);
    }
    e = ge_begin(), setv(e.b, scores->val_off + 12 + 4 * 300, 4, 0x7FC00000u);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "NaN", "a NaN score");
    e = ge_begin(), setv(e.b, scores->val_off + 12 + 4 * 300, 4, 0x7F800000u);
    ge_end(&e, X_EXACT, 0, NULL, "an infinite score (allowed: only ordering matters)");
    {
        /* a piece longer than 1024 bytes: grow token 300 by 1056 'a' bytes */
        size_t at = token_off(g_gguf, 300);
        uint64_t l = lmz_rd64(g_gguf + at);
        uint8_t fill[1056];
        memset(fill, 'a', sizeof fill);
        e = ge_begin();
        ge_insert(&e, at + 8 + l, fill, sizeof fill);
        setv(e.b, at, 8, l + sizeof fill);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "longer than", "a token of %llu bytes",
               (unsigned long long)(l + sizeof fill));
    }

    /* weights */
    const uint64_t eoff = lmz_rd64(g_gguf + emb->offset_off), ooff = lmz_rd64(g_gguf + on->offset_off);
    e = ge_begin(), setv(e.b, G.data_off + eoff + 34 * 5, 2, 0x7C00);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "a Q8_0 block scale +inf");
    e = ge_begin(), setv(e.b, G.data_off + eoff + 34 * 7, 2, 0x7E00);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "a Q8_0 block scale NaN");
    e = ge_begin(), setv(e.b, G.data_off + ooff + 4 * 3, 4, 0x7FC00000u);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "an F32 norm weight NaN");
    e = ge_begin(), setv(e.b, G.data_off + eoff + 34 * 9, 2, 0x7BFF);
    ge_end(&e, X_EXACT, 0, NULL, "a Q8_0 block scale 65504 (huge but finite)");
    e = ge_begin(), memset(e.b + G.data_off + eoff + 2, 0x80, 32);
    ge_end(&e, X_EXACT, 0, NULL, "a Q8_0 block of -128 (clamped to -127)");

    /* empty and tiny files */
    gjudge(T_GFIELDS, (const uint8_t *)"", 0, X_ERR, LMZ_error_model_invalid, "magic", "empty file", 1, 0);
    gjudge(T_GFIELDS, (const uint8_t *)"GGUF\3\0\0", 7, X_ERR, LMZ_error_model_invalid, "version",
           "7-byte file", 1, 0);
}

/* The keys, tensors and weight types of the other architectures (issue #20),
 * on tiny generated qwen2 / qwen3 / Llama 3-style models with byte-level BPE
 * vocabularies and K-quant / BF16 weights: the same machinery over another
 * g_gguf, restored afterwards. */
static void gguf_fields_arch(void) {
    uint8_t *save = g_gguf;
    const size_t save_n = g_gguf_n;
    tinymodel_opts o = tinymodel_defaults();
    o.vocab = TINY_VOCAB_BPE;
    o.n_embd = 256, o.n_ff = 256, o.n_head = 4, o.n_head_kv = 2, o.n_ctx = 64; /* K-quant rows: 256 */
    gedit e;
    char nm[64];

    /* qwen2: Q5_K matrices, q/k/v biases */
    o.arch = TINY_ARCH_QWEN2, o.wtype = TINY_W_Q5_K;
    if (tinymodel_build(31, &o, &g_gguf, &g_gguf_n)) abort();
    gguf_map(g_gguf);
    e = ge_begin();
    ge_end(&e, X_EXACT, 0, NULL, "qwen2 / Q5_K / BPE model as generated");
    e = ge_begin(), memcpy(e.b + gk("general.architecture")->val_off + 8, "qwen9", 5);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "architecture 'qwen9'", "general.architecture 'qwen9'");
    e = ge_begin(), e.b[gt("blk.0.attn_k.bias")->name_off + 8 + 13] = 'X';
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "missing tensor blk.0.attn_k.bias", "qwen2 attn_k.bias renamed");
    e = ge_begin(), setv(e.b, gt("blk.0.attn_v.bias")->ne_off, 8, 64);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, NULL, "qwen2 attn_v.bias of 64 values (128 expected)");
    e = ge_begin(), setv(e.b, G.data_off + lmz_rd64(g_gguf + gt("blk.0.attn_q.bias")->offset_off) + 4 * 5, 4, 0x7F800000u);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "qwen2 attn_q.bias +inf");
    e = ge_begin(), setv(e.b, G.data_off + lmz_rd64(g_gguf + gt("blk.0.ffn_up.weight")->offset_off) + 176 * 3, 2, 0x7E00);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "a Q5_K block's d NaN");
    static const struct { uint32_t type; const char *name; } unsup[] = {{10, "Q2_K"}, {11, "Q3_K"}, {23, "IQ4_XS"},
                                                                       {15, "Q8_K"}};
    for (size_t i = 0; i < sizeof unsup / sizeof *unsup; i++) {
        e = ge_begin(), setv(e.b, gt("blk.0.ffn_up.weight")->type_off, 4, unsup[i].type);
        ge_end(&e, X_ERR, LMZ_error_unsupported, unsup[i].name, "matrix type %s", unsup[i].name);
    }
    e = ge_begin(), memcpy(e.b + gk("tokenizer.ggml.pre")->val_off + 8, "qwen9", 5);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "pre-tokenizer 'qwen9'", "tokenizer.ggml.pre 'qwen9'");
    e = ge_begin(), memcpy(e.b + gk("tokenizer.ggml.model")->val_off + 8, "gpt3", 4);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "tokenizer.ggml.model", "tokenizer.ggml.model 'gpt3'");
    e = ge_begin(), e.b[gk("tokenizer.ggml.bos_token_id")->key_off + 8 + 16] = 'X',
    e.b[gk("tokenizer.ggml.eos_token_id")->key_off + 8 + 16] = 'X';
    ge_end(&e, X_ERR, LMZ_error_unsupported, "no BOS or EOS", "BPE vocabulary without bos/eos_token_id (renamed)");
    e = ge_begin(), e.b[gk("tokenizer.ggml.bos_token_id")->key_off + 8 + 16] = 'X';
    ge_end(&e, X_EXACT, 0, NULL, "BPE vocabulary without bos_token_id: EOS starts the chunks");
    e = ge_begin(), setv(e.b, gk("qwen2.attention.head_count_kv")->val_off, 4, 3);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "head_count_kv", "qwen2.attention.head_count_kv 3 (4 heads)");
    free(g_gguf);

    /* qwen3: BF16 matrices, q/k norms, key_length */
    o.arch = TINY_ARCH_QWEN3, o.wtype = TINY_W_BF16;
    if (tinymodel_build(32, &o, &g_gguf, &g_gguf_n)) abort();
    gguf_map(g_gguf);
    e = ge_begin();
    ge_end(&e, X_EXACT, 0, NULL, "qwen3 / BF16 / BPE model as generated");
    e = ge_begin(), e.b[gt("blk.0.attn_q_norm.weight")->name_off + 8 + 6] = 'X';
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "missing tensor blk.0.attn_q_norm", "qwen3 attn_q_norm renamed");
    e = ge_begin(), setv(e.b, G.data_off + lmz_rd64(g_gguf + gt("blk.0.attn_k_norm.weight")->offset_off), 4, 0x7FC00000u);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "qwen3 attn_k_norm NaN");
    e = ge_begin(), setv(e.b, gk("qwen3.attention.key_length")->val_off, 4, 48),
    setv(e.b, gk("qwen3.attention.value_length")->val_off, 4, 48);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "multiples of 32", "qwen3.attention.key/value_length 48");
    e = ge_begin(), setv(e.b, gk("qwen3.attention.key_length")->val_off, 4, 128);
    ge_end(&e, X_ERR, LMZ_error_unsupported, "value_length", "key_length 128, value_length 64");
    e = ge_begin(), setv(e.b, gk("qwen3.attention.key_length")->val_off, 4, 128),
    setv(e.b, gk("qwen3.attention.value_length")->val_off, 4, 128);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "shape", "key/value_length 128 against 64-wide heads");
    e = ge_begin(), setv(e.b, gk("qwen3.attention.key_length")->val_off, 4, 1u << 20),
    setv(e.b, gk("qwen3.attention.value_length")->val_off, 4, 1u << 20);
    ge_end(&e, X_ERR, LMZ_error_unsupported, NULL, "key/value_length 2^20");
    {
        /* a BF16 weight NaN / +inf (exponent all ones) */
        const size_t w = G.data_off + lmz_rd64(g_gguf + gt("blk.0.ffn_gate.weight")->offset_off);
        e = ge_begin(), setv(e.b, w + 2 * 7, 2, 0x7FC0);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "a BF16 weight NaN");
        e = ge_begin(), setv(e.b, w + 2 * 9, 2, 0xFF80);
        ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "a BF16 weight -inf");
    }
    free(g_gguf);

    /* Llama 3-style: Q4_K matrices, rope_freqs, untied output */
    o.arch = TINY_ARCH_LLAMA, o.wtype = TINY_W_Q4_K, o.rope_freqs = 1, o.tied = 0, o.bpe_pre = "llama-bpe";
    if (tinymodel_build(33, &o, &g_gguf, &g_gguf_n)) abort();
    gguf_map(g_gguf);
    e = ge_begin();
    ge_end(&e, X_EXACT, 0, NULL, "llama / Q4_K / rope_freqs / llama-bpe model as generated");
    const size_t rf = G.data_off + lmz_rd64(g_gguf + gt("rope_freqs.weight")->offset_off);
    e = ge_begin(), setv(e.b, rf + 4 * 3, 4, 0);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "rope_freqs.weight[3] out of range", "rope_freqs[3] = 0");
    e = ge_begin(), setv(e.b, rf + 4 * 2, 4, 0xBF800000u);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "rope_freqs.weight[2] out of range", "rope_freqs[2] = -1");
    e = ge_begin(), setv(e.b, gt("rope_freqs.weight")->ne_off, 8, 16);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "rope_freqs.weight", "rope_freqs of 16 values (32 expected)");
    e = ge_begin(), setv(e.b, G.data_off + lmz_rd64(g_gguf + gt("output.weight")->offset_off) + 144 * 2 + 2, 2, 0x7C00);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "non-finite", "a Q4_K block's dmin +inf (output.weight)");
    snprintf(nm, sizeof nm, "%s", "llama.rope.freq_base");
    e = ge_begin(), setv(e.b, gk(nm)->val_off, 4, 0x3F800000u /* 1.0 */);
    ge_end(&e, X_ERR, LMZ_error_model_invalid, "rope base", "llama.rope.freq_base 1.0");
    free(g_gguf);

    g_gguf = save, g_gguf_n = save_n;
    gguf_map(g_gguf);
}

/* ======================================================================== */

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* interleaves correctly with sanitizer reports */
    g_quick = getenv("LMZ_FAULTS_QUICK") && atoi(getenv("LMZ_FAULTS_QUICK")) > 0;
    g_dst = malloc(DST_CAP);
    g_model = load_tiny(1, &g_gguf, &g_gguf_n);
    g_other = load_tiny(2, &g_gguf_other, &g_gguf_other_n);
    CHECK(g_model && g_other, "tiny models load");
    if (!g_model || !g_other) return check_done("test_faults");
    CHECK(build_frames() == 0, "building the test frames");
    if (check_fail_) return check_done("test_faults");
    CHECK(build_ext_frames() == 0, "building the seg / utf16 test frames");
    if (check_fail_) return check_done("test_faults");
    /* the frames decode */
    const frame *all[] = {&g_big, &g_mixed, &g_seg, &g_mail, &g_utf16, &g_ext};
    for (int i = 0; i < 6; i++) {
        lmz_params p;
        lmz_params_default(&p);
        judge(T_FIELDS, all[i], all[i]->b, all[i]->n, &p, X_EXACT, 0, NULL, "unmodified", 1);
        print_frame(all[i]);
    }
    double t0 = now_s();

    /* first, while the peak RSS is still low: resource limits */
    resource_limits();
    summary(T_LIMITS, "peak RSS growth < 32 MiB and < 5 s per case");

    frame_fields(&g_big);
    frame_fields(&g_mixed);
    mixed_method_swaps();
    frame_fields(&g_seg);
    frame_fields(&g_mail);
    frame_fields(&g_utf16);
    frame_fields(&g_ext);
    summary(T_FIELDS, "each with the expected error naming the field");

    /* seg and utf16 payloads: the compressor's (parts coded by zstd / xz)
     * and ext's own (parts coded by the model, stored) */
    seg_cases(&g_seg, 0);
    seg_cases(&g_mail, 0);
    seg_cases(&g_ext, 3);
    utf16_cases(&g_utf16, 0);
    utf16_cases(&g_ext, 4);
    utf16_table_cases(&g_utf16, 0);
    utf16_table_cases(&g_ext, 2);
    summary(T_LAYOUT, "damaged seg/utf16 payloads: each with the expected error naming the problem, or exact");

    frame_truncations(&g_big);
    frame_truncations(&g_mixed);
    concat_truncations();
    frame_truncations(&g_seg);
    frame_truncations(&g_mail);
    frame_truncations(&g_utf16);
    frame_truncations(&g_ext);
    summary(T_TRUNC, "every prefix of every frame; second of two frames cut");

    frame_bitflips();
    ext_bitflips(&g_seg, 0, g_quick ? 5 : 1);
    ext_bitflips(&g_mail, 0, g_quick ? 5 : 1);
    ext_bitflips(&g_utf16, 0, g_quick ? 5 : 1);
    /* ext: its chunks 0 and 2 are those of seg and utf16; the model decodes
     * 700 bytes of its chunks 1, 3, 4 every time */
    ext_bitflips(&g_ext, 3, g_quick ? 199 : 31);
    char note[256];
    snprintf(note, sizeof note, "%s",
             g_quick ? "quick: every header bit, 1 in 5 of 'mixed', 'seg', 'mail', 'utf16'; 3 per chunk of 'big'; every header "
                       "and layout bit, 1 in 199 of the parts of 'ext'"
                     : "every bit of 'mixed', 'seg', 'mail', 'utf16'; every header bit and 8 per chunk of 'big'; every header "
                       "and layout bit and 1 in 31 of the parts of 'ext'");
    summary(T_FLIP, note);

    gguf_map(g_gguf);
    gguf_fields();
    gguf_fields_arch();
    summary(T_GFIELDS, "each with the expected error naming the problem (llama/SentencePiece/Q8_0; qwen2, qwen3, "
                       "Llama 3-style with BPE vocabularies, K-quants, BF16)");
    gguf_truncations_and_flips();
    summary(T_GTRUNC, "every prefix of the tiny model file");
    summary(T_GFLIP, g_quick ? "quick sample; 1 accepted model in 16 round-trip probed"
                             : "every bit of header/keys/infos, 1/3 of vocabulary, 1/97 of weights; 1 accepted model "
                               "in 16 round-trip probed");
    printf("test_faults: %.1f s\n", now_s() - t0);

    lmz_model_free(g_model);
    lmz_model_free(g_other);
    free(g_gguf);
    free(g_gguf_other);
    free(g_big.b);
    free(g_big.orig);
    free(g_mixed.b);
    free(g_mixed.orig);
    frame *ext[] = {&g_seg, &g_mail, &g_utf16, &g_ext};
    for (int i = 0; i < 4; i++) free(ext[i]->b), free(ext[i]->orig);
    free(g_dst);
    return check_done("test_faults");
}
