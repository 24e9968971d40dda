/*
 * tests/fuzz/fuzz_decompress.c — full decompression of damaged frames with
 * the fuzz tiny model (tests/fuzz/fuzz_common.h).
 *
 * Input byte 0 is the mode:
 *   bit 0  0: RAW — bytes 1.. are decompressed as they are. Random bytes
 *             rarely pass the header checksum, so this mostly exercises the
 *             frame parser; seeds are real frames.
 *          1: MUTATE — the payload decoders: bytes 1.. are
 *                 u8 k, then (k % 9) mutations { u16 offset, u8 xor },
 *                 then the content (at most 1 KiB),
 *             the content is compressed (a valid frame), every mutation XORs
 *             one byte of it (offset modulo the frame size), and the result
 *             is decompressed.
 *   bit 1  threads 1 or 2 (never changes any result)
 *   bit 2  decode through lmz_dstream with input slices of 1..64 bytes
 *   bit 3  MUTATE: recompute the header checksum after the mutations, so
 *          that damaged fields get past it and reach the field checks and
 *          the payload decoders
 *   bit 4  MUTATE: compress with fallback 0 (model or stored only) instead of
 *          the default (zstd/xz allowed)
 *   bit 5  MUTATE: two frames (the content's halves), concatenated
 *   bit 6  MUTATE: one-chunk frames with the compact header (doc/format.md
 *          §2.2; else the full v1 header); bit 3 then re-seals its 16-bit
 *          header checksum
 *
 * Invariants: decompression never succeeds with wrong bytes. RAW: success
 * gives lmz_decompressed_size() bytes. MUTATE: success gives exactly the
 * content — or, when a re-sealed header was changed, bytes whose XXH64 is the
 * content_checksum the (mutated) frame states, i.e. what that frame
 * describes. Errors are fine; crashes, sanitizer reports, and hangs are not.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fuzz/fuzz_common.h"
#include "lmz_frame_info.h"

#define MAX_CONTENT 1024
#define OUT_CAP (1u << 20)

static uint8_t g_out[OUT_CAP];

static size_t decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, int threads, int sliced,
                     uint8_t slice_seed) {
    lmz_params p;
    lmz_params_default(&p);
    p.threads = threads;
    p.memory_limit = FUZZ_MEMORY_LIMIT;
    if (!sliced) return lmz_decompress(fuzz_tiny_model(), dst, cap, src, n, &p);
    lmz_dstream *s = lmz_dstream_create(fuzz_tiny_model(), &p);
    FUZZ_ASSERT(s, "dstream_create");
    size_t ip = 0, op = 0, r = 0;
    unsigned k = slice_seed;
    for (int guard = 0;; guard++) {
        FUZZ_ASSERT(guard < 1 << 22, "dstream makes no progress");
        k = k * 1103515245u + 12345u;
        size_t ik = 1 + (k >> 16) % 64;
        if (ik > n - ip) ik = n - ip;
        lmz_in_buffer in = {src + ip, ik, 0};
        lmz_out_buffer out = {dst + op, cap - op, 0};
        r = lmz_decompress_stream(s, &out, &in);
        FUZZ_ASSERT(in.pos <= ik && out.pos <= cap - op, "stream positions");
        ip += in.pos;
        op += out.pos;
        if (lmz_is_error(r)) break;
        if (ip == n && r == 0) break; /* everything decoded and flushed */
        if (in.pos == 0 && out.pos == 0) { /* no progress: why? */
            if (op == cap) {
                r = LMZ_ERR(LMZ_error_dst_too_small);
                break;
            }
            FUZZ_ASSERT(ip == n, "dstream took no input (%zu offered) and gave no output", ik);
            r = LMZ_ERR(LMZ_error_src_size); /* truncated */
            break;
        }
    }
    FUZZ_ASSERT(lmz_dstream_message(s) != NULL, "message");
    lmz_dstream_free(s);
    return lmz_is_error(r) ? r : op;
}

static int g_compact; /* mode bit 6: one-chunk frames with the compact header */
static size_t compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, int threads, int fallback) {
    lmz_params p;
    lmz_params_default(&p);
    p.compact = g_compact;
    p.threads = threads;
    p.chunk_size = 4096;
    p.fallback = fallback;
    size_t r = lmz_compress(fuzz_tiny_model(), dst, cap, src, n, &p);
    FUZZ_ASSERT(!lmz_is_error(r), "compress: %s", lmz_error_name(r));
    return r;
}

static void raw_mode(const uint8_t *src, size_t n, int threads, int sliced, uint8_t seed) {
    size_t r = decode(src, n, g_out, OUT_CAP, threads, sliced, seed);
    if (lmz_is_error(r)) return;
    size_t ds = lmz_decompressed_size(src, n);
    FUZZ_ASSERT(!lmz_is_error(ds) && ds == r, "decoded %zu bytes, decompressed_size says %zu", r, ds);
}

static void mutate_mode(const uint8_t *data, size_t size, uint8_t mode) {
    if (size < 1) return;
    const int threads = mode & 2 ? 2 : 1, sliced = (mode >> 2) & 1, reseal = (mode >> 3) & 1;
    const int fallback = mode & 16 ? 0 : -1, two = (mode >> 5) & 1;
    g_compact = (mode >> 6) & 1;
    unsigned k = data[0] % 9u;
    data++, size--;
    if (size < 3 * k) return;
    const uint8_t *mut = data;
    const uint8_t *content = data + 3 * k;
    size_t n = size - 3 * k;
    if (n > MAX_CONTENT) n = MAX_CONTENT;

    size_t cap = 2 * lmz_compress_bound(n) + 16;
    uint8_t *frame = malloc(cap);
    FUZZ_ASSERT(frame, "oom");
    size_t fs;
    if (two) {
        fs = compress(content, n / 2, frame, cap, threads, fallback);
        fs += compress(content + n / 2, n - n / 2, frame + fs, cap - fs, threads, fallback);
    } else {
        fs = compress(content, n, frame, cap, threads, fallback);
    }
    /* the unmutated frame must decode */
    uint8_t *frame_ok = malloc(fs);
    FUZZ_ASSERT(frame_ok, "oom");
    memcpy(frame_ok, frame, fs);

    int changed = 0;
    for (unsigned i = 0; i < k; i++) {
        size_t off = fuzz_rd16(mut + 3 * i) % fs;
        frame[off] ^= mut[3 * i + 2];
    }
    if (reseal && fs >= 10 && frame_ok[4] == 1) {
        uint32_t hs = lmz_rd32(frame + 6);
        if (hs >= 79 && hs <= fs) lmz_wr32(frame + hs - 4, (uint32_t)lmz_xxh64(frame, hs - 4));
    } else if (reseal && fs >= 10 && !two) { /* compact: its header size is the unmutated frame's */
        lmz_frame_info_t f0;
        if (!lmz_is_error(lmz_frame_info(frame_ok, fs, &f0)) && f0.header_size >= 2) {
            const size_t hs = (size_t)f0.header_size;
            const uint16_t c = (uint16_t)lmz_xxh64(frame, hs - 2);
            frame[hs - 2] = (uint8_t)c, frame[hs - 1] = (uint8_t)(c >> 8);
        }
    }
    changed = memcmp(frame, frame_ok, fs) != 0;

    /* exact-size copy: any read past the frame is caught */
    uint8_t *src = malloc(fs);
    FUZZ_ASSERT(src, "oom");
    memcpy(src, frame, fs);
    size_t r = decode(src, fs, g_out, OUT_CAP, threads, sliced, mode);
    if (!changed) {
        FUZZ_ASSERT(!lmz_is_error(r), "an undamaged frame failed: %s", lmz_error_name(r));
    }
    if (!lmz_is_error(r)) {
        int same = r == n && (n == 0 || memcmp(g_out, content, n) == 0);
        if (!same) {
            /* only a re-sealed header may describe other bytes, and then the
             * output must be exactly what it describes */
            lmz_frame_info_t fi;
            size_t hr = lmz_frame_info(src, fs, &fi);
            const uint64_t sum = fi.version >= 2 ? (uint32_t)lmz_xxh64(g_out, r) : lmz_xxh64(g_out, r);
            FUZZ_ASSERT(reseal && !two && !lmz_is_error(hr) && fi.original_size == r && sum == fi.content_checksum,
                        "a damaged frame decoded to wrong bytes (%zu bytes, content %zu)", r, n);
        }
    }
    free(src);
    free(frame_ok);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    if (mode & 1) mutate_mode(data + 1, size - 1, mode);
    else raw_mode(data + 1, size - 1, mode & 2 ? 2 : 1, (mode >> 2) & 1, mode);
    return 0;
}
