/*
 * tests/unit/test_mix.c — the `lm+mix` mixer (lib/mix) without a model.
 *
 * Synthetic "model logits" (a fixed pseudo-random function of the position)
 * stand in for the model, so the test runs in milliseconds and checks what
 * belongs to the mixer itself:
 *  - an encoder and a decoder that each run predict -> table -> update
 *    reproduce the token sequence exactly (the decoder only sees what it has
 *    decoded);
 *  - every table is valid (freq >= 1, total 2^24), also on degenerate input
 *    (one token repeated 30000 times, huge or -inf logits);
 *  - adaptation pays: on repetitive sequences the mixed code length is far
 *    below the pure one, and on sequences with no structure it stays close;
 *  - mix_reset really resets (a second run gives identical tables);
 *  - the tables of a fixed sequence hash to a pinned value: a change of the
 *    mixer's arithmetic is a change of the format (doc/format.md §4.5), so it
 *    must be deliberate. The pinned value was produced by this test itself
 *    with profile 1 when the profile was fixed; it changes only together
 *    with MIX_PROFILE.
 *  - profile 2 (dictionaries, doc/format.md §4.6) likewise, with record-like
 *    sequences (line heads, a code column, substitutions) on which it must
 *    code at least 15 % below profile 1, and its own pinned hash.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "coder/coder.h"
#include "mix/mix.h"

#define V 512u
#define PROFILE2_HASH 0x910ad16e3fca17f9ull /* test_profile2: made by this test with profile 2 when it was fixed */

static uint64_t g_rng;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

/* The stand-in model: logits for position i (depends on i only). */
static void fake_logits(size_t i, float *l) {
    uint64_t s = 0x9E3779B97F4A7C15ull * (i + 1);
    for (uint32_t v = 0; v < V; v++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        l[v] = (float)((int32_t)(s >> 40) % 4000) / 1000.0f; /* [-4, 4) */
    }
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

static int table_ok(const lmz_freqs *f) {
    uint64_t t = 0;
    for (uint32_t v = 0; v < f->n; v++) {
        if (f->freq[v] == 0) return 0;
        t += f->freq[v];
    }
    return t == LMZ_FREQ_TOTAL;
}

/* Codes ids[1..n] with the mixer; returns coded bytes (0 on failure), the
 * pure and mixed code lengths in bits, and a hash of every mixed table. */
static size_t encode(mix_state *mx, const int32_t *ids, size_t n, uint8_t *out, size_t cap, double *pure,
                     double *mixed, uint64_t *hash, int *bad_tables) {
    lmz_freqs f;
    float *l = malloc(V * sizeof(float));
    if (freqs_init(&f, V) || !l) return 0;
    lmz_renc e;
    renc_init(&e, out, cap);
    mix_reset(mx);
    *pure = *mixed = 0;
    *hash = 1469598103934665603ull;
    for (size_t i = 1; i <= n; i++) {
        fake_logits(i, l);
        freqs_from_logits(&f, l);
        *pure += LMZ_FREQ_BITS - log2((double)f.freq[ids[i]]);
        const float *z = mix_predict(mx, l, ids, i);
        freqs_from_logits(&f, z);
        if (!table_ok(&f)) (*bad_tables)++;
        *hash = fnv(*hash, f.freq, V * sizeof(uint32_t));
        *mixed += LMZ_FREQ_BITS - log2((double)f.freq[ids[i]]);
        uint32_t cum = 0;
        for (int32_t v = 0; v < ids[i]; v++) cum += f.freq[v];
        renc_encode(&e, cum, f.freq[ids[i]], LMZ_FREQ_BITS);
        mix_update(mx, &f, ids, i);
    }
    size_t r = renc_finish(&e);
    freqs_free(&f);
    free(l);
    return lmz_is_error(r) || e.overflow ? 0 : r;
}

/* Decodes n tokens into got[1..n] (got[0] = BOS); 1 if the stream was
 * consumed consistently. */
static int decode(mix_state *mx, const uint8_t *in, size_t size, int32_t *got, size_t n) {
    lmz_freqs f;
    float *l = malloc(V * sizeof(float));
    if (freqs_init(&f, V) || !l) return 0;
    lmz_rdec d;
    rdec_init(&d, in, size);
    mix_reset(mx);
    got[0] = 1;
    for (size_t i = 1; i <= n; i++) {
        fake_logits(i, l);
        freqs_from_logits(&f, mix_predict(mx, l, got, i));
        freqs_build_cum(&f);
        uint32_t s = freqs_find(&f, rdec_target(&d, LMZ_FREQ_BITS));
        rdec_consume(&d, f.cum[s], f.freq[s]);
        got[i] = (int32_t)s;
        mix_update(mx, &f, got, i);
    }
    int ok = !d.error && rdec_finish(&d) == 0;
    freqs_free(&f);
    free(l);
    return ok;
}

/* Runs ids[1..n] through mx with logits of +-1e30, -inf, NaN and ordinary
 * values mixed; returns the number of invalid tables (must be 0). */
static int degenerate_bad(mix_state *mx, const int32_t *ids, size_t n) {
    lmz_freqs f;
    float l[V];
    if (freqs_init(&f, V)) return -1;
    mix_reset(mx);
    int bad = 0;
    for (size_t i = 1; i <= n; i++) {
        for (uint32_t v = 0; v < V; v++) {
            uint32_t r = rnd() % 8;
            l[v] = r == 0 ? 1e30f : r == 1 ? -1e30f : r == 2 ? -INFINITY : r == 3 ? NAN : (float)(rnd() % 100);
        }
        freqs_from_logits(&f, mix_predict(mx, l, ids, i));
        bad += !table_ok(&f);
        mix_update(mx, &f, ids, i);
    }
    freqs_free(&f);
    return bad;
}

typedef struct {
    const char *name;
    double max_ratio; /* mixed / pure must stay below this */
} kind;

/* ids[1..n] of a given kind. */
static void make_ids(int k, int32_t *ids, size_t n) {
    ids[0] = 1; /* BOS */
    for (size_t i = 1; i <= n; i++) {
        switch (k) {
        case 0: ids[i] = (int32_t)(rnd() % V); break;                         /* no structure */
        case 1: ids[i] = (int32_t)(3 + rnd() % 12); break;                    /* a 12-token vocabulary */
        case 2: ids[i] = i > 200 ? ids[i - 200] : (int32_t)(rnd() % V); break; /* one 200-token text, repeated */
        case 3: ids[i] = 7; break;                                              /* one token over and over */
        default: /* word pairs: token t is always followed by t+1 */
            ids[i] = (i % 2) ? (int32_t)(2 * (rnd() % 100)) : ids[i - 1] + 1;
        }
    }
}

/* Records like the ones dictionaries are for: lines of a fixed head (3
 * tokens), a code that runs through a fixed order with some lines left out,
 * then content that depends on the record's word and the code; token 2 ends
 * a line. */
static void make_records(int32_t *ids, size_t n) {
    ids[0] = 1;
    size_t i = 1;
    while (i <= n) {
        const uint32_t w = rnd() % 50;
        for (uint32_t j = 0; j < 20 && i <= n; j++) {
            if (rnd() % 5 == 0) continue; /* this record has no line j */
            const int32_t line[] = {10, 11, 12, (int32_t)(20 + j), (int32_t)(100 + (w * 7 + j) % 300),
                                    (int32_t)(60 + w % 30), (int32_t)(420 + j), 2};
            for (size_t t = 0; t < sizeof line / sizeof *line && i <= n; t++) ids[i++] = line[t];
        }
    }
}

/* Profile 2 (doc/format.md §4.6): the decoder follows the encoder on every
 * kind of sequence; on records it codes far below profile 1; its tables
 * hash to a pinned value (made by this test when the profile was fixed:
 * a change means a new profile); degenerate logits keep the tables valid. */
static void test_profile2(int32_t *ids, int32_t *got, uint8_t *buf, size_t n) {
    uint8_t nl[V] = {0};
    nl[2] = 1;
    mix_state m1, m2;
    CHECK(mix_init(&m1, V, &mix_profile_1, (uint32_t)n) == 0 && mix_init(&m2, V, &mix_profile_2, (uint32_t)n) == 0,
          "mix_init (profiles 1 and 2)");
    CHECK(mix_profile(1) == &mix_profile_1 && mix_profile(2) == &mix_profile_2 && !mix_profile(0) && !mix_profile(3),
          "mix_profile");
    CHECK(mix_n_ctx(&mix_profile_1) == 2 && mix_n_ctx(&mix_profile_2) == 6 && !mix_uses_lines(&mix_profile_1) &&
              mix_uses_lines(&mix_profile_2),
          "profile shapes");
    m2.nl = nl;
    uint64_t all = 1469598103934665603ull;
    for (int k = 0; k < 6; k++) {
        g_rng = 2000u + (uint64_t)k;
        if (k < 5) make_ids(k, ids, n);
        else make_records(ids, n);
        double pure, mixed, pure1, mixed1;
        uint64_t h, h1;
        int bad = 0;
        size_t sz = encode(&m2, ids, n, buf, 4 * n + 64, &pure, &mixed, &h, &bad);
        CHECK(sz > 0 && bad == 0, "profile 2, kind %d: encoded, %d invalid tables", k, bad);
        int ok = decode(&m2, buf, sz, got, n);
        CHECK(ok && !memcmp(got + 1, ids + 1, n * sizeof(int32_t)), "profile 2, kind %d: decoder disagrees", k);
        encode(&m1, ids, n, buf, 4 * n + 64, &pure1, &mixed1, &h1, &bad);
        printf("  profile 2, kind %d: mixed %8.0f bits (profile 1: %8.0f)\n", k, mixed, mixed1);
        if (k == 5)
            CHECK(mixed < 0.85 * mixed1, "records: profile 2 %.0f bits, profile 1 %.0f: not 15 %% fewer", mixed,
                  mixed1);
        if (k == 0) CHECK(mixed < pure * 1.03, "random tokens: profile 2 costs %.0f vs pure %.0f", mixed, pure);
        all = fnv(all, &h, sizeof h);
    }
    printf("  profile 2 tables hash %016llx\n", (unsigned long long)all);
    CHECK(all == PROFILE2_HASH, "profile 2 tables changed: hash %016llx (a format change needs a new profile)",
          (unsigned long long)all);
    make_records(ids, 5000);
    CHECK(degenerate_bad(&m2, ids, 5000) == 0, "profile 2, degenerate logits: invalid tables");
    /* mix_copy refuses a destination without the tables a profile needs */
    CHECK(mix_copy(&m1, &m2) != 0, "mix_copy: profile 2 into a profile-1 state is refused");
    mix_free(&m1);
    mix_free(&m2);
}

int main(void) {
    static const kind kinds[] = {
        {"random tokens", 1.02}, {"12-token vocabulary", 0.6}, {"repeated 200-token text", 0.2},
        {"one token repeated", 0.05}, {"fixed successors", 0.75},
    };
    const size_t n = 30000;
    int32_t *ids = malloc((n + 1) * sizeof(int32_t)), *got = malloc((n + 1) * sizeof(int32_t));
    uint8_t *buf = malloc(4 * n + 64);
    mix_state mx;
    CHECK(mix_init(&mx, V, &mix_profile_1, (uint32_t)n) == 0, "mix_init");
    uint64_t all = 1469598103934665603ull;
    for (int k = 0; k < 5; k++) {
        g_rng = 1000u + (uint64_t)k;
        make_ids(k, ids, n);
        double pure, mixed, pure2, mixed2;
        uint64_t h, h2;
        int bad = 0;
        size_t sz = encode(&mx, ids, n, buf, 4 * n + 64, &pure, &mixed, &h, &bad);
        CHECK(sz > 0, "%s: encoding failed", kinds[k].name);
        CHECK(bad == 0, "%s: %d invalid tables", kinds[k].name, bad);
        int ok = decode(&mx, buf, sz, got, n);
        CHECK(ok && !memcmp(got + 1, ids + 1, n * sizeof(int32_t)), "%s: decoder disagrees", kinds[k].name);
        CHECK(mixed < pure * kinds[k].max_ratio, "%s: mixed %.0f bits vs pure %.0f (ratio limit %.2f)", kinds[k].name,
              mixed, pure, kinds[k].max_ratio);
        CHECK(fabs((double)sz * 8 - mixed) < 64, "%s: coded %zu bytes for %.0f bits", kinds[k].name, sz, mixed);
        /* reset: the same again */
        encode(&mx, ids, n, buf, 4 * n + 64, &pure2, &mixed2, &h2, &bad);
        CHECK(h2 == h && mixed2 == mixed, "%s: mix_reset does not reset", kinds[k].name);
        printf("  %-26s pure %8.0f bits  mixed %8.0f bits  (%.3f)\n", kinds[k].name, pure, mixed, mixed / pure);
        all = fnv(all, &h, sizeof h);
    }

    /* degenerate logits: +-huge, -inf, NaN; tables stay valid */
    g_rng = 77;
    make_ids(3, ids, 5000);
    CHECK(degenerate_bad(&mx, ids, 5000) == 0, "degenerate logits: invalid tables");

    /* the pinned hash of all tables (format semantics, see the header) */
    printf("  tables hash %016llx\n", (unsigned long long)all);
    CHECK(all == 0xbd502b4d65babbdbull, "mixer tables changed: hash %016llx (a format change needs a new MIX_PROFILE)",
          (unsigned long long)all);

    mix_free(&mx);
    mix_free(&mx); /* twice: a zeroed state is accepted */
    test_profile2(ids, got, buf, n);
    free(ids);
    free(got);
    free(buf);
    return check_done("test_mix");
}
