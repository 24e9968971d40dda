/*
 * lib/lossy/text.h — the model-free half of the lossy mode (doc/lossy.md):
 * protected spans, segmentation into blocks and sentences, canonical
 * whitespace and typography (level 1), the safe-substitution rule (levels
 * 2–3) and the fidelity metrics (chrF, word edit distance).
 *
 * Everything here is a pure function of its arguments: no model, no global
 * state, no I/O. That is what lets the unit and property tests
 * (tests/unit/test_lossy.c) pin the rules down exactly.
 *
 * Text is UTF-8; offsets and lengths are in bytes.
 */
#ifndef LMZ_LOSSY_TEXT_H
#define LMZ_LOSSY_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* ======================================================================== */
/* Protected spans                                                           */
/* ======================================================================== */

typedef enum {
    LZ_P_NUMBER = 0, /* digits with their separators, signs, ordinals, units, currency: 3, 1,024.5, 10:36:33, $5, 12kg, 3rd, 40% */
    LZ_P_NAME,       /* a word with an upper-case letter: names, acronyms, sentence-initial words, "iPhone" */
    LZ_P_NEGATION,   /* not, no, never, n't-words, without, nor, none, nothing, ... (any case) */
    LZ_P_QUOTE,      /* "...", “...”, ‘...’, `...' and '...' with their delimiters */
    LZ_P_URL,        /* scheme://..., www.... */
    LZ_P_EMAIL,      /* local@domain, <message@ids> */
    LZ_P_CODE,       /* `code`, troff/TeX escapes such as \fI */
    LZ_P_LINE,       /* a whole line that looks like code, a table, a header or markup */
    LZ_P_COUNT
} lz_prot_kind;

typedef struct {
    uint32_t start, end; /* [start, end) in bytes */
    uint8_t kind;        /* lz_prot_kind */
} lz_span;

typedef struct {
    lz_span *v;
    size_t n, cap;
} lz_spans;

const char *lz_prot_kind_name(int kind);

/* Finds the protected spans of s[0..n). Spans are sorted by start, never
 * overlap and never cut a UTF-8 character (an inner span is absorbed by the
 * outer one: a number inside a quotation is part of the quotation).
 * Returns 0, or -1 when out of memory (sp is then empty). Free with
 * lz_spans_free(). */
int lz_protect(const char *s, size_t n, lz_spans *sp);
void lz_spans_free(lz_spans *sp);

/* 1 when the line s[0..n) (no newline) looks like code, a table, a mail or
 * news header, a quoted mail line or markup (doc/lossy.md, "Protected"). */
int lz_line_is_code(const char *s, size_t n);

/* 1 when the word w[0..n) (letters and apostrophes) is a negation. */
int lz_is_negation(const char *w, size_t n);

/* ======================================================================== */
/* Blocks and sentences                                                      */
/* ======================================================================== */

typedef enum {
    LZ_U_SENT = 0, /* a sentence of a prose paragraph */
    LZ_U_LINE = 1, /* a code/table/markup line: kept or dropped whole, never edited */
    LZ_U_BLANK = 2 /* blank lines between blocks */
} lz_unit_kind;

typedef struct {
    uint32_t start, end; /* content, without the whitespace that separates it from the next unit */
    uint32_t block;      /* index of its block (a prose paragraph, one code line, or a blank run) */
    uint8_t kind;        /* lz_unit_kind */
    uint8_t nl;          /* the block ends with a line break after this unit (last unit of a block) */
} lz_unit;

typedef struct {
    lz_unit *v;
    size_t n, cap;
    uint32_t n_blocks;
} lz_units;

/* Cuts s[0..n) into units. Sentence ends: . ! ? (and runs of them) followed
 * by closing quotes/brackets and white space, except after known
 * abbreviations and single capital initials; never inside a protected span
 * (sp), so that a span always lies inside one unit. Returns 0 or -1 (memory). */
int lz_segment(const char *s, size_t n, const lz_spans *sp, lz_units *u);
void lz_units_free(lz_units *u);

/* ======================================================================== */
/* Edits and canonical text (level 1)                                        */
/* ======================================================================== */

/* An edit replaces original bytes [start, end) with rep[0..rep_len). */
typedef struct {
    uint32_t start, end;
    char rep[24];
    uint8_t rep_len;
    uint8_t kind; /* lz_edit_kind, for the report */
} lz_edit;

typedef enum { LZ_E_SUBST = 0, LZ_E_DELETE = 1 } lz_edit_kind;

/* A growable byte string. */
typedef struct {
    char *p;
    size_t n, cap;
    int oom; /* sticky: an allocation failed */
} lz_buf;

void lz_buf_put(lz_buf *b, const void *p, size_t n);
void lz_buf_free(lz_buf *b);

/* Where the bytes of a laid-out text came from: v[i] is the original offset
 * that output byte i stands for (non-decreasing). A joining space stands for
 * the first byte after it; a typographic replacement for its first byte. */
typedef struct {
    uint32_t *v;
    size_t n, cap;
    int oom; /* sticky */
} lz_map;

void lz_map_free(lz_map *m);

/* Appends p[0..n) to out and, with map non-NULL, their origin: from, from +
 * step, ... (step 1: copied one for one; step 0: all stand for `from`). */
void lz_buf_put_from(lz_buf *out, lz_map *map, const void *p, size_t n, uint32_t from, uint32_t step);

/* Appends the canonical form of the original bytes s[start, end) to out:
 *  - bytes inside a protected span are copied unchanged;
 *  - the edits (sorted, inside [start, end), outside protected spans) are
 *    applied when `edits` is non-NULL;
 *  - elsewhere: every run of white space (line breaks included) becomes one
 *    space, and typographic characters become ASCII: “ ” „ ″ -> ", ‘ ’ ′ -> ',
 *    – -> -, — -> --, … -> ..., non-breaking and other Unicode spaces -> space.
 * Leading and trailing white space of the range is dropped. With map
 * non-NULL, the origin of every appended byte is appended to it. */
void lz_canon_append(lz_buf *out, const char *s, uint32_t start, uint32_t end, const lz_spans *sp,
                     const lz_edit *edits, size_t n_edits, lz_map *map);

/* ======================================================================== */
/* Safe substitutions (levels 2–3)                                           */
/* ======================================================================== */

/* Whether replacing the word `from` by `to` (both lower-case ASCII words,
 * or single punctuation marks) is a safe substitution at `level` (2 or 3);
 * next_initial is the first letter of the following word (for a/an), 0 if
 * none. Returns 1 safe, 0 not. The rule (doc/lossy.md):
 *   level 2: articles a/an/the (a/an agreeing with next_initial);
 *            the punctuation pairs , ;  and ; :  ;
 *            spelling variants (British/American: colour/color,
 *            realise/realize, analyse/analyze, centre/center, travelled/traveled);
 *   level 3: also inflection variants of one stem (s, es, ed, d, ing, er,
 *            est: walk/walks/walked/walking), and the function-word groups
 *            {into, onto}, {that, which}, {who, whom}, {this, that},
 *            {these, those}, {some, any}, {towards, toward},
 *            {amongst, among}, {whilst, while}.
 * Never safe: identical words, a negation on either side, anything that is
 * not lower-case ASCII letters or one of , ; : */
int lz_safe_substitution(const char *from, size_t fn, const char *to, size_t tn, int level, char next_initial);

/* Whether deleting `word` is safe at `level` (3 and up): a comma, or one of
 * the intensifiers very, really, quite, rather, just, actually, certainly. */
int lz_safe_deletion(const char *word, size_t n, int level);

/* ======================================================================== */
/* Metrics                                                                   */
/* ======================================================================== */

/* chrF (Popović 2015): character n-grams n = 1..6, white space removed,
 * F-beta with beta = 2, averaged over n; in [0, 1]. Two empty texts give 1.
 * Returns -1 when out of memory. */
double lz_chrf(const char *hyp, size_t hn, const char *ref, size_t rn);

/* Word-level Levenshtein distance between a and b (words: runs of letters
 * and digits, and each other non-space character). *ref_words receives the
 * number of words of b. Returns -1 when out of memory. */
long lz_word_edits(const char *a, size_t an, const char *b, size_t bn, long *ref_words);

/* 1 when s[0..n) is UTF-8 (lead and continuation bytes: lmz_utf8_len() not
 * strict) without NUL and with at most 1/100 other control bytes (tab, CR,
 * LF, FF, VT, ESC allowed). */
int lz_is_text(const char *s, size_t n);

#endif /* LMZ_LOSSY_TEXT_H */
