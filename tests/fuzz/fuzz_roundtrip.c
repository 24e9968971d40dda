/*
 * tests/fuzz/fuzz_roundtrip.c — compress -> decompress is the identity on
 * arbitrary bytes (at most 4 KiB), with the fuzz tiny model and 4 KiB chunks.
 *
 * Input byte 0 is the mode, the rest the content:
 *   bit 0     threads 1 or 2
 *   bits 1-2  fallback: default, 0 (model or stored only), 1, default
 *   bit 3     compress through lmz_cstream with odd input/output slices
 *   bit 4     also compress with the other thread count: bytes must be equal
 *             (the determinism contract)
 *
 * Checks: compressed size <= lmz_compress_bound(), the frame parses and
 * states the content's size, lmz_decompressed_size() agrees, and the
 * decompressed bytes are exactly the content.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"

#define MAX_CONTENT 4096

static void params(lmz_params *p, int threads, int fallback) {
    lmz_params_default(p);
    p->threads = threads;
    p->chunk_size = 4096;
    p->fallback = fallback;
}

static size_t compress_sliced(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, const lmz_params *p,
                              unsigned seed) {
    lmz_cstream *s = lmz_cstream_create(fuzz_tiny_model(), p);
    FUZZ_ASSERT(s, "cstream_create");
    size_t ip = 0, op = 0, r;
    for (int guard = 0;; guard++) {
        FUZZ_ASSERT(guard < 1 << 20, "cstream makes no progress");
        seed = seed * 1103515245u + 12345u;
        size_t ik = 1 + (seed >> 16) % 700, ok = 1 + (seed >> 8) % 300;
        if (ik > n - ip) ik = n - ip;
        if (ok > cap - op) ok = cap - op;
        lmz_in_buffer in = {src + ip, ik, 0};
        lmz_out_buffer out = {dst + op, ok, 0};
        r = lmz_compress_stream(s, &out, &in, ip + ik == n ? LMZ_e_end : LMZ_e_continue);
        FUZZ_ASSERT(!lmz_is_error(r), "compress_stream: %s (%s)", lmz_error_name(r), lmz_cstream_message(s));
        ip += in.pos;
        op += out.pos;
        if (ip == n && r == 0) break;
    }
    lmz_cstream_free(s);
    return op;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t mode = data[0];
    const int threads = 1 + (mode & 1);
    static const int fallbacks[4] = {-1, 0, 1, -1};
    const int fallback = fallbacks[(mode >> 1) & 3];
    size_t n = size - 1;
    if (n > MAX_CONTENT) n = MAX_CONTENT;
    uint8_t *src = malloc(n ? n : 1); /* exact size: overreads are caught */
    FUZZ_ASSERT(src, "oom");
    if (n) memcpy(src, data + 1, n);

    lmz_params p;
    params(&p, threads, fallback);
    const size_t bound = lmz_compress_bound(n);
    uint8_t *c = malloc(bound);
    FUZZ_ASSERT(c, "oom");
    size_t cs = mode & 8 ? compress_sliced(src, n, c, bound, &p, mode) : lmz_compress(fuzz_tiny_model(), c, bound, src,
                                                                                      n, &p);
    FUZZ_ASSERT(!lmz_is_error(cs), "compress: %s", lmz_error_name(cs));
    FUZZ_ASSERT(cs <= bound, "compressed %zu > bound %zu", cs, bound);

    if (mode & 16) { /* the other thread count gives the same bytes */
        lmz_params q;
        params(&q, 3 - threads, fallback);
        uint8_t *c2 = malloc(bound);
        FUZZ_ASSERT(c2, "oom");
        size_t cs2 = lmz_compress(fuzz_tiny_model(), c2, bound, src, n, &q);
        FUZZ_ASSERT(cs2 == cs && memcmp(c, c2, cs) == 0, "output differs between -T1 and -T2");
        free(c2);
    }

    lmz_frame_info_t fi;
    size_t hr = lmz_frame_info(c, cs, &fi);
    /* a one-chunk frame has the compact header: its chunk size is the frame's size */
    FUZZ_ASSERT(!lmz_is_error(hr) && fi.original_size == n && fi.frame_size == cs &&
                    (fi.version >= 2 ? fi.n_chunks <= 1 && fi.chunk_size == (n ? n : 1) : fi.chunk_size == 4096),
                "frame info: %s", lmz_error_name(hr));
    FUZZ_ASSERT(lmz_decompressed_size(c, cs) == n, "decompressed_size");

    uint8_t *d = malloc(n + 1);
    FUZZ_ASSERT(d, "oom");
    lmz_params dp;
    params(&dp, threads, fallback);
    size_t ds = lmz_decompress(fuzz_tiny_model(), d, n + 1, c, cs, &dp);
    FUZZ_ASSERT(ds == n && (n == 0 || memcmp(d, src, n) == 0), "round trip failed: %s",
                lmz_is_error(ds) ? lmz_error_name(ds) : "wrong bytes");
    free(d);
    free(c);
    free(src);
    return 0;
}
