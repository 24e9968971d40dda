/*
 * tests/unit/test_segment.c — where a chunk's text and binary runs are
 * (lib/compress/segment.h, the `seg` method of doc/format.md §3.1).
 *
 *  - every corpus text file (testdata/corpus/MANIFEST.tsv, kind "text") is
 *    one text run, but for a few stray bytes (alice29.txt ends with ^Z);
 *    calgary/trans, a terminal session with NUL fill and backspaces, is
 *    mostly text and would be coded as `seg` where a chunk of it looks
 *    binary;
 *  - the pure binary files (kennedy.xls, ptt5, pic, geo) have no text run;
 *    sum, obj1 and obj2 hold too little text for a `seg` chunk (compress.c's
 *    rule, its constants read from the source);
 *  - built inputs: stray NULs and short gaps inside text, a gap of SEG_GAP
 *    bytes, text runs of SEG_MIN_TEXT - 1 and SEG_MIN_TEXT bytes, a string
 *    table, invalid and valid UTF-8, a tar made here (its text runs are its
 *    bodies);
 *  - properties of the runs on random inputs: they alternate, cover the
 *    input, text runs are SEG_MIN_TEXT bytes or more and keep their gaps
 *    short and rare, binary runs hold no SEG_MIN_TEXT bytes of unbroken
 *    text, the text total and the count bound hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compress/segment.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* ------------------------------------------------------------------------ */
/* compress.c's rules, their constants read from its source                 */
/* ------------------------------------------------------------------------ */

/* The value of `#define name EXPR` in LMZ_SRC/rel, EXPR a number or
 * (a << b) with optional u suffixes; -1 when not found. */
static long src_define(const char *rel, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", LMZ_SRC, rel);
    size_t n;
    char *s = (char *)check_read_file(path, &n);
    if (!s) return -1;
    long v = -1;
    const size_t nl = strlen(name);
    for (char *p = strstr(s, "#define "); p; p = strstr(p + 1, "#define ")) {
        char *q = p + 8;
        while (*q == ' ') q++;
        if (strncmp(q, name, nl) || (q[nl] != ' ' && q[nl] != '\t')) continue;
        q += nl;
        while (*q == ' ' || *q == '\t' || *q == '(') q++;
        char *e;
        unsigned long a = strtoul(q, &e, 0);
        if (e == q) break;
        q = e;
        while (*q == 'u' || *q == 'U' || *q == ' ') q++;
        if (q[0] == '<' && q[1] == '<') {
            unsigned long b = strtoul(q + 2, &e, 0);
            if (e == q + 2 || b > 30) break;
            a <<= b;
        }
        v = (long)a;
        break;
    }
    free(s);
    return v;
}

static size_t seg_min_chunk_text, seg_min_chunk_b64, seg_min_frame_text, seg_big_binary;

/* compress.c's constant name, from its source (or segment.h, should it move there); 0 when not found. */
static size_t seg_const(const char *name) {
    long v = src_define("lib/compress/compress.c", name);
    if (v < 0) v = src_define("lib/compress/segment.h", name);
    CHECK(v > 0, "%s not found in lib/compress/compress.c or segment.h", name);
    return v > 0 ? (size_t)v : 0;
}

/* code_chunk: a binary-looking chunk is tried as `seg`. */
static int chunk_rule(size_t text, size_t n) { return text >= seg_min_chunk_text && text * 2 >= n; }
/* code_chunk: any chunk with that much base64 is tried as `seg`. */
static int b64_rule(size_t b64, size_t n) { return b64 >= seg_min_chunk_b64 || (b64 && b64 * 8 >= n); }
/* plan_mixed: a binary-looking frame is cut along its runs. */
static int frame_rule(size_t text, size_t n) { return !(text < seg_min_frame_text && text * 4 < n); }

/* ------------------------------------------------------------------------ */
/* Runs                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    seg_run *runs;
    uint32_t nr;
    size_t text, b64, n_text_runs, binary;
} seg;

/* segment_runs on buf[0..n), runs in a buffer of exactly seg_runs_max(n). */
static seg seg_of(const uint8_t *buf, size_t n) {
    seg s;
    memset(&s, 0, sizeof s);
    s.runs = malloc(seg_runs_max(n) * sizeof *s.runs);
    if (!s.runs) return s;
    s.nr = segment_runs(buf, n, s.runs, &s.text, &s.b64);
    for (uint32_t r = 0; r < s.nr; r++) {
        if (s.runs[r].kind == SEG_TEXT) s.n_text_runs++;
        if (s.runs[r].kind == SEG_BINARY) s.binary += s.runs[r].len;
    }
    return s;
}

/* Everything segment.h promises of the runs of buf[0..n); 1 when it holds
 * (failures reported under what). A group is a longest sequence of runs
 * that are not binary: a text stretch, its base64 blocks runs of their own. */
static int seg_props(const uint8_t *buf, size_t n, const seg *s, const char *what) {
    int ok = 1;
#define PROP(c, ...)               \
    do {                           \
        if (!(c)) {                \
            ok = 0;                \
            CHECK(0, __VA_ARGS__); \
        }                          \
    } while (0)
    PROP(s->runs != NULL, "%s: out of memory", what);
    if (!s->runs) return 0;
    PROP(s->nr <= seg_runs_max(n), "%s: %u runs > seg_runs_max(%zu) = %zu", what, s->nr, n, seg_runs_max(n));
    PROP(n > 0 || s->nr == 0, "%s: runs for an empty input", what);
    size_t at = 0, text = 0, b64 = 0;
    for (uint32_t r = 0; r < s->nr && ok; r++) {
        const seg_run *u = &s->runs[r];
        PROP(u->kind == SEG_TEXT || u->kind == SEG_BINARY || u->kind == SEG_B64_BINARY, "%s: run %u of kind %u", what,
             r, u->kind);
        PROP(u->len > 0 && u->len <= n - at, "%s: run %u of %llu bytes at %zu (input %zu)", what, r,
             (unsigned long long)u->len, at, n);
        if (!ok) break;
        if (r > 0 && u->kind <= SEG_BINARY)
            PROP(s->runs[r - 1].kind != u->kind, "%s: runs %u and %u both of kind %u (not merged)", what, r - 1, r,
                 u->kind);
        const uint8_t *p = buf + at;
        if (u->kind == SEG_BINARY) {
            PROP(u->v == u->len, "%s: binary run %u: v %u, len %llu", what, r, u->v, (unsigned long long)u->len);
            /* no SEG_MIN_TEXT bytes of unbroken text inside a binary run */
            size_t j = 0, streak = 0, worst = 0;
            while (j < u->len) {
                uint32_t t = seg_text_unit(p + j, n - at - j);
                if (t && j + t <= u->len) {
                    streak += t;
                    j += t;
                } else {
                    streak = 0;
                    j++;
                }
                worst = streak > worst ? streak : worst;
            }
            PROP(worst < SEG_MIN_TEXT, "%s: binary run %u at %zu holds %zu bytes of unbroken text", what, r, at,
                 worst);
            /* after a group, a binary byte (else the group would go on) */
            if (r > 0) PROP(!seg_text_unit(p, n - at), "%s: binary run %u at %zu starts with text", what, r, at);
            at += u->len;
            continue;
        }
        /* a group: runs r..e-1 over [at, gend) */
        uint32_t e = r;
        size_t gend = at;
        while (e < s->nr && s->runs[e].kind != SEG_BINARY && s->runs[e].len <= n - gend) gend += s->runs[e++].len;
        PROP(gend - at >= SEG_MIN_TEXT, "%s: text stretch of %zu bytes at %zu (runs %u..%u)", what, gend - at, at, r,
             e - 1);
        /* whole text units from start to end, run edges between units, gaps shorter than SEG_GAP and at most
         * 1/16 of the stretch */
        size_t j = at, holes = 0, gap = 0, edge = at + s->runs[r].len;
        uint32_t k = r;
        int last_unit = 0;
        while (j < gend && ok) {
            uint32_t t = seg_text_unit(buf + j, n - j);
            size_t step = t ? t : 1;
            PROP(j + step <= edge, "%s: a character at %zu straddles the end of run %u", what, j, k);
            if (t) {
                gap = 0;
                last_unit = 1;
            } else {
                PROP(j > at, "%s: text stretch at %zu starts with a binary byte", what, at);
                holes++;
                last_unit = 0;
                PROP(++gap < SEG_GAP, "%s: text stretch at %zu holds a gap of %u bytes", what, at, SEG_GAP);
            }
            j += step;
            if (j == edge && ++k < e) edge += s->runs[k].len;
        }
        PROP(last_unit, "%s: text stretch at %zu ends with a binary byte", what, at);
        PROP(holes * 16 <= gend - at, "%s: text stretch at %zu: %zu binary bytes in %zu", what, at, holes, gend - at);
        /* base64 runs: at a line start, whole lines, exactly what b64_encode_lines gives for their bytes */
        for (size_t q = at; r < e && ok; r++) {
            const seg_run *v = &s->runs[r];
            if (v->kind == SEG_TEXT) {
                PROP(v->v == v->len, "%s: text run %u: v %u, len %llu", what, r, v->v, (unsigned long long)v->len);
                text += v->len;
            } else {
                b64 += v->len;
                PROP(q == 0 || buf[q - 1] == '\n', "%s: base64 run %u at %zu not at a line start", what, r, q);
                PROP(v->len >= SEG_MIN_B64 && v->w >= 16 && v->w % 4 == 0 && v->w <= SEG_B64_MAX_W && v->v >= 1,
                     "%s: base64 run %u at %zu: %llu bytes, lines of %u, %u decoded", what, r, q,
                     (unsigned long long)v->len, v->w, v->v);
                PROP(b64_run_len(v->v, v->w, v->crlf) == v->len, "%s: base64 run %u: length", what, r);
                uint8_t *d = malloc(v->v + 1), *e64 = malloc(v->len + 1);
                if (d && e64 && ok) {
                    seg_b64_decode(buf + q, v, d);
                    size_t w = b64_encode_lines(d, v->v, v->w, v->crlf, e64);
                    PROP(w == v->len && !memcmp(e64, buf + q, w), "%s: base64 run %u at %zu: not given back exactly",
                         what, r, q);
                }
                free(d);
                free(e64);
            }
            q += v->len;
        }
        r = e - 1;
        at = gend;
    }
    if (ok) {
        PROP(at == n, "%s: runs cover %zu of %zu bytes", what, at, n);
        PROP(text == s->text && b64 == s->b64, "%s: text %zu base64 %zu, runs say %zu and %zu", what, s->text, s->b64,
             text, b64);
    }
#undef PROP
    return ok;
}

/* "t300 b8 t300" (B: base64): the runs as text, for messages. */
static const char *runs_str(const seg *s) {
    static char out[512];
    size_t w = 0;
    out[0] = 0;
    for (uint32_t r = 0; r < s->nr && w + 24 < sizeof out; r++)
        w += (size_t)snprintf(out + w, sizeof out - w, "%s%c%llu", r ? " " : "",
                              "tbBB"[s->runs[r].kind & 3], (unsigned long long)s->runs[r].len);
    if (s->nr > 0 && w + 24 >= sizeof out) snprintf(out + w, sizeof out - w, " ...");
    return out;
}

/* The runs of buf[0..n) are exactly want ("t300 b8 t300"), and keep the
 * properties. */
static void expect_runs(const uint8_t *buf, size_t n, const char *want, const char *what) {
    seg s = seg_of(buf, n);
    seg_props(buf, n, &s, what);
    if (s.runs) CHECK(!strcmp(runs_str(&s), want), "%s: runs %s, want %s", what, runs_str(&s), want);
    free(s.runs);
}

/* ------------------------------------------------------------------------ */
/* Inputs                                                                   */
/* ------------------------------------------------------------------------ */

/* Printable words and line breaks. */
static void fill_text(uint8_t *p, size_t n) {
    static const char *w[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "1984", "(x)", "--"};
    size_t at = 0;
    while (at < n) {
        const char *s = w[rnd() % (sizeof w / sizeof *w)];
        for (size_t i = 0; s[i] && at < n; i++) p[at++] = (uint8_t)s[i];
        if (at < n) p[at++] = rnd() % 9 == 0 ? '\n' : ' ';
    }
}

/* Bytes that are never text: NUL..BS, SO..US but ESC, DEL, lone 0x80..0xBF,
 * 0xC0, 0xC1, 0xF5..0xFF. */
static uint8_t binary_byte(void) {
    static const uint8_t b[] = {0x00, 0x01, 0x02, 0x07, 0x08, 0x0E, 0x10, 0x1A, 0x1F, 0x7F, 0x80,
                                0x9F, 0xBF, 0xC0, 0xC1, 0xF5, 0xF8, 0xFE, 0xFF};
    return b[rnd() % sizeof b];
}

static void fill_binary(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = binary_byte();
}

/* One ustar-like header: fields NUL-padded, octal numbers, checksum. */
static void tar_header(uint8_t *h, const char *name, size_t size) {
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0001750", 7);
    memcpy(h + 116, "0001750", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
    memcpy(h + 136, "14567012345", 11);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "user", 4);
    memcpy(h + 297, "users", 5);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 7, "%06o", sum);
    h[155] = ' ';
}

/* Base64 of src[0..d) in lines of w characters (the last may be shorter),
 * each ended by \n or \r\n, as MIME writes it; returns its length. */
static size_t b64_lines(const uint8_t *src, size_t d, size_t w, int crlf, uint8_t *dst) {
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, col = 0;
    for (size_t i = 0; i < d; i += 3) {
        const uint32_t v =
            (uint32_t)src[i] << 16 | (i + 1 < d ? (uint32_t)src[i + 1] << 8 : 0) | (i + 2 < d ? src[i + 2] : 0);
        const char q[4] = {al[v >> 18], al[(v >> 12) & 63], i + 1 < d ? al[(v >> 6) & 63] : '=',
                           i + 2 < d ? al[v & 63] : '='};
        for (int k = 0; k < 4; k++) {
            dst[o++] = (uint8_t)q[k];
            if (++col == w) {
                if (crlf) dst[o++] = '\r';
                dst[o++] = '\n';
                col = 0;
            }
        }
    }
    if (col) {
        if (crlf) dst[o++] = '\r';
        dst[o++] = '\n';
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/* The corpus                                                               */
/* ------------------------------------------------------------------------ */

static void test_corpus(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/MANIFEST.tsv", LMZ_TESTDATA);
    FILE *mf = fopen(path, "r");
    CHECK(mf != NULL, "open %s", path);
    if (!mf) return;
    char line[8192];
    int text_files = 0, one_run = 0, pure_binary = 0, low_text = 0;
    printf("corpus (SEG_MIN_TEXT %u, SEG_GAP %u; were it binary-looking, a chunk is tried as seg when text >= %zu && "
           "2 text >= n, a frame cut along its runs when text >= %zu || 4 text >= n):\n",
           SEG_MIN_TEXT, SEG_GAP, seg_min_chunk_text, seg_min_frame_text);
    printf("  %-24s %-6s %8s %5s %8s %8s %6s %5s %5s  %s\n", "file", "kind", "bytes", "runs", "text", "binary",
           "base64", "seg?", "cut?", "first runs");
    while (fgets(line, sizeof line, mf)) {
        char rel[1024], kind[64], sha[128];
        unsigned long long bytes;
        if (sscanf(line, "%1023s %llu %127s %63s", rel, &bytes, sha, kind) != 4) continue; /* the header too */
        snprintf(path, sizeof path, "%s/corpus/%s", LMZ_TESTDATA, rel);
        size_t n;
        uint8_t *d = check_read_file(path, &n);
        CHECK(d != NULL && n == bytes, "read %s", path);
        if (!d) continue;
        seg s = seg_of(d, n);
        seg_props(d, n, &s, rel);
        if (!s.runs) {
            free(d);
            continue;
        }
        /* bytes that are not text units, walking as segment.h does */
        size_t bad = 0;
        for (size_t i = 0; i < n;) {
            uint32_t u = seg_text_unit(d + i, n - i);
            if (u) i += u;
            else bad++, i++;
        }
        const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        printf("  %-24s %-6s %8zu %5u %8zu %8zu %6zu %5s %5s  %.60s\n", rel, kind, n, s.nr, s.text, s.binary, s.b64,
               chunk_rule(s.text, n) || b64_rule(s.b64, n) ? "seg" : "-", frame_rule(s.text, n) ? "cut" : "-",
               runs_str(&s));
        CHECK(s.b64 == 0, "%s: %zu bytes of base64 blocks", rel, s.b64); /* the corpus has none */
        if (!strcmp(kind, "text")) {
            text_files++;
            if (bad < SEG_GAP) {
                /* one text run over the whole file, but for at most a few stray bytes (inside it, or at an end) */
                CHECK(s.n_text_runs == 1 && s.binary <= bad, "%s: %zu text runs, %zu binary bytes (%zu not text)",
                      rel, s.n_text_runs, s.binary, bad);
                one_run += s.n_text_runs == 1 && s.binary <= bad;
                if (bad == 0)
                    CHECK(s.nr == 1 && s.runs[0].kind == SEG_TEXT && s.runs[0].len == n, "%s: one text run", rel);
            } else {
                /* text with control bytes in it (calgary/trans: NUL fill, backspaces): still mostly text, and a
                 * chunk of it that looks binary is tried as `seg` */
                printf("    %s: %zu bytes are not text (NUL, BS, ...): %zu text runs, %zu of %zu bytes text\n", rel,
                       bad, s.n_text_runs, s.text, n);
                CHECK(s.text * 10 >= n * 9 && chunk_rule(s.text, n), "%s: text %zu of %zu", rel, s.text, n);
                CHECK(s.binary >= bad / 2, "%s: %zu binary bytes for %zu bytes not text", rel, s.binary, bad);
            }
        } else {
            if (!strcmp(base, "kennedy.xls") || !strcmp(base, "ptt5") || !strcmp(base, "pic") ||
                !strcmp(base, "geo")) {
                CHECK(s.text == 0 && s.nr == 1 && s.runs[0].kind == SEG_BINARY && s.runs[0].len == n,
                      "%s: pure binary, runs %s", rel, runs_str(&s));
                pure_binary++;
            } else if (!strcmp(base, "sum") || !strcmp(base, "obj1") || !strcmp(base, "obj2")) {
                /* code_chunk's rule: below half text, no `seg` (the whole file is one chunk at the default chunk
                 * size, or, obj2, one binary frame: plan_mixed's rule fails too) */
                CHECK(s.text > 0 && s.text * 2 < n && !chunk_rule(s.text, n) && !b64_rule(s.b64, n),
                      "%s: text %zu of %zu", rel, s.text, n);
                if (strcmp(base, "sum"))
                    CHECK(!frame_rule(s.text, n), "%s: plan_mixed would cut it (text %zu of %zu)", rel, s.text, n);
                low_text++;
            }
        }
        free(s.runs);
        free(d);
    }
    fclose(mf);
    CHECK(text_files >= 20, "corpus text files: %d", text_files);
    CHECK(pure_binary == 4 && low_text == 3, "binary files checked: %d pure (want 4), %d with text (want 3)",
          pure_binary, low_text);
    printf("  %d text files (%d one text run), %d pure binary, %d executables\n", text_files, one_run, pure_binary,
           low_text);
}

/* ------------------------------------------------------------------------ */
/* Built inputs                                                             */
/* ------------------------------------------------------------------------ */

static void test_built(void) {
    static uint8_t b[65536];
    char want[256];

    /* empty, all text, all binary */
    expect_runs(b, 0, "", "empty");
    fill_text(b, 1000);
    expect_runs(b, 1000, "t1000", "1000 bytes of text");
    fill_binary(b, 1000);
    expect_runs(b, 1000, "b1000", "1000 binary bytes");
    fill_text(b, SEG_MIN_TEXT - 1);
    snprintf(want, sizeof want, "b%u", SEG_MIN_TEXT - 1);
    expect_runs(b, SEG_MIN_TEXT - 1, want, "text shorter than SEG_MIN_TEXT alone");

    /* a stray NUL, a stray control byte, short gaps: one text run */
    fill_text(b, 1000);
    b[500] = 0;
    expect_runs(b, 1000, "t1000", "text with a stray NUL");
    b[700] = 0x01;
    b[701] = 0x7F;
    expect_runs(b, 1000, "t1000", "text with a NUL and two control bytes");
    fill_text(b, 2000);
    for (size_t at = 150; at + 200 < 2000; at += 200) memset(b + at, 0, SEG_GAP - 1);
    expect_runs(b, 2000, "t2000", "text with gaps of SEG_GAP - 1 NULs every 200 bytes");

    /* a gap of SEG_GAP binary bytes splits */
    fill_text(b, 300);
    memset(b + 300, 0, SEG_GAP);
    fill_text(b + 300 + SEG_GAP, 300);
    snprintf(want, sizeof want, "t300 b%u t300", SEG_GAP);
    expect_runs(b, 600 + SEG_GAP, want, "a gap of SEG_GAP NULs");
    /* gaps too frequent (more than 1/16): the text is cut there */
    fill_text(b, 2000);
    for (size_t at = 60; at + 70 < 2000; at += 70) memset(b + at, 0, SEG_GAP - 1);
    expect_runs(b, 2000, "b2000", "7-byte gaps every 70 bytes");
    /* a gap at the very end is not part of the text */
    fill_text(b, 400);
    b[400] = 0;
    expect_runs(b, 401, "t400 b1", "text, then a NUL at the end");

    /* SEG_MIN_TEXT - 1 bytes of text between binary: binary; SEG_MIN_TEXT: text */
    fill_binary(b, 100);
    fill_text(b + 100, SEG_MIN_TEXT - 1);
    fill_binary(b + 100 + SEG_MIN_TEXT - 1, 100);
    snprintf(want, sizeof want, "b%u", 200 + SEG_MIN_TEXT - 1);
    expect_runs(b, 200 + SEG_MIN_TEXT - 1, want, "SEG_MIN_TEXT - 1 bytes of text between binary");
    fill_binary(b, 100);
    fill_text(b + 100, SEG_MIN_TEXT);
    fill_binary(b + 100 + SEG_MIN_TEXT, 100);
    snprintf(want, sizeof want, "b100 t%u b100", SEG_MIN_TEXT);
    expect_runs(b, 200 + SEG_MIN_TEXT, want, "SEG_MIN_TEXT bytes of text between binary");

    /* a string table: short strings between single NULs, all binary */
    {
        static const char *sym[] = {"main", "printf", "malloc", "free", "strlen", "_start", "exit", "memcpy",
                                    "__libc_csu_init", "abort", "errno", "getenv", "qsort", "fopen", "fclose"};
        size_t n = 0;
        while (n < 3000) {
            const char *s = sym[rnd() % (sizeof sym / sizeof *sym)];
            memcpy(b + n, s, strlen(s) + 1);
            n += strlen(s) + 1;
        }
        snprintf(want, sizeof want, "b%zu", n);
        expect_runs(b, n, want, "a string table");
    }

    /* invalid UTF-8 is binary, valid multi-byte UTF-8 is text */
    {
        static const char *bad[] = {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80",
                                    "\xF0\x80\x80\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3",
                                    "\xE2\x82", "\xC3\x28"};
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            const size_t l = strlen(bad[k]);
            CHECK(seg_text_unit((const uint8_t *)bad[k], l) == 0, "invalid UTF-8 %zu is a text unit", k);
        }
        size_t n = 0;
        while (n < 600) { /* 0xFF between them: no two make a valid character */
            const char *s = bad[rnd() % (sizeof bad / sizeof *bad)];
            memcpy(b + n, s, strlen(s));
            n += strlen(s);
            b[n++] = 0xFF;
        }
        /* "\xC3\x28" holds a '(': text crumbs only */
        seg s = seg_of(b, n);
        seg_props(b, n, &s, "invalid UTF-8");
        CHECK(s.runs && s.text == 0, "invalid UTF-8: %zu bytes of text", s.text);
        free(s.runs);

        static const char *good[] = {"h\xC3\xA9llo ", "w\xC3\xB6rld ", "\xE2\x80\x94 ", "\xE6\x97\xA5\xE6\x9C\xAC ",
                                     "\xF0\x9F\x98\x80 ", "\xF4\x8F\xBF\xBF", "\xEF\xBB\xBF", "\xD0\x96\xD0\xB8\n"};
        static const uint32_t ulen[] = {1, 1, 3, 3, 4, 4, 3, 2};
        for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
            uint32_t u = seg_text_unit((const uint8_t *)good[k], strlen(good[k]));
            CHECK(u == ulen[k], "valid UTF-8 %zu: unit of %u bytes, want %u", k, u, ulen[k]);
        }
        n = 0;
        while (n < 1200) {
            const char *t = good[rnd() % (sizeof good / sizeof *good)];
            memcpy(b + n, t, strlen(t));
            n += strlen(t);
        }
        snprintf(want, sizeof want, "t%zu", n);
        expect_runs(b, n, want, "valid multi-byte UTF-8");
        /* a character cut at the end of the buffer: its bytes are binary */
        memcpy(b + n, "\xF0\x9F\x98", 3);
        snprintf(want, sizeof want, "t%zu b3", n);
        expect_runs(b, n + 3, want, "UTF-8 text ending inside a character");
    }

    /* base64 blocks in text (a mail): runs of their own, given back exactly */
    {
        static uint8_t raw[4000];
        for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)rnd();
        static const struct {
            size_t d, w;
            int crlf;
        } mb[] = {{3000, 76, 0}, {3001, 64, 1}, {2999, 16, 0}, {4000, 4096, 1}};
        for (size_t k = 0; k < sizeof mb / sizeof *mb; k++) {
            size_t n = 0;
            fill_text(b, 200);
            n = 200;
            memcpy(b + n, mb[k].crlf ? "\r\n\r\n" : "\n\n", mb[k].crlf ? 4 : 2);
            n += mb[k].crlf ? 4 : 2;
            const size_t head = n, l = b64_lines(raw, mb[k].d, mb[k].w, mb[k].crlf, b + n);
            n += l;
            fill_text(b + n, 300);
            n += 300;
            char what[96];
            snprintf(what, sizeof what, "mail: base64 of %zu bytes, lines of %zu%s", mb[k].d, mb[k].w,
                     mb[k].crlf ? ", CRLF" : "");
            snprintf(want, sizeof want, "t%zu B%zu t300", head, l);
            expect_runs(b, n, want, what);
            seg s = seg_of(b, n);
            if (s.runs && s.nr == 3) {
                uint8_t *d = malloc(s.runs[1].v + 1);
                if (d) seg_b64_decode(b + head, &s.runs[1], d);
                CHECK(d && s.runs[1].v == mb[k].d && s.runs[1].w == mb[k].w && s.runs[1].crlf == mb[k].crlf &&
                          !memcmp(d, raw, mb[k].d),
                      "%s: decoded %u bytes, lines of %u", what, s.runs[1].v, s.runs[1].w);
                free(d);
            }
            free(s.runs);
        }
        /* shorter than SEG_MIN_B64: text */
        size_t n = 200;
        fill_text(b, n);
        b[n++] = '\n';
        n += b64_lines(raw, (SEG_MIN_B64 - 200) / 4 * 3, 76, 0, b + n);
        fill_text(b + n, 100);
        n += 100;
        snprintf(want, sizeof want, "t%zu", n);
        expect_runs(b, n, want, "base64 block shorter than SEG_MIN_B64");
        /* spare bits of the padding not zero: the encoder would not write it, text */
        n = 200;
        fill_text(b, n);
        b[n++] = '\n';
        const size_t l = b64_lines(raw, 3001, 76, 0, b + n); /* ends "xx==\n" */
        CHECK(b[n + l - 2] == '=' && b[n + l - 3] == '=', "base64 of 3001 bytes ends with ==");
        CHECK(strchr("AQgw", b[n + l - 4]) != NULL, "base64 of 3001 bytes: last character before == is %c",
              b[n + l - 4]);
        b[n + l - 4]++; /* A -> B, Q -> R, g -> h, w -> x: spare bits 01 */
        n += l;
        snprintf(want, sizeof want, "t%zu", n);
        expect_runs(b, n, want, "base64 with non-zero padding bits");
    }

    /* a tar: headers (short fields between NULs) and NUL padding binary, each body one text run */
    {
        size_t n = 0, nb = 0, body_at[16], body_len[16];
        for (int f = 0; f < 12; f++) {
            size_t len = 300 + rnd() % 1500;
            if ((len + 511) / 512 * 512 - len < SEG_GAP) len -= SEG_GAP; /* padding of SEG_GAP bytes or more */
            const size_t pad = (len + 511) / 512 * 512 - len;
            char name[64];
            snprintf(name, sizeof name, "src/lmz/file-%02d.txt", f);
            tar_header(b + n, name, len);
            n += 512;
            fill_text(b + n, len);
            b[n + len - 1] = '\n';
            body_at[nb] = n;
            body_len[nb++] = len;
            memset(b + n + len, 0, pad);
            n += len + pad;
        }
        memset(b + n, 0, 1024); /* the end: two zero blocks */
        n += 1024;
        seg s = seg_of(b, n);
        seg_props(b, n, &s, "tar");
        int same = s.runs && s.n_text_runs == nb;
        size_t at = 0, k = 0;
        for (uint32_t r = 0; same && r < s.nr; r++) {
            if (s.runs[r].kind != SEG_BINARY) same = at == body_at[k] && s.runs[r].len == body_len[k], k++;
            at += s.runs[r].len;
        }
        CHECK(same, "tar: the text runs are not the %zu bodies: %s", nb, s.runs ? runs_str(&s) : "");
        CHECK(s.runs && s.runs[0].kind == SEG_BINARY, "tar: starts with a binary run");
        printf("tar of %zu files, %zu bytes: %u runs, %zu bytes of text (the bodies)\n", nb, n, s.nr, s.text);
        free(s.runs);

        /* padding shorter than SEG_GAP before the next header: the text run takes the padding and the next
         * name in (by design: "tar padding before the next name") */
        const size_t len = 512 - 3, name_len = strlen("src/next.txt");
        tar_header(b, "src/a.txt", len);
        fill_text(b + 512, len);
        memset(b + 512 + len, 0, 3);
        tar_header(b + 1024, "src/next.txt", 400);
        fill_text(b + 1536, 400);
        memset(b + 1936, 0, 112 + 1024);
        n = 1536 + 512 + 1024;
        s = seg_of(b, n);
        seg_props(b, n, &s, "tar, short padding");
        CHECK(s.runs && s.n_text_runs == 2 && s.nr == 5 && s.runs[1].len == len + 3 + name_len &&
                  s.runs[3].len == 400,
              "tar, short padding: runs %s (want t%zu then t400)", s.runs ? runs_str(&s) : "", len + 3 + name_len);
        free(s.runs);
    }
}

/* ------------------------------------------------------------------------ */
/* Random inputs                                                            */
/* ------------------------------------------------------------------------ */

static void test_random(void) {
    static uint8_t b[20000];
    int cases = 0, failed = 0;
    size_t runs = 0, with_text = 0, max_nr = 0;
    for (int it = 0; it < 3000; it++) {
        size_t n = 0, want = rnd() % (it < 2000 ? 3000 : sizeof b);
        while (n < want) {
            size_t k = 1 + rnd() % 400, room = want - n;
            if (k > room) k = room;
            switch (rnd() % 8) {
            case 0:
            case 1: fill_text(b + n, k); break;
            case 2: k = k % (2 * SEG_GAP) + 1 < room ? k % (2 * SEG_GAP) + 1 : room; memset(b + n, 0, k); break;
            case 3: k = k % 40 + 1 < room ? k % 40 + 1 : room; fill_binary(b + n, k); break;
            case 4:
                for (size_t i = 0; i < k; i++) b[n + i] = (uint8_t)rnd();
                break;
            case 5: { /* UTF-8, sometimes cut inside a character */
                static const char *u[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "a", " "};
                size_t i = 0;
                while (i < k) {
                    const char *s = u[rnd() % 5];
                    size_t l = strlen(s);
                    if (l > k - i) l = k - i;
                    memcpy(b + n + i, s, l);
                    i += l;
                }
                break;
            }
            case 6: /* text with single stray bytes */
                fill_text(b + n, k);
                for (size_t i = 0; i < k / 40; i++) {
                    const size_t at = rnd() % k; /* apart: the order of the two calls is fixed */
                    b[n + at] = binary_byte();
                }
                break;
            default: /* short strings between NULs */
                for (size_t i = 0; i < k; i++) b[n + i] = rnd() % 7 == 0 ? 0 : (uint8_t)('a' + rnd() % 26);
                break;
            }
            n += k;
        }
        char what[64];
        snprintf(what, sizeof what, "random input %d (%zu bytes)", it, n);
        seg s = seg_of(b, n);
        cases++;
        failed += !seg_props(b, n, &s, what);
        runs += s.nr;
        with_text += s.text > 0;
        max_nr = s.nr > max_nr ? s.nr : max_nr;
        free(s.runs);
    }
    /* many runs: SEG_MIN_TEXT bytes of text and SEG_GAP NULs, over and over */
    {
        size_t n = 0;
        b[n++] = 0;
        while (n + SEG_MIN_TEXT + SEG_GAP <= sizeof b) {
            fill_text(b + n, SEG_MIN_TEXT);
            n += SEG_MIN_TEXT;
            memset(b + n, 0, SEG_GAP);
            n += SEG_GAP;
        }
        seg s = seg_of(b, n);
        seg_props(b, n, &s, "alternating text and gaps");
        CHECK(s.runs && s.nr == 2 * (n / (SEG_MIN_TEXT + SEG_GAP)) + 1, "alternating: %u runs", s.nr);
        free(s.runs);
    }
    CHECK(failed == 0, "%d of %d random inputs break a property", failed, cases);
    printf("random inputs: %d, %zu runs (at most %zu in one), %zu with text\n", cases, runs, max_nr, with_text);
}

int main(void) {
    seg_min_chunk_text = seg_const("SEG_MIN_CHUNK_TEXT");
    seg_min_chunk_b64 = seg_const("SEG_MIN_CHUNK_B64");
    seg_min_frame_text = seg_const("SEG_MIN_FRAME_TEXT");
    seg_big_binary = seg_const("SEG_BIG_BINARY");
#ifdef SEG_MIN_CHUNK_TEXT
    CHECK(seg_min_chunk_text == SEG_MIN_CHUNK_TEXT, "SEG_MIN_CHUNK_TEXT: %zu in the source", seg_min_chunk_text);
#endif
    /* a `seg` chunk's text is never shorter than a text run, a long binary run is longer than a gap */
    CHECK(seg_min_chunk_text >= SEG_MIN_TEXT && seg_big_binary > SEG_GAP && seg_min_frame_text >= seg_min_chunk_text,
          "constants %zu %zu %zu", seg_min_chunk_text, seg_big_binary, seg_min_frame_text);

    test_corpus();
    test_built();
    test_random();
    return check_done("test_segment");
}
