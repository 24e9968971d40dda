/*
 * tests/unit/test_dict.c — dictionaries (lib/codec/dict.c, lib/compress/
 * dict_train.c, doc/format.md §9) with tiny generated models:
 *   - the prefix cache copied into a chunk's cache gives the logits of
 *     feeding the same tokens (llama_kv_copy), bit for bit;
 *   - mix_observe builds the tables mix_update builds;
 *   - training: errors, determinism, the file's fields;
 *   - round trips with a dictionary (threads, levels, streaming), the frame
 *     names it, decoding without it / with another fails, dict_find finds it;
 *   - a dictionary makes small files of its domain smaller;
 *   - damaged dictionary files are rejected with the right error.
 * Samples are generated here (log-like records from a fixed seed).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/dict.h"
#include "fixtures/tinymodel.h"
#include "lmz.h"
#include "lmz_frame_info.h"

/* The model borrows *buf, freed by the caller after the model. */
static lmz_model *tiny(uint32_t seed, uint8_t **buf) {
    size_t n = 0;
    char msg[256];
    *buf = NULL;
    if (tinymodel_build(seed, NULL, buf, &n)) return NULL;
    lmz_model *m = lmz_model_load_buffer(*buf, n, NULL, msg, sizeof msg);
    if (!m) fprintf(stderr, "tiny model: %s\n", msg);
    return m;
}

static uint32_t rng = 12345;
static uint32_t rnd(void) {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* One log-like record: fixed field names, varying values (drawn in a fixed
 * order: the order in which a call's arguments are evaluated is unspecified,
 * and gcc and clang differ). */
static size_t record(char *dst, size_t cap, int kind) {
    static const char *hosts[] = {"alpha", "bravo", "charlie", "delta"};
    static const char *msgs[] = {"connection accepted from", "session opened for user", "disk usage above threshold on",
                                 "configuration reloaded by"};
    uint32_t r[11];
    for (int i = 0; i < 11; i++) r[i] = rnd();
    if (kind == 0)
        return (size_t)snprintf(dst, cap,
                                "2026-12-%02u %02u:%02u:%02u host=%s service=sshd level=info pid=%u msg=\"%s %u.%u.%u.%u\"\n",
                                r[0] % 28 + 1, r[1] % 24, r[2] % 60, r[3] % 60, hosts[r[4] % 4], r[5] % 30000,
                                msgs[r[6] % 4], r[7] % 256, r[8] % 256, r[9] % 256, r[10] % 256);
    return (size_t)snprintf(dst, cap, "{\"id\": %u, \"title\": \"Item %u\", \"price\": %u.%02u, \"tags\": [\"x%u\"]}\n",
                            r[0] % 100000, r[1] % 1000, r[2] % 100, r[3] % 100, r[4] % 9);
}

/* A sample file of `bytes` bytes or a little more, records of one kind. */
static size_t sample(char *dst, size_t bytes, int kind) {
    size_t n = 0;
    while (n < bytes) n += record(dst + n, 512, kind);
    return n;
}

static size_t compress_with(const lmz_model *m, const lmz_dict *d, int threads, int level, const void *src, size_t n,
                            uint8_t **out) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = threads;
    p.level = level;
    p.dict = d;
    size_t cap = lmz_compress_bound(n);
    *out = malloc(cap);
    return lmz_compress(m, *out, cap, src, n, &p);
}

static size_t decompress_with(const lmz_model *m, const lmz_dict *d, const void *src, size_t n, void *dst,
                              size_t cap) {
    lmz_params p;
    lmz_params_default(&p);
    p.dict = d;
    return lmz_decompress(m, dst, cap, src, n, &p);
}

/* ------------------------------------------------------------------------ */

/* The prefix cache: copying it and going on equals feeding everything. */
static void test_kv_copy(const lmz_model *m) {
    const llama_model *lm = &m->llm;
    const uint32_t V = lm->hp.n_vocab, W = lm->hp.n_ctx, P = 40, T = 30;
    int32_t ids[1 + 40 + 30];
    ids[0] = tok_bos(m->tok);
    for (uint32_t i = 1; i < 1 + P + T; i++) ids[i] = (int32_t)(3 + rnd() % (V - 3));
    llama_kv a, b, pre;
    llama_work *w = llama_work_create(lm, LLAMA_KV_SLACK, W);
    float *la = malloc((size_t)LLAMA_KV_SLACK * V * sizeof(float)), *lb = malloc((size_t)LLAMA_KV_SLACK * V * sizeof(float));
    CHECK(w && la && lb && !llama_kv_init(&a, lm, W) && !llama_kv_init(&b, lm, W) && !llama_kv_init(&pre, lm, P + 2),
          "kv caches");
    /* a: everything fed; the rows of positions P .. P+T-1 (inputs ids[P..]) */
    CHECK(!llama_forward_seq(lm, w, &a, ids, P, P, NULL, NULL), "feed prefix");
    CHECK(!llama_forward_seq(lm, w, &a, ids + P, T, 0, la, NULL), "feed rest");
    /* b: the prefix in a cache of its own span, copied, then the same rows */
    CHECK(!llama_forward_seq(lm, w, &pre, ids, P, P, NULL, NULL), "prefix cache");
    CHECK(llama_kv_copy(lm, &b, &pre) == 0, "copy");
    CHECK(!llama_forward_seq(lm, w, &b, ids + P, T, 0, lb, NULL), "rest after copy");
    CHECK(memcmp(la, lb, (size_t)T * V * sizeof(float)) == 0, "logits after a copied prefix == fed prefix");
    /* a copy that does not fit is refused */
    llama_kv small;
    CHECK(!llama_kv_init(&small, lm, 16), "small cache");
    CHECK(llama_kv_copy(lm, &small, &pre) != 0, "a prefix longer than the window allows is refused");
    llama_kv_free(&small);
    llama_kv_free(&a);
    llama_kv_free(&b);
    llama_kv_free(&pre);
    llama_work_free(w);
    free(la);
    free(lb);
}

/* mix_observe: the tables of a full run, without its learning (each
 * profile; profile 2's line contexts with every 11th token a line end). */
static void test_observe(uint32_t V, unsigned profile) {
    enum { N = 3000 };
    static int32_t ids[N];
    ids[0] = 1;
    for (int i = 1; i < N; i++) ids[i] = i % 97 < 60 ? (int32_t)(3 + (i * 7) % 23) : (int32_t)(3 + rnd() % (V - 3));
    uint8_t *nl = calloc(V, 1);
    for (uint32_t v = 0; nl && v < V; v += 11) nl[v] = 1;
    mix_state a, b;
    lmz_freqs f;
    float *l = calloc(V, sizeof(float));
    const mix_params *mp = mix_profile(profile);
    CHECK(mp && nl && !mix_init(&a, V, mp, N) && !mix_init(&b, V, mp, N) && !freqs_init(&f, V) && l, "mixers");
    a.nl = b.nl = nl;
    for (int i = 1; i < N; i++) {
        for (uint32_t v = 0; v < V; v++) l[v] = (float)((v * 31u + (uint32_t)i) % 17) * 0.25f;
        const float *z = mix_predict(&a, l, ids, (size_t)i);
        freqs_from_logits(&f, z);
        mix_update(&a, &f, ids, (size_t)i);
    }
    mix_observe(&b, ids, N);
    int same = a.line == b.line && a.above == b.above, built = 0;
    for (int j = 0; j < MIX_N_MATCH; j++) {
        same &= !memcmp(a.mm[j].ht, b.mm[j].ht, sizeof(uint32_t) << MIX_HASH_BITS);
        same &= a.mm[j].ptr == b.mm[j].ptr && a.mm[j].len == b.mm[j].len && a.mm[j].miss == b.mm[j].miss;
    }
    for (int j = 0; j < mix_n_ctx(mp); j++) {
        if (!mp->ctx_order[j]) continue;
        same &= a.cx[j].n_node == b.cx[j].n_node;
        same &= !memcmp(a.cx[j].key, b.cx[j].key, sizeof(uint32_t) << MIX_CTX_BITS);
        same &= !memcmp(a.cx[j].head, b.cx[j].head, sizeof(uint32_t) << MIX_CTX_BITS);
        for (uint32_t k = 0; k < a.cx[j].n_node && k < b.cx[j].n_node; k++)
            same &= a.cx[j].node[k].tok == b.cx[j].node[k].tok && a.cx[j].node[k].count == b.cx[j].node[k].count &&
                    a.cx[j].node[k].next == b.cx[j].node[k].next;
        built += a.cx[j].n_node > 10;
    }
    CHECK(same, "profile %u: mix_observe's tables == mix_update's", profile);
    CHECK(built == mix_n_ctx(mp), "profile %u: the run built every successor table (%d of %d)", profile, built,
          mix_n_ctx(mp));
    CHECK(a.above > 0 && a.line > a.above, "profile %u: lines followed", profile);
    mix_free(&a);
    mix_free(&b);
    freqs_free(&f);
    free(l);
    free(nl);
}

/* Re-seals a damaged dictionary's checksum (to reach the field checks). */
static void reseal(uint8_t *d, size_t n) {
    const uint32_t c = (uint32_t)lmz_xxh64(d, n - 4);
    for (int i = 0; i < 4; i++) d[n - 4 + i] = (uint8_t)(c >> (8 * i));
}

static size_t load_err(const lmz_model *m, const uint8_t *d, size_t n) {
    size_t err = 0;
    lmz_dict *x = lmz_dict_load(m, d, n, &err, NULL, 0);
    lmz_dict_free(x);
    return x ? 0 : err;
}

static void test_faults(const lmz_model *m, const lmz_model *m2, const uint8_t *dict, size_t n) {
    uint8_t *d = malloc(n);
    const size_t L = dict[38], counts = 39 + L;
    const lmz_error_code bad = LMZ_error_dict_invalid;
    CHECK(load_err(m, dict, n) == 0, "the dictionary loads");
    CHECK(lmz_get_error_code(load_err(m2, dict, n)) == LMZ_error_model_mismatch, "another model: model mismatch");
    for (size_t k = 0; k < n; k += n / 97 + 1) { /* truncations */
        CHECK(lmz_get_error_code(load_err(m, dict, k)) == bad, "truncated to %zu: invalid", k);
    }
    int flips_ok = 1;
    for (size_t k = 0; k < n; k += 7) { /* bit flips: the checksum */
        memcpy(d, dict, n);
        d[k] ^= (uint8_t)(1u << (k % 8));
        const lmz_error_code e = lmz_get_error_code(load_err(m, d, n));
        flips_ok &= e == bad || e == LMZ_error_unsupported;
    }
    CHECK(flips_ok, "every bit flip is rejected");
    struct {
        size_t off;
        uint8_t val;
        lmz_error_code want;
        const char *what;
    } cases[] = {
        {4, 2, LMZ_error_unsupported, "version 2"},
        {5, 1, LMZ_error_unsupported, "unknown flag"},
        {counts + 10, 3, LMZ_error_unsupported, "mixer profile 3"},
        {counts + 10, 1, bad, "mixer profile 1 (its weights do not fill the file)"},
        {counts + 10, 0, LMZ_error_unsupported, "mixer profile 0"},
        {counts + 11, 4, bad, "token width 4 for a small vocabulary"},
        {counts + 0, 0xFF, bad, "vocabulary size changed"},
        {counts + 4, 0xFF, bad, "history count changed"},
        {counts + 8, 0, bad, "prefix 0 (low byte)"},
        {counts + 12 + 1, 0xFF, bad, "a token past the vocabulary"},
        {38, (uint8_t)(L + 1), bad, "name length"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(d, dict, n);
        d[cases[c].off] = cases[c].val;
        if (cases[c].off == counts + 8) d[counts + 9] = 0;
        reseal(d, n);
        CHECK(lmz_get_error_code(load_err(m, d, n)) == cases[c].want, "%s: %s", cases[c].what,
              lmz_error_name(load_err(m, d, n)));
    }
    /* floats: temperature NaN, a weight too large */
    const size_t H = lmz_rd32(dict + counts + 4), fl = counts + 12 + 2 * H;
    const uint8_t nan[4] = {0, 0, 0xC0, 0x7F}, big[4] = {0, 0, 0x80, 0x43} /* 256 */;
    memcpy(d, dict, n);
    memcpy(d + fl, nan, 4);
    reseal(d, n);
    CHECK(lmz_get_error_code(load_err(m, d, n)) == bad, "temperature NaN");
    memcpy(d, dict, n);
    memcpy(d + fl + 8, big, 4);
    reseal(d, n);
    CHECK(lmz_get_error_code(load_err(m, d, n)) == bad, "match weight 256");
    memcpy(d, dict, n);
    memcpy(d + fl + 4, big, 4);
    reseal(d, n);
    CHECK(lmz_get_error_code(load_err(m, d, n)) == bad, "bias scale 256");
    /* profile 2's last weights: the successor caches' (6 x 12), the recency model's (12) */
    const size_t wr = fl + 8 + 4 * (MIX_N_MATCH * 2 * MIX_N_BUCKET) + 4 * (6 * MIX_N_CBUCKET);
    CHECK(dict[counts + 10] == 2 && wr + 4 * MIX_N_RBUCKET + lmz_model_vocab_size(m) + 4 == n, "profile 2's layout (%zu + %u + 4 == %zu)",
          wr + 4 * MIX_N_RBUCKET, lmz_model_vocab_size(m), n);
    memcpy(d, dict, n);
    memcpy(d + wr - 4, big, 4);
    reseal(d, n);
    CHECK(lmz_get_error_code(load_err(m, d, n)) == bad, "successor weight 256");
    memcpy(d, dict, n);
    memcpy(d + wr + 4 * (MIX_N_RBUCKET - 1), nan, 4);
    reseal(d, n);
    CHECK(lmz_get_error_code(load_err(m, d, n)) == bad, "recency weight NaN");
    free(d);
}


/* Compact frames (doc/format.md §2.2) are untrusted input too: every
 * truncation is an error, every bit flip an error or the exact content,
 * edited fields (checksum re-sealed) errors. */
static void test_compact(const lmz_model *m, const lmz_dict *d, const uint8_t *f, size_t n, const char *orig,
                         size_t on) {
    uint8_t *b = malloc(n + 16), *out = malloc(on + 64);
    lmz_frame_info_t fi;
    CHECK(!lmz_is_error(lmz_frame_info(f, n, &fi)) && fi.version >= 2 && fi.n_chunks == 1 && fi.id_len == 4 &&
              fi.header_size <= (fi.version == 2 ? 35 : 32) && fi.frame_size == n,
          "compact frame: version %u, header %llu bytes", fi.version, (unsigned long long)fi.header_size);
    int ok = 1;
    for (size_t k = 1; k < n; k++) ok &= lmz_is_error(decompress_with(m, d, f, k, out, on + 64));
    CHECK(ok, "compact frame: every truncation is an error (0 bytes: no frame, valid)");
    size_t wrong = 0, errors = 0, exact = 0;
    size_t flips = 0;
    for (size_t bit = 0; bit < 8 * n; bit += bit < 8 * 48 ? 1 : 13, flips++) { /* the header's bits all, then some */
        memcpy(b, f, n);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        size_t r = decompress_with(m, d, b, n, out, on + 64);
        if (lmz_is_error(r)) errors++;
        else if (r == on && !memcmp(out, orig, on)) exact++;
        else wrong++;
    }
    CHECK(wrong == 0, "compact frame: %zu bit flips: %zu errors, %zu exact, %zu wrong outputs", flips, errors, exact,
          wrong);
    const size_t hs = (size_t)fi.header_size;
    struct {
        size_t off;
        uint8_t val;
        const char *what;
    } v2[] = {
        {4, 3, "version 3"},        {5, 0x08, "unknown flag"}, {5, 0x01, "lossy flag"}, {5, 0x00, "dictionary flag cleared"},
        {6, 7, "method 7"},         {6, 0, "method stored"},   {7, 0x00, "model id"},   {11, 0x00, "dictionary id"},
        {15, 0xFF, "window varint"}, {hs - 6, 0x00, "checksum byte"},
    }, v3[] = { /* (this tiny model is not lmz-base: its id is there, at 6) */
        {4, 4, "version 4"}, {5, (uint8_t)(f[5] | 0x40), "unknown descriptor bit"},
        {5, (uint8_t)(f[5] & ~0x08), "dictionary bit cleared"}, {5, (uint8_t)(f[5] | 0x07), "method 7"},
        {5, (uint8_t)(f[5] & ~0x07), "method stored"}, {5, (uint8_t)(f[5] | 0x20), "model said to be lmz-base"},
        {6, 0x00, "model id"}, {10, 0x00, "dictionary id"}, {14, 0xFF, "the varint after the ids"},
        {hs - 6, 0x00, "checksum byte"},
    }, *cases = fi.version == 2 ? v2 : v3;
    const size_t n_cases = fi.version == 2 ? sizeof v2 / sizeof v2[0] : sizeof v3 / sizeof v3[0];
    CHECK(fi.version == 2 || (f[5] & 0x28) == 0x08, "v3: the dictionary bit, a model id (descriptor %02x)", f[5]);
    for (size_t c = 0; c < n_cases; c++) {
        memcpy(b, f, n);
        b[cases[c].off] = cases[c].val;
        const uint16_t s16 = (uint16_t)lmz_xxh64(b, hs - 2);
        b[hs - 2] = (uint8_t)s16, b[hs - 1] = (uint8_t)(s16 >> 8);
        size_t r = decompress_with(m, d, b, n, out, on + 64);
        CHECK(lmz_is_error(r), "compact frame, %s (re-sealed): %s", cases[c].what, lmz_error_name(r));
    }
    free(b);
    free(out);
}

static const lmz_dict *found;
static int finder_calls;
static const lmz_dict *finder(void *opaque, const uint8_t *sha, size_t id_len, const char *name) {
    (void)name;
    finder_calls++;
    const lmz_dict *d = opaque;
    uint8_t s[32];
    lmz_dict_sha256(d, s);
    return memcmp(s, sha, id_len) ? NULL : (found = d);
}

int main(void) {
    uint8_t *g1, *g2;
    lmz_model *m = tiny(1, &g1), *m2 = tiny(2, &g2);
    CHECK(m && m2, "tiny models");
    if (!m || !m2) return check_done("test_dict");
    const uint32_t V = lmz_model_vocab_size(m);

    test_kv_copy(m);
    test_observe(V, 1);
    test_observe(V, 2);

    /* training samples: 24 log files of ~1.5 KB; another set of JSON lines */
    enum { NS = 24 };
    char *buf = malloc(NS * 2048), *buf2 = malloc(NS * 2048);
    size_t sizes[NS], sizes2[NS], tot = 0, tot2 = 0;
    for (int i = 0; i < NS; i++) tot += sizes[i] = sample(buf + tot, 1500, 0);
    for (int i = 0; i < NS; i++) tot2 += sizes2[i] = sample(buf2 + tot2, 1500, 1);

    /* training errors */
    uint8_t *dict = malloc(1 << 20), *dict_b = malloc(1 << 20), *other = malloc(1 << 20);
    char msg[256];
    lmz_train_params tp;
    memset(&tp, 0, sizeof tp);
    tp.max_size = 16384;
    tp.name = "logs";
    size_t r = lmz_train_dict(m, dict, 1 << 20, buf, sizes, 0, &tp, msg, sizeof msg);
    CHECK(lmz_get_error_code(r) == LMZ_error_parameter && strstr(msg, "no samples"), "no samples: %s", msg);
    size_t tiny_sz[1] = {100};
    r = lmz_train_dict(m, dict, 1 << 20, buf, tiny_sz, 1, &tp, msg, sizeof msg);
    CHECK(lmz_get_error_code(r) == LMZ_error_parameter && strstr(msg, "too small"), "100 bytes: %s", msg);
    tp.max_size = 600;
    r = lmz_train_dict(m, dict, 1 << 20, buf, sizes, NS, &tp, msg, sizeof msg);
    CHECK(lmz_get_error_code(r) == LMZ_error_parameter && strstr(msg, "at least"), "maxdict 600: %s", msg);

    /* a dictionary, twice (same bytes), with 1 and 2 threads */
    tp.max_size = 16384;
    tp.threads = 1;
    const size_t dn = lmz_train_dict(m, dict, 1 << 20, buf, sizes, NS, &tp, msg, sizeof msg);
    CHECK(!lmz_is_error(dn) && dn <= 16384, "train: %zu bytes (%s)", dn, msg);
    tp.threads = 2;
    const size_t dn2 = lmz_train_dict(m, dict_b, 1 << 20, buf, sizes, NS, &tp, msg, sizeof msg);
    CHECK(dn2 == dn && !memcmp(dict, dict_b, dn), "training is deterministic (threads 1 and 2)");
    tp.name = "json";
    const size_t on = lmz_train_dict(m, other, 1 << 20, buf2, sizes2, NS, &tp, msg, sizeof msg);
    CHECK(!lmz_is_error(on), "second dictionary");
    lmz_dict_info_t di;
    CHECK(lmz_dict_info(dict, dn, &di) == 0 && !strcmp(di.name, "logs") && di.n_vocab == V &&
              di.prefix_tokens == (di.history_tokens < 511 ? di.history_tokens : 511) && di.history_tokens > 1000,
          "dictionary info: %u tokens of history, prefix %u", di.history_tokens, di.prefix_tokens);
    test_faults(m, m2, dict, dn);

    size_t err = 0;
    lmz_dict *d = lmz_dict_load(m, dict, dn, &err, msg, sizeof msg), *o = lmz_dict_load(m, other, on, &err, msg, sizeof msg);
    CHECK(d && o, "load: %s", msg);
    if (!d || !o) return check_done("test_dict");

    /* round trips: new records of the same kind, several sizes */
    const size_t test_sizes[] = {1, 300, 2000, 9000, 70000};
    size_t with_sum = 0, without_sum = 0;
    char *t = malloc(80000), *back = malloc(80000);
    for (size_t k = 0; k < sizeof test_sizes / sizeof test_sizes[0]; k++) {
        size_t n = test_sizes[k] < 10 ? test_sizes[k] : sample(t, test_sizes[k], 0);
        if (n < 10) memcpy(t, "x", n);
        uint8_t *c1 = NULL, *c2 = NULL, *c0 = NULL, *c3 = NULL;
        size_t s1 = compress_with(m, d, 1, 0, t, n, &c1), s2 = compress_with(m, d, 2, 0, t, n, &c2);
        size_t s0 = compress_with(m, NULL, 1, 0, t, n, &c0), s3 = compress_with(m, d, 2, 1, t, n, &c3);
        CHECK(!lmz_is_error(s1) && s1 == s2 && !memcmp(c1, c2, s1), "%zu B: -T1 == -T2 with a dictionary", n);
        lmz_frame_info_t fi;
        CHECK(!lmz_is_error(lmz_frame_info(c1, s1, &fi)), "frame info");
        const int flagged = (fi.flags & LMZ_FRAME_FLAG_DICT) != 0;
        uint8_t sha[32];
        lmz_dict_sha256(d, sha);
        if (flagged && fi.version >= 2) /* compact: the first 4 bytes of its SHA-256, no name */
            CHECK(fi.id_len == 4 && !memcmp(fi.dict_sha256, sha, 4) && !fi.dict_name[0], "the compact frame names it");
        else if (flagged)
            CHECK(fi.id_len == 32 && !memcmp(fi.dict_sha256, sha, 32) && !strcmp(fi.dict_name, "logs"),
                  "the frame names it");
        if (n > 1000) CHECK(flagged, "%zu B: model-coded, flagged", n);
        size_t dr = decompress_with(m, d, c1, s1, back, 80000);
        CHECK(dr == n && !memcmp(back, t, n), "%zu B: round trip with the dictionary", n);
        dr = decompress_with(m, d, c3, s3, back, 80000);
        CHECK(dr == n && !memcmp(back, t, n), "%zu B: level 1 (window 256 here too) round trip", n);
        if (flagged) {
            dr = decompress_with(m, NULL, c1, s1, back, 80000);
            CHECK(lmz_get_error_code(dr) == LMZ_error_dict_mismatch, "%zu B: no dictionary: %s", n, lmz_error_name(dr));
            dr = decompress_with(m, o, c1, s1, back, 80000);
            CHECK(lmz_get_error_code(dr) == LMZ_error_dict_mismatch, "%zu B: another dictionary: %s", n,
                  lmz_error_name(dr));
            lmz_params p;
            lmz_params_default(&p);
            p.dict = o;
            p.dict_find = finder;
            p.dict_find_opaque = d;
            found = NULL;
            dr = lmz_decompress(m, back, 80000, c1, s1, &p);
            CHECK(dr == n && !memcmp(back, t, n) && found == d, "%zu B: dict_find finds it", n);
        } else {
            dr = decompress_with(m, NULL, c1, s1, back, 80000);
            CHECK(dr == n, "%zu B: a frame that did not use the dictionary decodes without it", n);
        }
        if (test_sizes[k] == 2000 && flagged && fi.version >= 2) test_compact(m, d, c1, s1, t, n);
        if (fi.version >= 2 && fi.n_chunks == 1) { /* the compact header frames the same payload as the full one */
            lmz_params p;
            lmz_params_default(&p);
            p.threads = 1;
            p.dict = d;
            p.compact = 0;
            uint8_t *v1 = malloc(lmz_compress_bound(n));
            size_t s4 = lmz_compress(m, v1, lmz_compress_bound(n), t, n, &p);
            lmz_frame_info_t f1;
            CHECK(!lmz_is_error(s4) && !lmz_is_error(lmz_frame_info(v1, s4, &f1)) && f1.version == 1 &&
                      f1.payload_size == fi.payload_size &&
                      !memcmp(v1 + f1.header_size, c1 + fi.header_size, (size_t)fi.payload_size) &&
                      fi.header_size * 3 < f1.header_size,
                  "%zu B: compact (%llu B header) and full (%llu B) frames hold the same payload", n,
                  (unsigned long long)fi.header_size, (unsigned long long)f1.header_size);
            size_t dr = decompress_with(m, d, v1, s4, back, 80000);
            CHECK(dr == n && !memcmp(back, t, n), "%zu B: the full frame decodes too", n);
            free(v1);
        }
        if (n >= 300 && n <= 9000) {
            with_sum += s1;
            without_sum += s0;
        }
        free(c0);
        free(c1);
        free(c2);
        free(c3);
    }
    printf("small files: %zu bytes with the dictionary, %zu without\n", with_sum, without_sum);
    CHECK(with_sum * 10 < without_sum * 9, "the dictionary saves >= 10 %% on small files of its domain (%zu vs %zu)",
          with_sum, without_sum);
    CHECK(finder_calls > 0, "the finder was asked");

    /* a dictionary for another model cannot be used */
    err = 0;
    CHECK(!lmz_dict_load(m2, dict, dn, &err, msg, sizeof msg) && lmz_get_error_code(err) == LMZ_error_model_mismatch,
          "load for another model: %s", msg);

    lmz_dict_free(d);
    lmz_dict_free(o);
    lmz_dict_free(NULL);
    lmz_model_free(m);
    lmz_model_free(m2);
    free(g1);
    free(g2);
    free(buf);
    free(buf2);
    free(dict);
    free(dict_b);
    free(other);
    free(t);
    free(back);
    return check_done("test_dict");
}
