/*
 * tests/unit/test_faults.c — fault tables: damaged frames and damaged model
 * files, end to end through the public API (lmz_decompress / lmz_dstream,
 * lmz_model_load_buffer), with tiny generated models.
 *
 * Frames (doc/format.md):
 *   - "big": ~10 KB of text, 4 KiB chunks -> 3 `lm` chunks;
 *   - "mixed": one frame assembled here with every method: lm, stored, zstd,
 *     xz, lm (small, so that every bit flip can be decoded).
 *   For each: truncation at every byte (must be rejected), single-bit flips
 *   (every bit of "mixed"; every header bit and a sample of payload bits of
 *   "big": rejected, or decoded to the exact original — never wrong output),
 *   and every header field set to absurd or inconsistent values with the
 *   header checksum recomputed (so that the field checks themselves run):
 *   each case must fail with the expected error, and the message must name
 *   the problem.
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

enum { T_TRUNC, T_FLIP, T_FIELDS, T_LIMITS, T_GTRUNC, T_GFLIP, T_GFIELDS, T_COUNT };
static tally g_t[T_COUNT] = {
    {.name = "frame truncations"}, {.name = "frame bit flips"},  {.name = "frame fields (re-sealed)"},
    {.name = "resource limits"},   {.name = "gguf truncations"}, {.name = "gguf bit flips"},
    {.name = "gguf fields"},
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

static frame g_big, g_mixed;

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
    judge(T_FIELDS, f, e->b, e->n, p, kind, want, needle, what, 1);
    free(e->b);
}

/* Inserts k bytes at offset at (the buffer has 4096 bytes of room). */
static void ed_insert(edit *e, size_t at, const void *bytes, size_t k) {
    memmove(e->b + at + k, e->b + at, e->n - at);
    memcpy(e->b + at, bytes, k);
    e->n += k;
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

static void print_frame(const frame *f) {
    lmz_frame_info_t fi;
    lmz_chunk_info_t ch[8];
    lmz_frame_info(f->b, f->n, &fi);
    size_t k = lmz_frame_chunks(f->b, f->n, ch, 8);
    printf("frame '%s': %zu bytes -> %zu bytes, header %llu bytes, window %u overlap %u, chunks:", f->name, f->orig_n,
           f->n, (unsigned long long)fi.header_size, fi.window, fi.sink_tokens);
    static const char *mn[] = {"stored", "lm", "zstd", "xz", "lm+mix"};
    for (size_t i = 0; i < k && i < 8; i++)
        printf(" %s %u->%u", ch[i].method < 5 ? mn[ch[i].method] : "?", ch[i].raw_size, ch[i].coded_size);
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

/* ======================================================================== */
/* Frame: fields                                                             */
/* ======================================================================== */

#define ANY ((lmz_error_code)0)

static void frame_fields(const frame *f) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 2;
    const uint32_t hs = lmz_rd32(f->b + 6);
    const uint32_t nch = fnch(f->b);
    const uint16_t W = lmz_rd16(f->b + fbase(f->b) + F_WINDOW), O = lmz_rd16(f->b + fbase(f->b) + F_OVERLAP);
    edit e;

    /* magic, version */
    e = ed_begin(f), e.b[0] ^= 1;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_bad_magic, "magic", "magic byte 0 changed");
    e = ed_begin(f), e.b[3] = 0;
    ed_end(&e, f, 0, &p, X_ERR, LMZ_error_bad_magic, "magic", "magic byte 3 changed");
    static const uint8_t versions[] = {0, 2, 255};
    for (int i = 0; i < 3; i++) {
        e = ed_begin(f), e.b[4] = versions[i];
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_version, "version", "version %u", versions[i]);
    }
    /* flags */
    for (int bit = 2; bit < 8; bit++) {
        e = ed_begin(f), e.b[5] |= (uint8_t)(1u << bit);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_unsupported, "unknown flags", "unknown flag bit %d", bit);
    }
    e = ed_begin(f), e.b[5] |= LMZ_F_EXT; /* allows methods 5 and 6; none is used */
    ed_end(&e, f, 1, &p, X_EXACT, 0, NULL, "extended-methods flag set (content unchanged)");
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
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_model_mismatch, "compressed with model", "model_sha256 one bit off");
    e = ed_begin(f), memset(e.b + 10, 0, 32);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_model_mismatch, "compressed with model", "model_sha256 all zero");
    /* window / overlap */
    const size_t b0 = fbase(f->b);
    static const uint16_t bad_w[] = {0, 1};
    for (int i = 0; i < 2; i++) {
        e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, bad_w[i]), setv(e.b, b0 + F_OVERLAP, 2, 0);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "window", "window %u", bad_w[i]);
    }
    e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, lmz_model_context(g_model) + 1);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "model context", "window = model context + 1");
    e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, 65535);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "model context", "window 65535");
    e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, W);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "overlap", "overlap = window");
    e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, 65535);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "overlap", "overlap 65535");
    e = ed_begin(f), setv(e.b, b0 + F_WINDOW, 2, W - 7u);
    ed_end(&e, f, 1, &p, X_SAFE, 0, NULL, "window - 7 (valid, but not what was coded)");
    /* `overlap` holds the sink size S (doc/format.md §4.1): 1 in this version */
    e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, O + 1u);
    ed_end(&e, f, 1, &p, X_ERR, LMZ_error_unsupported, "sink", "overlap (sink tokens) %u", O + 1u);
    if (O > 0) {
        e = ed_begin(f), setv(e.b, b0 + F_OVERLAP, 2, O - 1u);
        ed_end(&e, f, 1, &p, X_ERR, LMZ_error_unsupported, "sink", "overlap (sink tokens) %u", O - 1u);
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
    for (int w = 0; w < 2; w++) {
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
            if (coded > 4) { /* coded sizes that still sum to the payload size */
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
            if (nm == LMZ_M_SEG || nm == LMZ_M_UTF16)
                ed_end(&e, f, 1, &p, X_ERR, LMZ_error_corrupt, "extended-methods flag", "chunk %u method %u", i, nm);
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
        int ok = lmz_get_error_code(r) == LMZ_error_model_mismatch && strstr(msg, lmz_model_name(g_other));
        g_t[T_FIELDS].unexpected += !ok;
        if (lmz_is_error(r)) g_t[T_FIELDS].by_code[lmz_get_error_code(r)]++;
        CHECK(ok, "%s: another model: %s (%s)", f->name, lmz_error_name(r), msg);
        printf("CASE | %s | %s: decoded with another model | %s | %s | %s\n", g_t[T_FIELDS].name, f->name,
               lmz_error_name(LMZ_ERR(LMZ_error_model_mismatch)), lmz_error_name(r), msg);
        r = decode(NULL, f->b, f->n, &p, g_dst, DST_CAP, msg, sizeof msg);
        g_t[T_FIELDS].cases++;
        g_t[T_FIELDS].rejected += lmz_is_error(r) != 0;
        ok = lmz_get_error_code(r) == LMZ_error_parameter && strstr(msg, "model");
        g_t[T_FIELDS].unexpected += !ok;
        if (lmz_is_error(r)) g_t[T_FIELDS].by_code[lmz_get_error_code(r)]++;
        CHECK(ok, "%s: no model: %s (%s)", f->name, lmz_error_name(r), msg);
        printf("CASE | %s | %s: decoded without a model | %s | %s | %s\n", g_t[T_FIELDS].name, f->name,
               lmz_error_name(LMZ_ERR(LMZ_error_parameter)), lmz_error_name(r), msg);
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
    /* the frames decode */
    {
        lmz_params p;
        lmz_params_default(&p);
        judge(T_FIELDS, &g_big, g_big.b, g_big.n, &p, X_EXACT, 0, NULL, "unmodified", 1);
        judge(T_FIELDS, &g_mixed, g_mixed.b, g_mixed.n, &p, X_EXACT, 0, NULL, "unmodified", 1);
    }
    print_frame(&g_big);
    print_frame(&g_mixed);
    double t0 = now_s();

    /* first, while the peak RSS is still low: resource limits */
    resource_limits();
    summary(T_LIMITS, "peak RSS growth < 32 MiB and < 5 s per case");

    frame_fields(&g_big);
    frame_fields(&g_mixed);
    mixed_method_swaps();
    summary(T_FIELDS, "each with the expected error naming the field");

    frame_truncations(&g_big);
    frame_truncations(&g_mixed);
    concat_truncations();
    summary(T_TRUNC, "every prefix of both frames; second of two frames cut");

    frame_bitflips();
    char note[160];
    snprintf(note, sizeof note, "%s", g_quick ? "quick: every header bit, 1 in 5 of 'mixed', 3 per chunk of 'big'"
                                              : "every bit of 'mixed'; every header bit and 8 per chunk of 'big'");
    summary(T_FLIP, note);

    gguf_map(g_gguf);
    gguf_fields();
    summary(T_GFIELDS, "each with the expected error naming the problem");
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
    free(g_dst);
    return check_done("test_faults");
}
