/*
 * lib/lossy/text.c — protected spans, segmentation, canonical text, the
 * safe-substitution rule and the fidelity metrics. Pure functions; the rules
 * are documented in doc/lossy.md and pinned by tests/unit/test_lossy.c.
 */
#include "lossy/text.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* ======================================================================== */
/* Character classes (ASCII; every byte >= 0x80 is "other")                  */
/* ======================================================================== */

static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_alpha(int c) { return is_lower(c) || is_upper(c); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int to_lower(int c) { return is_upper(c) ? c + 32 : c; }
/* c is one of the characters of set (never true for NUL). */
static int in_set(int c, const char *set) { return c != 0 && strchr(set, c) != NULL; }

/* U+2019 (right single quotation mark, also the typographic apostrophe) */
static int at_rsquo(const char *s, size_t n, size_t i) {
    return i + 2 < n && (uint8_t)s[i] == 0xE2 && (uint8_t)s[i + 1] == 0x80 && (uint8_t)s[i + 2] == 0x99;
}
static int at3(const char *s, size_t n, size_t i, uint8_t a, uint8_t b, uint8_t c) {
    return i + 2 < n && (uint8_t)s[i] == a && (uint8_t)s[i + 1] == b && (uint8_t)s[i + 2] == c;
}

/* Case-insensitive comparison of w[0..n) with a NUL-terminated lower-case word. */
static int word_eq(const char *w, size_t n, const char *lit) {
    size_t k = strlen(lit);
    if (k != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (to_lower((uint8_t)w[i]) != lit[i]) return 0;
    return 1;
}
static int word_in(const char *w, size_t n, const char *const *list) {
    for (; *list; list++)
        if (word_eq(w, n, *list)) return 1;
    return 0;
}

/* ======================================================================== */
/* Word lists                                                                */
/* ======================================================================== */

static const char *const k_negations[] = {
    "not", "no", "never", "nor", "none", "nobody", "nothing", "nowhere", "neither", "cannot", "without",
    "hardly", "scarcely", "barely", "nay", "nope", "noone", "non", "unless", NULL};

/* Number words are numbers: "four" must never become "for". */
static const char *const k_number_words[] = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "hundreds", "thousand", "thousands",
    "million", "millions", "billion", "billions", "trillion", "first", "second", "third", "fourth", "fifth",
    "sixth", "seventh", "eighth", "ninth", "tenth", "once", "twice", "thrice", "half", "halves", "quarter",
    "dozen", "dozens", "single", "double", "triple", "both", "all", "every", "each", "few", "many", "more",
    "most", "less", "least", "fewer", "only", NULL};

/* Unit words that follow a number ("12 kg", "3 ms"): part of the amount. */
static const char *const k_units[] = {
    "km", "m", "cm", "mm", "kg", "g", "mg", "t", "l", "ml", "s", "ms", "us", "ns", "h", "hr", "hrs", "min",
    "mins", "sec", "secs", "kb", "mb", "gb", "tb", "k", "b", "bit", "bits", "byte", "bytes", "kbit", "mbit",
    "percent", "per", "dollars", "dollar", "cents", "pounds", "euros", "miles", "mile", "feet", "ft", "inches",
    "yards", "lb", "lbs", "oz", "mph", "kph", "hz", "khz", "mhz", "ghz", "v", "w", "kw", "mw", "degrees", "am",
    "pm", "years", "year", "months", "month", "weeks", "week", "days", "day", "hours", "hour", "minutes",
    "minute", "seconds", "times", "x", NULL};

/* Abbreviations that end with a period but do not end a sentence. */
static const char *const k_abbrev[] = {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "eg",
                                       "ie", "cf", "al", "fig", "figs", "no", "vol", "pp", "ed", "eds", "ch",
                                       "sec", "approx", "dept", "univ", "inc", "ltd", "co", "corp", "jan", "feb",
                                       "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", NULL};

const char *lz_prot_kind_name(int kind) {
    static const char *const names[LZ_P_COUNT] = {"number", "name", "negation", "quote",
                                                  "url",    "email", "code",   "line"};
    return kind >= 0 && kind < LZ_P_COUNT ? names[kind] : "?";
}

int lz_is_negation(const char *w, size_t n) {
    if (word_in(w, n, k_negations)) return 1;
    /* n't and n’t endings: don't, can't, isn’t */
    if (n >= 3 && to_lower((uint8_t)w[n - 3]) == 'n' && w[n - 2] == '\'' && to_lower((uint8_t)w[n - 1]) == 't')
        return 1;
    if (n >= 5 && to_lower((uint8_t)w[n - 5]) == 'n' && at_rsquo(w, n, n - 4) && to_lower((uint8_t)w[n - 1]) == 't')
        return 1;
    /* apostrophe-less spellings of the usual contractions */
    static const char *const bare[] = {"dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont",
                                       "wouldnt", "shouldnt", "couldnt", "cant", "hasnt", "havent", "hadnt",
                                       "aint", "mustnt", "neednt", NULL};
    return word_in(w, n, bare);
}

/* ======================================================================== */
/* Span lists and growable buffers                                           */
/* ======================================================================== */

static int spans_push(lz_spans *sp, size_t a, size_t b, int kind) {
    if (b <= a) return 0;
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 64;
        lz_span *v = realloc(sp->v, cap * sizeof *v);
        if (!v) return -1;
        sp->v = v;
        sp->cap = cap;
    }
    sp->v[sp->n].start = (uint32_t)a;
    sp->v[sp->n].end = (uint32_t)b;
    sp->v[sp->n].kind = (uint8_t)kind;
    sp->n++;
    return 0;
}

void lz_spans_free(lz_spans *sp) {
    if (!sp) return;
    free(sp->v);
    memset(sp, 0, sizeof *sp);
}

void lz_buf_put(lz_buf *b, const void *p, size_t n) {
    if (b->oom || n == 0) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void lz_buf_free(lz_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Appends count entries: from, from + step, from + 2 * step, ... */
static void map_put(lz_map *m, uint32_t from, uint32_t step, size_t count) {
    if (m->oom || count == 0) return;
    if (m->n + count > m->cap) {
        size_t cap = m->cap ? m->cap : 256;
        while (cap < m->n + count) cap *= 2;
        uint32_t *v = realloc(m->v, cap * sizeof *v);
        if (!v) {
            m->oom = 1;
            return;
        }
        m->v = v;
        m->cap = cap;
    }
    for (size_t q = 0; q < count; q++) m->v[m->n++] = from + (uint32_t)q * step;
}

void lz_map_free(lz_map *m) {
    free(m->v);
    memset(m, 0, sizeof *m);
}

void lz_buf_put_from(lz_buf *out, lz_map *map, const void *p, size_t n, uint32_t from, uint32_t step) {
    lz_buf_put(out, p, n);
    if (map) map_put(map, from, step, n);
}

/* ======================================================================== */
/* Code-like lines                                                           */
/* ======================================================================== */

int lz_line_is_code(const char *s, size_t n) {
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i == n) return 0; /* blank */
    /* markup, comments, prompts, quoted mail, tables, braces at column 0 */
    if (i == 0 && in_set((uint8_t)s[0], ".\\#>|%$@{}<")) return 1;
    /* a mail/news header "Key: value" (key without spaces, <= 30 bytes) */
    if (i == 0 && is_alpha((uint8_t)s[0])) {
        size_t k = 1;
        while (k < n && k < 31 && (is_alnum((uint8_t)s[k]) || s[k] == '-')) k++;
        if (k < n && s[k] == ':' && (k + 1 == n || s[k + 1] == ' ' || s[k + 1] == '\t')) return 1;
    }
    /* tables: a tab after content, or two inner runs of >= 3 spaces */
    size_t runs = 0, symbols = 0, visible = 0;
    for (size_t k = i; k < n; k++) {
        char c = s[k];
        if (c == '\t') return 1;
        if (c == ' ') {
            size_t r = k;
            while (r < n && s[r] == ' ') r++;
            if (r - k >= 3 && r < n) runs++;
            k = r - 1;
            continue;
        }
        visible++;
        if (in_set((uint8_t)c, "{}[]<>=;|\\_#@$^&*~/+")) symbols++;
    }
    if (runs >= 2) return 1;
    /* code: symbol density */
    if (symbols >= 3 && symbols * 10 >= visible) return 1;
    return 0;
}

/* ======================================================================== */
/* Protected spans                                                           */
/* ======================================================================== */

/* End of the line that contains i (index of '\n' or n). */
static size_t line_end(const char *s, size_t n, size_t i) {
    while (i < n && s[i] != '\n') i++;
    return i;
}

/* Where the paragraph containing i ends: at a blank line or a code line
 * (the byte before its first character), or n. Quotations never run past it. */
static size_t para_end(const char *s, size_t n, size_t i) {
    size_t e = line_end(s, n, i);
    while (e < n) {
        size_t ls = e + 1, le = line_end(s, n, ls);
        size_t k = ls;
        while (k < le && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
        if (k == le || lz_line_is_code(s + ls, le - ls)) return e;
        e = le;
    }
    return n;
}

/* The end of an unclosed quotation: its paragraph's end without trailing
 * white space (a CR before the line feed belongs to no span). */
static size_t trim_end(const char *s, size_t from, size_t e) {
    while (e > from + 1 && is_space((uint8_t)s[e - 1])) e--;
    return e;
}

/* A closing single quote at i: ' (or ’) after a non-space, not followed by a letter or digit. */
static size_t single_close(const char *s, size_t n, size_t i, size_t limit) {
    for (size_t k = i; k < limit; k++) {
        size_t w = s[k] == '\'' ? 1 : at_rsquo(s, n, k) ? 3 : 0;
        if (!w || k == 0 || is_space((uint8_t)s[k - 1])) continue;
        if (k + w < n && is_alnum((uint8_t)s[k + w])) continue; /* an apostrophe: can't, Alice's */
        return k + w;
    }
    return 0;
}

static size_t find_byte(const char *s, size_t from, size_t limit, char c) {
    for (size_t k = from; k < limit; k++)
        if (s[k] == c) return k;
    return limit;
}

static size_t find3(const char *s, size_t n, size_t from, size_t limit, uint8_t a, uint8_t b, uint8_t c) {
    for (size_t k = from; k < limit; k++)
        if (at3(s, n, k, a, b, c)) return k;
    return limit;
}

/* Length of a URL starting at i, or 0. */
static size_t url_len(const char *s, size_t n, size_t i) {
    static const char *const pre[] = {"http://", "https://", "ftp://", "file://", "mailto:", "www.", NULL};
    int hit = 0;
    for (int k = 0; pre[k]; k++) {
        size_t L = strlen(pre[k]);
        if (i + L <= n && strncmp(s + i, pre[k], L) == 0 && i + L < n && !is_space((uint8_t)s[i + L])) hit = 1;
    }
    if (!hit) return 0;
    size_t e = i;
    while (e < n && !is_space((uint8_t)s[e]) && s[e] != '"' && s[e] != '<' && s[e] != '>') e++;
    while (e > i && in_set((uint8_t)s[e - 1], ".,;:!?)]'")) e--;
    return e - i;
}

static int email_char(int c) { return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }

/* Length of an e-mail address starting at i (a word start), or 0. */
static size_t email_len(const char *s, size_t n, size_t i) {
    size_t k = i;
    while (k < n && email_char((uint8_t)s[k])) k++;
    if (k == i || k + 1 >= n || s[k] != '@' || !is_alnum((uint8_t)s[k + 1])) return 0;
    size_t e = k + 1;
    while (e < n && (is_alnum((uint8_t)s[e]) || s[e] == '.' || s[e] == '-')) e++;
    while (e > k + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) e--;
    return e - i;
}

/* A troff/TeX escape at a backslash: \fI, \f(CW, \(em, \&, \s-2, \\ .
 * Before white space or a non-ASCII byte the backslash stands alone: a span
 * must not end in white space (a unit ends before the white space at a line
 * end, and a span sticking out of its unit could never be found in the
 * output; news failed so at level 1) nor inside a UTF-8 character. */
static size_t escape_len(const char *s, size_t n, size_t i) {
    size_t e = i + 1;
    if (e >= n) return 1;
    char c = s[e++];
    if ((c == 'f' || c == '*' || c == 'n') && e < n) {
        if (s[e] == '(') e = e + 3 <= n ? e + 3 : n;
        else e++;
    } else if (c == '(') {
        e = e + 2 <= n ? e + 2 : n;
    } else if (c == 's') {
        if (e < n && (s[e] == '+' || s[e] == '-')) e++;
        while (e < n && is_digit((uint8_t)s[e])) e++;
    } else if (is_alpha((uint8_t)c)) {
        while (e < n && is_alpha((uint8_t)s[e])) e++; /* TeX control word */
    }
    for (size_t q = i + 1; q < e; q++) /* \(x<line break>: the escape ends there */
        if (is_space((uint8_t)s[q]) || (uint8_t)s[q] >= 0x80) return q - i;
    return e - i;
}

/* The word (letters, digits, inner apostrophes) starting at i; returns its end. */
static size_t word_end(const char *s, size_t n, size_t i) {
    size_t e = i;
    for (;;) {
        while (e < n && is_alnum((uint8_t)s[e])) e++;
        if (e + 1 < n && s[e] == '\'' && is_alpha((uint8_t)s[e + 1])) {
            e++;
            continue;
        }
        if (at_rsquo(s, n, e) && e + 3 < n && is_alpha((uint8_t)s[e + 3])) {
            e += 3;
            continue;
        }
        return e;
    }
}

/* A number starting at i (i at a digit): digits with inner separators
 * (1,024.5  10:36:33  1986-87  2/3), attached letters (3rd, 12kg, 1950s),
 * a following % or unit word, a preceding currency sign or minus. */
static void number_span(const char *s, size_t n, size_t i, size_t *a, size_t *b) {
    size_t st = i, e = i;
    for (;;) {
        while (e < n && (is_alnum((uint8_t)s[e]))) e++;
        if (e + 1 < n && in_set((uint8_t)s[e], ".,:/-") && is_digit((uint8_t)s[e + 1])) {
            e++;
            continue;
        }
        break;
    }
    if (e < n && s[e] == '%') e++;
    else if (e + 1 < n && s[e] == ' ' && is_alpha((uint8_t)s[e + 1])) {
        size_t we = e + 1;
        while (we < n && is_alpha((uint8_t)s[we])) we++;
        if (word_in(s + e + 1, we - e - 1, k_units)) e = we;
    }
    if (st > 0 && in_set((uint8_t)s[st - 1], "$#+-~") && (st == 1 || !is_alnum((uint8_t)s[st - 2]))) st--;
    else if (st >= 2 && ((uint8_t)s[st - 2] == 0xC2 && ((uint8_t)s[st - 1] == 0xA3 || (uint8_t)s[st - 1] == 0xA5)))
        st -= 2; /* £ ¥ */
    else if (st >= 3 && at3(s, n, st - 3, 0xE2, 0x82, 0xAC))
        st -= 3; /* € */
    *a = st;
    *b = e;
}

int lz_protect(const char *s, size_t n, lz_spans *sp) {
    memset(sp, 0, sizeof *sp);
    size_t i = 0;
#define PUSH(a, b, k)                                                                                              \
    do {                                                                                                           \
        if (spans_push(sp, (a), (b), (k))) goto oom;                                                               \
    } while (0)
    while (i < n) {
        uint8_t c = (uint8_t)s[i];
        /* whole code-like lines */
        if (i == 0 || s[i - 1] == '\n') {
            size_t le = line_end(s, n, i), ce = le;
            if (lz_line_is_code(s + i, le - i)) {
                while (ce > i && s[ce - 1] == '\r') ce--;
                PUSH(i, ce, LZ_P_LINE);
                i = le;
                continue;
            }
        }
        if (is_space(c)) {
            i++;
            continue;
        }
        int word_start = i == 0 || !is_alnum((uint8_t)s[i - 1]);
        /* quotations and inline code */
        if (c == '"') {
            size_t pe = para_end(s, n, i), k = find_byte(s, i + 1, pe, '"');
            size_t e = k < pe ? k + 1 : trim_end(s, i, pe);
            PUSH(i, e, LZ_P_QUOTE);
            i = e;
            continue;
        }
        if (at3(s, n, i, 0xE2, 0x80, 0x9C)) { /* “ ... ” */
            size_t pe = para_end(s, n, i), k = find3(s, n, i + 3, pe, 0xE2, 0x80, 0x9D);
            size_t e = k < pe ? k + 3 : trim_end(s, i, pe);
            PUSH(i, e, LZ_P_QUOTE);
            i = e;
            continue;
        }
        if (c == '`') {
            size_t pe = para_end(s, n, i), le = line_end(s, n, i);
            size_t tick = find_byte(s, i + 1, le, '`');
            size_t close = single_close(s, n, i + 1, pe);
            if (tick < le && (!close || tick < close)) { /* `code` */
                PUSH(i, tick + 1, LZ_P_CODE);
                i = tick + 1;
            } else { /* `quote' (TeX style), or unclosed: to the end of the paragraph */
                size_t e = close ? close : trim_end(s, i, pe);
                PUSH(i, e, LZ_P_QUOTE);
                i = e;
            }
            continue;
        }
        if ((c == '\'' || at3(s, n, i, 0xE2, 0x80, 0x98)) &&
            (i == 0 || is_space((uint8_t)s[i - 1]) || in_set((uint8_t)s[i - 1], "([{-"))) {
            size_t w = c == '\'' ? 1 : 3;
            if (i + w < n && is_alnum((uint8_t)s[i + w])) {
                size_t pe = para_end(s, n, i), close = single_close(s, n, i + w + 1, pe);
                if (close) {
                    PUSH(i, close, LZ_P_QUOTE);
                    i = close;
                    continue;
                }
            }
        }
        if (c == '\\') {
            size_t L = escape_len(s, n, i);
            PUSH(i, i + L, LZ_P_CODE);
            i += L;
            continue;
        }
        if (word_start) {
            size_t L = url_len(s, n, i);
            if (L) {
                PUSH(i, i + L, LZ_P_URL);
                i += L;
                continue;
            }
            L = email_len(s, n, i);
            if (L) {
                size_t a = i, b = i + L;
                if (a > 0 && s[a - 1] == '<' && b < n && s[b] == '>') a--, b++;
                /* the '<' was already passed as punctuation: spans stay sorted
                 * because nothing was pushed for it */
                PUSH(a, b, LZ_P_EMAIL);
                i = b;
                continue;
            }
        }
        if (is_digit(c) || ((c == '$' || c == '-' || c == '+') && i + 1 < n && is_digit((uint8_t)s[i + 1]) &&
                            (i == 0 || !is_alnum((uint8_t)s[i - 1])))) {
            size_t a, b;
            number_span(s, n, is_digit(c) ? i : i + 1, &a, &b);
            if (a < i) a = i; /* never reach back over what was already scanned */
            PUSH(a, b, LZ_P_NUMBER);
            i = b;
            continue;
        }
        if (c >= 0xC2 && i + (c == 0xE2 ? 3u : 2u) < n && is_digit((uint8_t)s[i + (c == 0xE2 ? 3 : 2)]) &&
            ((c == 0xC2 && ((uint8_t)s[i + 1] == 0xA3 || (uint8_t)s[i + 1] == 0xA5)) ||
             at3(s, n, i, 0xE2, 0x82, 0xAC))) { /* £5 ¥5 €5 */
            size_t a, b;
            number_span(s, n, i + (c == 0xE2 ? 3 : 2), &a, &b);
            PUSH(i, b, LZ_P_NUMBER);
            i = b;
            continue;
        }
        if (is_alpha(c) && word_start) {
            size_t e = word_end(s, n, i);
            int upper = 0, digit = 0;
            for (size_t k = i; k < e; k++) {
                upper |= is_upper((uint8_t)s[k]);
                digit |= is_digit((uint8_t)s[k]);
            }
            if (digit) PUSH(i, e, LZ_P_NUMBER);
            else if (lz_is_negation(s + i, e - i)) PUSH(i, e, LZ_P_NEGATION);
            else if (upper) PUSH(i, e, LZ_P_NAME);
            else if (word_in(s + i, e - i, k_number_words)) PUSH(i, e, LZ_P_NUMBER);
            i = e;
            continue;
        }
        /* any other byte (punctuation, UTF-8) */
        i++;
    }
#undef PUSH
    return 0;
oom:
    lz_spans_free(sp);
    return -1;
}

/* First span with end > pos (spans sorted, disjoint). */
static size_t span_from(const lz_spans *sp, size_t pos) {
    size_t lo = 0, hi = sp ? sp->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sp->v[mid].end <= pos) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* ======================================================================== */
/* Segmentation                                                              */
/* ======================================================================== */

static int units_push(lz_units *u, size_t a, size_t b, uint32_t block, int kind) {
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        lz_unit *v = realloc(u->v, cap * sizeof *v);
        if (!v) return -1;
        u->v = v;
        u->cap = cap;
    }
    lz_unit *x = &u->v[u->n++];
    x->start = (uint32_t)a;
    x->end = (uint32_t)b;
    x->block = block;
    x->kind = (uint8_t)kind;
    x->nl = 0;
    return 0;
}

void lz_units_free(lz_units *u) {
    if (!u) return;
    free(u->v);
    memset(u, 0, sizeof *u);
}

static int inside_span(const lz_spans *sp, size_t pos) {
    size_t k = span_from(sp, pos);
    return k < sp->n && sp->v[k].start < pos && pos < sp->v[k].end;
}

/* Is there a sentence end right after s[i-1] (i is past the terminal
 * punctuation and closers)? dot_at is the index of the last . ! or ?. */
static int sentence_break(const char *s, size_t pe, size_t dot_at, size_t i) {
    if (i >= pe) return 1;
    if (!is_space((uint8_t)s[i])) return 0;
    if (s[dot_at] == '.') {
        /* the word before the period */
        size_t w = dot_at;
        while (w > 0 && is_alpha((uint8_t)s[w - 1])) w--;
        size_t wl = dot_at - w;
        if (wl == 1 && is_upper((uint8_t)s[w])) return 0; /* an initial: H. */
        if (wl > 0 && word_in(s + w, wl, k_abbrev)) return 0;
        if (wl == 1 && w >= 2 && s[w - 1] == '.') return 0; /* e.g. i.e. */
    }
    size_t k = i;
    while (k < pe && is_space((uint8_t)s[k])) k++;
    if (k >= pe) return 1;
    uint8_t c = (uint8_t)s[k];
    return is_upper(c) || is_digit(c) || in_set(c, "\"'`([") || c >= 0x80;
}

static int add_paragraph(const char *s, size_t ps, size_t pe, const lz_spans *sp, lz_units *u, uint32_t block) {
    size_t i = ps;
    while (i < pe && is_space((uint8_t)s[i])) i++;
    size_t start = i;
    while (i < pe) {
        uint8_t c = (uint8_t)s[i];
        /* jump over a protected span: never cut inside one; but a quotation
         * that ends with . ! or ? may end the sentence ("`I'm late!' She ran") */
        size_t k = span_from(sp, i);
        if (k < sp->n && sp->v[k].start <= i && i < sp->v[k].end) {
            size_t b = sp->v[k].end < pe ? sp->v[k].end : pe;
            i = b;
            if (sp->v[k].kind == LZ_P_QUOTE && b - sp->v[k].start >= 3) {
                size_t q = b - 1;
                if ((uint8_t)s[q] >= 0x80 && q >= 2) q -= 2; /* ” ’ */
                if (q > 0 && in_set((uint8_t)s[q - 1], ".!?") && sentence_break(s, pe, q - 1, b)) {
                    if (units_push(u, start, b, block, LZ_U_SENT)) return -1;
                    while (i < pe && is_space((uint8_t)s[i])) i++;
                    start = i;
                }
            }
            continue;
        }
        if (c == '.' || c == '!' || c == '?') {
            size_t dot = i;
            while (i < pe && (s[i] == '.' || s[i] == '!' || s[i] == '?')) dot = i++;
            while (i < pe && (in_set((uint8_t)s[i], ")]\"'") || at_rsquo(s, pe, i) || at3(s, pe, i, 0xE2, 0x80, 0x9D)))
                i += ((uint8_t)s[i] == 0xE2) ? 3 : 1;
            if (i <= pe && !inside_span(sp, i) && sentence_break(s, pe, dot, i)) {
                if (units_push(u, start, i, block, LZ_U_SENT)) return -1;
                while (i < pe && is_space((uint8_t)s[i])) i++;
                start = i;
            }
            continue;
        }
        i++;
    }
    size_t e = pe;
    while (e > start && is_space((uint8_t)s[e - 1])) e--;
    if (e > start && units_push(u, start, e, block, LZ_U_SENT)) return -1;
    return 0;
}

int lz_segment(const char *s, size_t n, const lz_spans *sp, lz_units *u) {
    memset(u, 0, sizeof *u);
    uint32_t block = 0;
    size_t i = 0;
    while (i < n) {
        size_t le = line_end(s, n, i);
        size_t k = i;
        while (k < le && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
        size_t si = span_from(sp, i);
        int is_line = si < sp->n && sp->v[si].start == i && sp->v[si].kind == LZ_P_LINE;
        if (k == le) { /* a run of blank lines */
            size_t e = le;
            while (e < n) {
                size_t ne = line_end(s, n, e + 1), q = e + 1;
                while (q < ne && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r')) q++;
                if (q != ne || e + 1 >= n) break;
                e = ne;
            }
            if (units_push(u, i, e, block, LZ_U_BLANK)) goto oom;
            u->v[u->n - 1].nl = 1;
            block++;
            i = e < n ? e + 1 : n;
            continue;
        }
        if (is_line) {
            if (units_push(u, i, sp->v[si].end, block, LZ_U_LINE)) goto oom;
            u->v[u->n - 1].nl = le < n;
            block++;
            i = le < n ? le + 1 : n;
            continue;
        }
        /* a prose paragraph: consecutive lines that are neither blank nor code */
        size_t pe = le;
        while (pe < n) {
            size_t ls = pe + 1, ne = line_end(s, n, ls), q = ls;
            if (ls >= n) break;
            while (q < ne && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r')) q++;
            size_t sj = span_from(sp, ls);
            int code = sj < sp->n && sp->v[sj].start == ls && sp->v[sj].kind == LZ_P_LINE;
            /* a line that starts inside a protected span (a quotation running
             * over lines) is always prose */
            if (inside_span(sp, ls)) code = 0;
            if (q == ne || code) break;
            pe = ne;
        }
        size_t before = u->n;
        if (add_paragraph(s, i, pe, sp, u, block)) goto oom;
        if (u->n > before) {
            u->v[u->n - 1].nl = pe < n;
            block++;
        }
        i = pe < n ? pe + 1 : n;
    }
    u->n_blocks = block;
    return 0;
oom:
    lz_units_free(u);
    return -1;
}

/* ======================================================================== */
/* Canonical text                                                            */
/* ======================================================================== */

/* Typographic character at i: its ASCII replacement and byte length, or
 * NULL. *ws = 1 for a Unicode space. */
static const char *typo(const char *s, size_t n, size_t i, size_t *len, int *ws) {
    *ws = 0;
    uint8_t c = (uint8_t)s[i];
    if (c == 0xC2 && i + 1 < n && (uint8_t)s[i + 1] == 0xA0) {
        *len = 2, *ws = 1;
        return " ";
    }
    if (c == 0xE2 && i + 2 < n && (uint8_t)s[i + 1] == 0x80) {
        uint8_t d = (uint8_t)s[i + 2];
        *len = 3;
        if (d >= 0x80 && d <= 0x8A) return *ws = 1, " ";
        if (d == 0xAF) return *ws = 1, " ";
        switch (d) {
        case 0x9C: case 0x9D: case 0x9E: case 0xB3: return "\"";
        case 0x98: case 0x99: case 0xB2: return "'";
        case 0x90: case 0x91: case 0x93: return "-";
        case 0x94: return "--";
        case 0xA6: return "...";
        default: return NULL;
        }
    }
    if (c == 0xE3 && i + 2 < n && (uint8_t)s[i + 1] == 0x80 && (uint8_t)s[i + 2] == 0x80) {
        *len = 3, *ws = 1;
        return " ";
    }
    return NULL;
}

void lz_canon_append(lz_buf *out, const char *s, uint32_t start, uint32_t end, const lz_spans *sp,
                     const lz_edit *edits, size_t n_edits, lz_map *map) {
    size_t k = span_from(sp, start), e = 0;
    while (edits && e < n_edits && edits[e].start < start) e++;
    int pending = 0, any = 0;
    size_t i = start;
    while (i < end) {
        if (sp && k < sp->n && sp->v[k].start <= i) { /* a protected span: verbatim */
            size_t a = i, b = sp->v[k].end < end ? sp->v[k].end : end;
            if (pending && any) lz_buf_put_from(out, map, " ", 1, (uint32_t)i, 0);
            pending = 0;
            lz_buf_put_from(out, map, s + a, b - a, (uint32_t)a, 1);
            any = 1;
            i = b;
            k++;
            continue;
        }
        if (edits && e < n_edits && edits[e].start == i) {
            if (edits[e].rep_len) {
                if (pending && any) lz_buf_put_from(out, map, " ", 1, (uint32_t)i, 0);
                pending = 0;
                lz_buf_put_from(out, map, edits[e].rep, edits[e].rep_len, (uint32_t)i, 0);
                any = 1;
            }
            i = edits[e].end;
            e++;
            continue;
        }
        uint8_t c = (uint8_t)s[i];
        if (is_space(c)) {
            pending = 1;
            i++;
            continue;
        }
        size_t len;
        int ws;
        const char *t = typo(s, end, i, &len, &ws);
        if (t && ws) {
            pending = 1;
            i += len;
            continue;
        }
        if (pending && any) lz_buf_put_from(out, map, " ", 1, (uint32_t)i, 0);
        pending = 0;
        any = 1;
        if (t) {
            lz_buf_put_from(out, map, t, strlen(t), (uint32_t)i, 0);
            i += len;
        } else {
            lz_buf_put_from(out, map, s + i, 1, (uint32_t)i, 1);
            i++;
        }
    }
}

/* ======================================================================== */
/* Safe substitutions                                                        */
/* ======================================================================== */

static int all_lower(const char *w, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_lower((uint8_t)w[i])) return 0;
    return 1;
}

/* Inflection stem: strip one of -ing -ed -es -s -d (stem >= 3 letters), a
 * doubled final consonant (stopp -> stop), then a final e. */
static size_t stem(const char *w, size_t n, char *out) {
    static const char *const suf[] = {"ing", "ed", "es", "s", "d", NULL};
    size_t L = n;
    for (int k = 0; suf[k]; k++) {
        size_t sl = strlen(suf[k]);
        if (L >= sl + 3 && memcmp(w + L - sl, suf[k], sl) == 0) {
            L -= sl;
            break;
        }
    }
    memcpy(out, w, L);
    if (L >= 4 && out[L - 1] == out[L - 2] && !in_set((uint8_t)out[L - 1], "aeioulsz")) L--;
    if (L >= 4 && out[L - 1] == 'e') L--;
    return L;
}

/* British -> American spelling normal form (words of >= 5 letters). */
static size_t spelling(const char *w, size_t n, char *out) {
    size_t L = 0;
    for (size_t i = 0; i < n; i++) {
        /* -our -> -or before the end or an inflection */
        if (i + 3 <= n && memcmp(w + i, "our", 3) == 0 && i > 1 &&
            (i + 3 == n || w[i + 3] == 's' || (i + 5 <= n && memcmp(w + i + 3, "ed", 2) == 0) ||
             (i + 6 <= n && memcmp(w + i + 3, "ing", 3) == 0))) {
            out[L++] = 'o', out[L++] = 'r';
            i += 2;
            continue;
        }
        /* -ise -> -ize, -isation -> -ization, -yse -> -yze */
        if (i > 2 && (w[i] == 's') && (w[i - 1] == 'i' || w[i - 1] == 'y') && i + 1 < n &&
            (w[i + 1] == 'e' || (i + 3 < n && memcmp(w + i + 1, "ati", 3) == 0)) && i + 1 >= n - 4) {
            out[L++] = 'z';
            continue;
        }
        /* -tre -> -ter (centre, metre, theatre, fibre, litre) at the end */
        if (i + 3 == n && (memcmp(w + i, "tre", 3) == 0 || memcmp(w + i, "bre", 3) == 0) && i >= 2) {
            out[L++] = w[i], out[L++] = 'e', out[L++] = 'r';
            break;
        }
        /* -lled/-lling -> -led/-ling (travelled) */
        if (w[i] == 'l' && i + 1 < n && w[i + 1] == 'l' && i > 2 &&
            ((i + 4 == n && memcmp(w + i + 2, "ed", 2) == 0) || (i + 5 == n && memcmp(w + i + 2, "ing", 3) == 0) ||
             (i + 4 == n && memcmp(w + i + 2, "er", 2) == 0))) {
            out[L++] = 'l';
            i++;
            continue;
        }
        /* -ogue -> -og at the end (catalogue, dialogue) */
        if (i + 4 == n && memcmp(w + i, "ogue", 4) == 0) {
            out[L++] = 'o', out[L++] = 'g';
            break;
        }
        /* -ence -> -ense (defence, licence, offence) at the end */
        if (i + 4 == n && memcmp(w + i, "ence", 4) == 0 && i > 2 && (w[i - 1] == 'f' || w[i - 1] == 'c')) {
            out[L++] = 'e', out[L++] = 'n', out[L++] = 's', out[L++] = 'e';
            break;
        }
        out[L++] = w[i];
    }
    return L;
}

static int same_group(const char *a, size_t an, const char *b, size_t bn, const char *const *groups) {
    /* groups: words separated by NULL entries, each group ended by "" */
    int in_a = 0, in_b = 0;
    for (const char *const *g = groups; *g; g++) {
        if (!**g) {
            if (in_a && in_b) return 1;
            in_a = in_b = 0;
            continue;
        }
        in_a |= word_eq(a, an, *g);
        in_b |= word_eq(b, bn, *g);
    }
    return 0;
}

/* Prepositions of place ({in, on, at}) are NOT here: "at least" -> "on least"
 * and "in the box" -> "on the box" change meaning or break idioms. */
static const char *const k_groups3[] = {"into", "onto", "", "that", "which", "",
                                        "who", "whom", "", "this", "that", "", "these", "those", "",
                                        "some", "any", "", "towards", "toward", "",
                                        "amongst", "among", "", "whilst", "while", "", NULL};

static int is_vowel(char c) { return in_set((uint8_t)c, "aeiouAEIOU"); }

int lz_safe_substitution(const char *from, size_t fn, const char *to, size_t tn, int level, char next_initial) {
    if (level < 2 || fn == 0 || tn == 0 || fn > 20 || tn > 20) return 0;
    if (fn == tn && memcmp(from, to, fn) == 0) return 0;
    /* punctuation */
    if (fn == 1 && tn == 1 && in_set((uint8_t)from[0], ",;:") && in_set((uint8_t)to[0], ",;:")) {
        return (from[0] == ';' || to[0] == ';'); /* , <-> ;  and  ; <-> : (never , <-> :) */
    }
    if (!all_lower(from, fn) || !all_lower(to, tn)) return 0;
    if (lz_is_negation(from, fn) || lz_is_negation(to, tn)) return 0;
    if (word_in(from, fn, k_number_words) || word_in(to, tn, k_number_words)) return 0;
    /* articles */
    static const char *const art[] = {"a", "an", "the", NULL};
    if (word_in(from, fn, art) && word_in(to, tn, art)) {
        if (word_eq(to, tn, "a") && is_vowel(next_initial)) return 0;
        if (word_eq(to, tn, "an") && !is_vowel(next_initial)) return 0;
        if (!next_initial && tn < 3) return 0;
        return 1;
    }
    char x[24], y[24];
    /* spelling variants */
    if (fn >= 5 && tn >= 5) {
        size_t xl = spelling(from, fn, x), yl = spelling(to, tn, y);
        if (xl == yl && memcmp(x, y, xl) == 0) return 1;
    }
    if (level < 3) return 0;
    if (same_group(from, fn, to, tn, k_groups3)) return 1;
    /* inflection variants of one stem */
    if (fn >= 3 && tn >= 3) {
        size_t xl = stem(from, fn, x), yl = stem(to, tn, y);
        if (xl >= 3 && xl == yl && memcmp(x, y, xl) == 0) return 1;
    }
    return 0;
}

int lz_safe_deletion(const char *word, size_t n, int level) {
    static const char *const del[] = {"very", "really", "quite", "rather", "just", "actually", "certainly", NULL};
    if (level < 3) return 0;
    if (n == 1 && word[0] == ',') return 1;
    return all_lower(word, n) && word_in(word, n, del);
}

/* ======================================================================== */
/* Metrics                                                                   */
/* ======================================================================== */

/* Code points of s without white space (ASCII and Unicode spaces). */
static uint32_t *code_points(const char *s, size_t n, size_t *m) {
    uint32_t *v = malloc((n + 1) * sizeof *v);
    if (!v) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = (uint8_t)s[i];
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xF0 && i + 3 < n) cp = ((c & 7u) << 18) | (((uint8_t)s[i + 1] & 63u) << 12) | (((uint8_t)s[i + 2] & 63u) << 6) | ((uint8_t)s[i + 3] & 63u), len = 4;
        else if (c >= 0xE0 && i + 2 < n) cp = ((c & 15u) << 12) | (((uint8_t)s[i + 1] & 63u) << 6) | ((uint8_t)s[i + 2] & 63u), len = 3;
        else if (c >= 0xC0 && i + 1 < n) cp = ((c & 31u) << 6) | ((uint8_t)s[i + 1] & 63u), len = 2;
        i += len;
        if (cp < 0x80 && is_space((int)cp)) continue;
        if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x3000) continue;
        v[k++] = cp;
    }
    *m = k;
    return v;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted hashes of all n-grams of v[0..m). */
static uint64_t *ngrams(const uint32_t *v, size_t m, int order, size_t *cnt) {
    *cnt = m >= (size_t)order ? m - (size_t)order + 1 : 0;
    uint64_t *h = malloc((*cnt + 1) * sizeof *h);
    if (!h) return NULL;
    for (size_t i = 0; i < *cnt; i++) {
        uint64_t x = 1469598103934665603ull;
        for (int k = 0; k < order; k++) x = (x ^ v[i + (size_t)k]) * 1099511628211ull, x ^= x >> 29;
        h[i] = x;
    }
    qsort(h, *cnt, sizeof *h, cmp_u64);
    return h;
}

double lz_chrf(const char *hyp, size_t hn, const char *ref, size_t rn) {
    size_t hm, rm;
    uint32_t *hv = code_points(hyp, hn, &hm), *rv = code_points(ref, rn, &rm);
    double P = 0, R = 0, res = -1;
    if (!hv || !rv) goto out;
    if (hm == 0 && rm == 0) {
        res = 1;
        goto out;
    }
    for (int order = 1; order <= 6; order++) {
        size_t hc, rc;
        uint64_t *hh = ngrams(hv, hm, order, &hc), *rh = ngrams(rv, rm, order, &rc);
        if (!hh || !rh) {
            free(hh);
            free(rh);
            goto out;
        }
        size_t a = 0, b = 0, match = 0;
        while (a < hc && b < rc) {
            if (hh[a] < rh[b]) a++;
            else if (hh[a] > rh[b]) b++;
            else match++, a++, b++;
        }
        P += hc ? (double)match / (double)hc : (rc ? 0.0 : 1.0);
        R += rc ? (double)match / (double)rc : (hc ? 0.0 : 1.0);
        free(hh);
        free(rh);
    }
    P /= 6, R /= 6;
    res = (P + R) > 0 ? 5.0 * P * R / (4.0 * P + R) : 0.0;
out:
    free(hv);
    free(rv);
    return res;
}

/* Hashes of the words of s (runs of letters/digits/bytes >= 0x80, or single punctuation). */
static uint64_t *words(const char *s, size_t n, size_t *m) {
    uint64_t *v = malloc((n + 1) * sizeof *v);
    if (!v) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = (uint8_t)s[i];
        if (is_space(c)) {
            i++;
            continue;
        }
        uint64_t x = 1469598103934665603ull;
        if (is_alnum(c) || c >= 0x80) {
            while (i < n && (is_alnum((uint8_t)s[i]) || (uint8_t)s[i] >= 0x80)) x = (x ^ (uint8_t)s[i++]) * 1099511628211ull;
        } else {
            x = (x ^ c) * 1099511628211ull;
            i++;
        }
        v[k++] = x;
    }
    *m = k;
    return v;
}

long lz_word_edits(const char *a, size_t an, const char *b, size_t bn, long *ref_words) {
    size_t am, bm;
    uint64_t *x = words(a, an, &am), *y = words(b, bn, &bm);
    long *row = malloc((bm + 1) * sizeof *row);
    long res = -1;
    if (!x || !y || !row) goto out;
    *ref_words = (long)bm;
    for (size_t j = 0; j <= bm; j++) row[j] = (long)j;
    for (size_t i = 1; i <= am; i++) {
        long diag = row[0];
        row[0] = (long)i;
        for (size_t j = 1; j <= bm; j++) {
            long up = row[j], best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    res = row[bm];
out:
    free(x);
    free(y);
    free(row);
    return res;
}

int lz_is_text(const char *s, size_t n) {
    size_t ctrl = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = (uint8_t)s[i];
        if (c < 0x80) {
            if (c == 0) return 0;
            if (c < 0x20 && !(c >= 9 && c <= 13) && c != 27) ctrl++;
            if (c == 0x7F) ctrl++;
            i++;
            continue;
        }
        /* the lead byte and its continuation bytes (not strict: overlong
         * forms and surrogates pass, as they always have here) */
        uint32_t len = lmz_utf8_len((const uint8_t *)s + i, n - i, 0);
        if (!len) return 0;
        i += len;
    }
    return ctrl * 100 <= n;
}
