/*
 * tests/roundtrip/test_codec.c — the codec end to end with tiny generated
 * models (fast): round trips, determinism across threads and buffer slicing,
 * concatenated frames, wrong model, memory limit, and every truncation and
 * bit flip of a small frame (each rejected, or — where a flip lands in bits
 * the decoder never needs — decoded to the exact original: never wrong output).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/common.h"
#include "lmz.h"
#include "lmz_frame_info.h"
#include "fixtures/tinymodel.h"

static uint64_t rng = 12345;
static uint32_t rnd(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static uint8_t *g_bufs[2];
static int g_nbufs;
static lmz_model *tiny(uint32_t seed) {
    uint8_t *buf;
    size_t n, err;
    char msg[256];
    if (tinymodel_build(seed, NULL, &buf, &n)) return NULL;
    lmz_model *m = lmz_model_load_buffer(buf, n, &err, msg, sizeof msg);
    if (!m) fprintf(stderr, "tiny model: %s\n", msg);
    g_bufs[g_nbufs++] = buf; /* must outlive the model: freed at the end */
    return m;
}

/* English-like text with numbers and punctuation. */
static size_t make_text(uint8_t *dst, size_t n) {
    static const char *w[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran", "away", "from",
                              "Alice", "who", "was", "not", "very", "happy", "1865", "--", "said", "\"yes\","};
    size_t p = 0;
    while (p < n) {
        const char *s = w[rnd() % (sizeof w / sizeof *w)];
        size_t l = strlen(s);
        for (size_t i = 0; i < l && p < n; i++) dst[p++] = (uint8_t)s[i];
        if (p < n) dst[p++] = rnd() % 11 == 0 ? '\n' : ' ';
    }
    return n;
}

static int g_fallback = -1;
static size_t compress_with(const lmz_model *m, const uint8_t *src, size_t n, uint8_t **out, int threads,
                            uint32_t chunk) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = threads;
    p.chunk_size = chunk;
    p.fallback = g_fallback;
    size_t cap = lmz_compress_bound(n);
    *out = malloc(cap);
    return lmz_compress(m, *out, cap, src, n, &p);
}

static int roundtrip(const lmz_model *m, const uint8_t *src, size_t n, uint32_t chunk, const char *what) {
    uint8_t *c;
    size_t cs = compress_with(m, src, n, &c, 2, chunk);
    CHECK(!lmz_is_error(cs), "%s: compress failed: %s", what, lmz_error_name(cs));
    if (lmz_is_error(cs)) return 0;
    CHECK(cs <= lmz_compress_bound(n), "%s: compressed %zu > bound", what, cs);
    uint8_t *d = malloc(n + 1);
    size_t ds = lmz_decompress(m, d, n + 1, c, cs, NULL);
    CHECK(ds == n && (n == 0 || !memcmp(d, src, n)), "%s: round trip failed (%s)", what,
          lmz_is_error(ds) ? lmz_error_name(ds) : "wrong bytes");
    CHECK(lmz_decompressed_size(c, cs) == n, "%s: decompressed_size", what);
    printf("  %-28s %8zu -> %8zu bytes\n", what, n, cs);
    free(c);
    free(d);
    return 1;
}

/* The embedded default model's SHA-256 is written at build time, not
 * computed at load: it must be the hash of the bytes embedded, and of the
 * project's model file. */
extern const unsigned char lmz_default_model_data[];
extern const unsigned char lmz_default_model_end[];
static void test_default_model_hash(void) {
    size_t err = 0;
    char msg[256] = "";
    lmz_model *d = lmz_model_load_default(&err);
    lmz_model *f = lmz_model_load_file(LMZ_SRC "/models/lmz-base.gguf", &err, msg, sizeof msg);
    CHECK(d && f, "default and file models load: %s", msg);
    if (d && f) {
        uint8_t hd[32], hf[32], he[32];
        lmz_model_sha256(d, hd);
        lmz_model_sha256(f, hf);
        lmz_sha256 sh;
        lmz_sha256_init(&sh);
        lmz_sha256_update(&sh, lmz_default_model_data, (size_t)(lmz_default_model_end - lmz_default_model_data));
        lmz_sha256_final(&sh, he);
        CHECK(memcmp(hd, he, 32) == 0, "default model: recorded SHA-256 is the embedded bytes' hash");
        CHECK(memcmp(hd, hf, 32) == 0, "default model: same SHA-256 as models/lmz-base.gguf");
        /* and it codes: a frame made with one decodes with the other */
        static const char txt[] = "The default model and its file are the same model.";
        uint8_t fr[512];
        char back[64];
        size_t n = lmz_compress(d, fr, sizeof fr, txt, sizeof txt - 1, NULL);
        size_t r = lmz_is_error(n) ? n : lmz_decompress(f, back, sizeof back, fr, n, NULL);
        CHECK(r == sizeof txt - 1 && memcmp(back, txt, r) == 0, "default model frame decoded with the file model: %s",
              lmz_is_error(r) ? lmz_error_name(r) : "ok");
    }
    lmz_model_free(d);
    lmz_model_free(f);
}

int main(void) {
    test_default_model_hash();
    lmz_model *m = tiny(1), *m2 = tiny(2);
    CHECK(m && m2, "tiny models load");
    if (!m || !m2) return check_done("test_codec");

    /* ---- round trips ------------------------------------------------------ */
    printf("round trips (tiny model):\n");
    size_t N = 300000;
    uint8_t *text = malloc(N), *bin = malloc(N);
    make_text(text, N);
    for (size_t i = 0; i < N; i++) bin[i] = (uint8_t)rnd();
    roundtrip(m, text, 0, 0, "empty");
    roundtrip(m, text, 1, 0, "1 byte");
    roundtrip(m, text, 2000, 0, "2000 bytes text");
    roundtrip(m, text, N, 4096, "300 KB text, 4 KiB chunks");
    roundtrip(m, bin, 20000, 0, "20 KB random bytes");
    uint8_t all[512];
    for (int i = 0; i < 512; i++) all[i] = (uint8_t)(i < 256 ? i : 511 - i);
    roundtrip(m, all, 512, 0, "all byte values");
    static const char nasty[] = "\xe2\x96\x81 U+2581 \xef\xbf\xbd \x80\xbf lone \xc3 \xed\xa0\x80 surrogate \0 NUL";
    roundtrip(m, (const uint8_t *)nasty, sizeof nasty - 1, 0, "U+2581 / invalid UTF-8");

    /* ---- determinism: threads and buffer slicing --------------------------- */
    {
        uint8_t *c1, *c2, *c4;
        size_t s1 = compress_with(m, text, 50000, &c1, 1, 4096);
        size_t s2 = compress_with(m, text, 50000, &c2, 2, 4096);
        size_t s4 = compress_with(m, text, 50000, &c4, 4, 4096);
        CHECK(s1 == s2 && s1 == s4 && !memcmp(c1, c2, s1) && !memcmp(c1, c4, s1), "output differs across -T1/-T2/-T4");
        /* streaming with odd buffer sizes gives the same bytes */
        lmz_cstream *cs = lmz_cstream_create(m, &(lmz_params){.threads = 2, .chunk_size = 4096, .mix = -1, .fallback = -1});
        const size_t sc_cap = s1 + 100000;
        uint8_t *sc = malloc(sc_cap);
        size_t ip = 0, op = 0, r;
        do {
            size_t ik = 1 + rnd() % 3000, ok = 1 + rnd() % 700;
            if (ip + ik > 50000) ik = 50000 - ip;
            lmz_in_buffer in = {text + ip, ik, 0};
            lmz_out_buffer out = {sc + op, ok, 0};
            r = lmz_compress_stream(cs, &out, &in, ip + ik == 50000 ? LMZ_e_end : LMZ_e_continue);
            ip += in.pos;
            op += out.pos;
            if (op + 700 > sc_cap) break;
        } while (!lmz_is_error(r) && (r != 0 || ip < 50000));
        CHECK(op == s1 && !memcmp(sc, c1, s1), "streamed output differs from one-shot (%zu vs %zu)", op, s1);
        lmz_cstream_free(cs);
        /* decoding in 1..13-byte pieces */
        lmz_dstream *ds = lmz_dstream_create(m, NULL);
        uint8_t *dd = malloc(50000);
        ip = op = 0;
        do {
            size_t ik = 1 + rnd() % 13;
            if (ip + ik > s1) ik = s1 - ip;
            lmz_in_buffer in = {c1 + ip, ik, 0};
            lmz_out_buffer out = {dd + op, 50000 - op < 977 ? 50000 - op : 977, 0};
            r = lmz_decompress_stream(ds, &out, &in);
            ip += in.pos;
            op += out.pos;
        } while (!lmz_is_error(r) && (ip < s1 || r != 0));
        CHECK(!lmz_is_error(r) && op == 50000 && !memcmp(dd, text, 50000), "sliced decoding failed");
        lmz_dstream_free(ds);
        free(dd); free(sc); free(c1); free(c2); free(c4);
    }

    /* ---- lm+mix: chosen where it pays, never worse than lm, off with mix=0 - */
    {
        lmz_params p;
        lmz_params_default(&p);
        p.threads = 2;
        p.chunk_size = 8192;
        p.fallback = 0;
        const size_t n = 40000, cap = lmz_compress_bound(n);
        uint8_t *cm = malloc(cap), *cp = malloc(cap), *d = malloc(n);
        size_t sm = lmz_compress(m, cm, cap, text, n, &p);
        p.mix = 0;
        size_t sp = lmz_compress(m, cp, cap, text, n, &p);
        CHECK(!lmz_is_error(sm) && !lmz_is_error(sp), "compress with and without mixing");
        lmz_chunk_info_t chm[8], chp[8];
        int nm = (int)lmz_frame_chunks(cm, sm, chm, 8), np = (int)lmz_frame_chunks(cp, sp, chp, 8);
        int mixed = 0, plain_mix = 0, worse = 0;
        for (int i = 0; i < nm && i < np; i++) {
            mixed += chm[i].method == LMZ_METHOD_LM_MIX;
            plain_mix += chp[i].method == LMZ_METHOD_LM_MIX;
            worse += chm[i].coded_size > chp[i].coded_size;
        }
        CHECK(nm == 5 && np == 5, "5 chunks (%d, %d)", nm, np);
        CHECK(mixed == nm, "mixing chosen on %d of %d chunks of repetitive text", mixed, nm);
        CHECK(plain_mix == 0, "mix = 0 still wrote lm+mix chunks");
        CHECK(worse == 0 && sm < sp, "mixing made %d chunks larger (%zu vs %zu bytes)", worse, sm, sp);
        printf("  40 KB text: lm %zu bytes, lm+mix %zu bytes\n", sp, sm);
        CHECK(lmz_decompress(m, d, n, cm, sm, NULL) == n && !memcmp(d, text, n), "lm+mix round trip");
        /* decoding lm+mix chunks one at a time or 16 at once: the same */
        lmz_params dp;
        lmz_params_default(&dp);
        dp.threads = 1;
        CHECK(lmz_decompress(m, d, n, cm, sm, &dp) == n && !memcmp(d, text, n), "lm+mix round trip, 1 thread");
        /* an unknown mixer profile is refused, not guessed */
        cm[chm[0].offset] ^= 0x80; /* the first payload byte: the profile */
        size_t r = lmz_decompress(m, d, n, cm, sm, NULL);
        CHECK(lmz_get_error_code(r) == LMZ_error_unsupported, "unknown lm+mix profile: %s", lmz_error_name(r));
        free(cm);
        free(cp);
        free(d);
    }

    /* ---- long chunks for repetitive frames (compress.c LONG_CHUNK_MULT) ------ */
    {
        /* markup-like lines, a few values varying: zstd -3 codes it far below
         * 1.6 bits per byte */
        const size_t n = 200000;
        uint8_t *rep = malloc(n + 128);
        size_t at = 0;
        for (uint32_t i = 0; at < n; i++)
            at += (size_t)snprintf((char *)rep + at, 128, "<row id=\"%u\"><name>item %u</name><v>%u</v></row>\n", i,
                                   i % 37, (i * 7) % 101);
        struct { const uint8_t *src; uint32_t chunk; uint32_t want_cs; int want_nc; const char *what; } cases[] = {
            {rep, 0, 4 * 65536, 1, "repetitive, chunk size left to lmz: one 200 KB chunk"},
            {rep, 65536, 65536, 4, "repetitive, --chunk-size=64K given: kept"},
            {text, 0, 65536, 4, "ordinary text, chunk size left to lmz: 64 KiB"},
        };
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            uint8_t *c;
            size_t cs = compress_with(m, cases[k].src, n, &c, 2, cases[k].chunk);
            lmz_frame_info_t fi;
            CHECK(!lmz_is_error(cs) && !lmz_is_error(lmz_frame_info(c, cs, &fi)), "%s: compress", cases[k].what);
            if (lmz_is_error(cs)) continue;
            CHECK(fi.chunk_size == cases[k].want_cs && (int)fi.n_chunks == cases[k].want_nc,
                  "%s: chunk size %u, %u chunks (want %u, %d)", cases[k].what, fi.chunk_size, fi.n_chunks,
                  cases[k].want_cs, cases[k].want_nc);
            uint8_t *d = malloc(n);
            CHECK(lmz_decompress(m, d, n, c, cs, NULL) == n && !memcmp(d, cases[k].src, n), "%s: round trip",
                  cases[k].what);
            printf("  %-56s %zu -> %zu bytes\n", cases[k].what, n, cs);
            free(d);
            free(c);
        }
        free(rep);
    }

    /* ---- concatenated frames ---------------------------------------------- */
    {
        uint8_t *ca, *cb;
        g_fallback = 0; /* model or stored only: the first frame must need the model */
        size_t sa = compress_with(m, text, 7000, &ca, 2, 0), sb = compress_with(m, bin, 3000, &cb, 2, 0);
        g_fallback = -1;
        lmz_chunk_info_t ch;
        CHECK(lmz_frame_chunks(ca, sa, &ch, 1) == 1 && (ch.method == LMZ_METHOD_LM || ch.method == LMZ_METHOD_LM_MIX),
              "text frame uses the model");
        uint8_t *cat = malloc(sa + sb), *d = malloc(10001);
        memcpy(cat, ca, sa);
        memcpy(cat + sa, cb, sb);
        size_t ds = lmz_decompress(m, d, 10001, cat, sa + sb, NULL);
        CHECK(ds == 10000 && !memcmp(d, text, 7000) && !memcmp(d + 7000, bin, 3000), "a.lmz + b.lmz -> a + b");
        /* wrong model: named in the error */
        lmz_dstream *s = lmz_dstream_create(m2, NULL);
        lmz_in_buffer in = {ca, sa, 0};
        lmz_out_buffer out = {d, 10000, 0};
        size_t r = lmz_decompress_stream(s, &out, &in);
        CHECK(lmz_get_error_code(r) == LMZ_error_model_mismatch && out.pos == 0, "wrong model not detected");
        printf("wrong model: %s\n", lmz_dstream_message(s));
        lmz_dstream_free(s);
        /* memory limit */
        lmz_params p;
        lmz_params_default(&p);
        p.memory_limit = 1 << 16;
        r = lmz_decompress(m, d, 10000, ca, sa, &p);
        CHECK(lmz_get_error_code(r) == LMZ_error_memory_limit, "memory limit not honoured: %s", lmz_error_name(r));
        free(cat); free(d); free(ca); free(cb);
    }

    /* ---- every truncation and every bit flip of a small frame --------------- */
    {
        uint8_t *c;
        g_fallback = 0;
        size_t n = 600, cs = compress_with(m, text, n, &c, 1, 0);
        g_fallback = -1;
        uint8_t *d = malloc(n + 64), *bad = malloc(cs);
        int trunc_ok = 1, flips_rejected = 0, flips_harmless = 0, flips_wrong = 0;
        for (size_t k = 0; k < cs; k++) {
            size_t r = lmz_decompress(m, d, n + 64, c, k, NULL);
            if (!lmz_is_error(r) && !(k == 0 && r == 0)) trunc_ok = 0;
        }
        CHECK(trunc_ok, "a truncated frame was accepted");
        for (size_t bit = 0; bit < cs * 8; bit++) {
            memcpy(bad, c, cs);
            bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            size_t r = lmz_decompress(m, d, n + 64, bad, cs, NULL);
            if (lmz_is_error(r)) flips_rejected++;
            else if (r == n && !memcmp(d, text, n)) flips_harmless++;
            else flips_wrong++;
        }
        printf("frame of %zu bytes: %zu truncations rejected; %zu bit flips: %d rejected, %d harmless, %d wrong output\n",
               cs, cs - 1, cs * 8, flips_rejected, flips_harmless, flips_wrong);
        CHECK(flips_wrong == 0, "%d bit flips produced wrong output", flips_wrong);
        free(c); free(d); free(bad);
    }

    lmz_model_free(m);
    lmz_model_free(m2);
    for (int i = 0; i < g_nbufs; i++) free(g_bufs[i]);
    free(text);
    free(bin);
    return check_done("test_codec");
}
