/*
 * tests/fuzz/fuzz_dict.c — dictionaries (doc/format.md §9) and the frames
 * that need one (§2, §2.2), with the fuzz tiny model.
 *
 * Input:
 *   byte 0     mode
 *     bit 0      0: the rest is a dictionary file; 1: the rest is a frame
 *                stream, decoded with the fixed dictionary below
 *   bytes 1..  the dictionary file or the frames
 *
 * Checks:
 *   - dictionary files: lmz_dict_info and lmz_dict_load agree (a file the
 *     parser accepts, for this model, loads; one it refuses does not load);
 *     a loaded dictionary codes a fixed text and decodes it exactly, and the
 *     frame cannot be decoded without it;
 *   - frames: decoding with the fixed dictionary never crashes, and what
 *     decodes passes its checksums (the library's own contract: an error or
 *     the content).
 * The fixed dictionary is trained once per process from fuzz_dict_samples
 * (fuzz_common.h), as make_seeds trains the one in the seeds.
 */
#include <string.h>

#include "fuzz_common.h"
#include "lmz_frame_info.h"

static const char k_text[] =
    "2026-12-06 host=alpha service=sshd level=info msg=\"session opened for user root\"\n"
    "2026-12-06 host=bravo service=cron level=info msg=\"job finished in 12 s\"\n";

static const lmz_dict *fixed_dict(const lmz_model *m) {
    static lmz_dict *d;
    if (d) return d;
    char *samples;
    size_t sizes[4];
    const size_t ns = fuzz_dict_samples(&samples, sizes);
    static uint8_t buf[1 << 16];
    lmz_train_params tp;
    memset(&tp, 0, sizeof tp);
    tp.max_size = sizeof buf;
    tp.threads = 1;
    size_t r = lmz_train_dict(m, buf, sizeof buf, samples, sizes, (unsigned)ns, &tp, NULL, 0);
    free(samples);
    FUZZ_ASSERT(!lmz_is_error(r), "training the fixed dictionary: %s", lmz_error_name(r));
    size_t err;
    d = lmz_dict_load(m, buf, r, &err, NULL, 0);
    FUZZ_ASSERT(d, "loading the fixed dictionary: %s", lmz_error_name(err));
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const lmz_model *m = fuzz_tiny_model();
    const uint8_t mode = data[0];
    data++, size--;
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    p.memory_limit = FUZZ_MEMORY_LIMIT;
    if (mode & 1) {
        p.dict = fixed_dict(m);
        static uint8_t out[1 << 16];
        (void)lmz_decompress(m, out, sizeof out, data, size, &p);
        return 0;
    }
    lmz_dict_info_t di;
    const size_t ir = lmz_dict_info(data, size, &di);
    size_t err = 0;
    lmz_dict *d = lmz_dict_load(m, data, size, &err, NULL, 0);
    uint8_t sha[32];
    lmz_model_sha256(m, sha);
    if (lmz_is_error(ir)) {
        FUZZ_ASSERT(!d, "a file lmz_dict_info refuses (%s) loads", lmz_error_name(ir));
        return 0;
    }
    if (memcmp(di.model_sha256, sha, 32) || di.n_vocab != lmz_model_vocab_size(m)) {
        FUZZ_ASSERT(!d && lmz_get_error_code(err) == LMZ_error_model_mismatch, "another model's dictionary: %s",
                    lmz_error_name(err));
        return 0;
    }
    FUZZ_ASSERT(d || lmz_get_error_code(err) == LMZ_error_memory, "an accepted file does not load: %s",
                lmz_error_name(err));
    if (!d) return 0;
    static uint8_t frame[4096], back[sizeof k_text];
    p.dict = d;
    p.chunk_size = 4096;
    size_t c = lmz_compress(m, frame, sizeof frame, k_text, sizeof k_text - 1, &p);
    FUZZ_ASSERT(!lmz_is_error(c), "compressing with the dictionary: %s", lmz_error_name(c));
    size_t r = lmz_decompress(m, back, sizeof back, frame, c, &p);
    FUZZ_ASSERT(r == sizeof k_text - 1 && !memcmp(back, k_text, r), "round trip with the dictionary: %s",
                lmz_is_error(r) ? lmz_error_name(r) : "wrong bytes");
    lmz_frame_info_t fi;
    FUZZ_ASSERT(!lmz_is_error(lmz_frame_info(frame, c, &fi)), "frame info");
    if (fi.flags & LMZ_FRAME_FLAG_DICT) {
        p.dict = NULL;
        r = lmz_decompress(m, back, sizeof back, frame, c, &p);
        FUZZ_ASSERT(lmz_get_error_code(r) == LMZ_error_dict_mismatch, "decoded without its dictionary: %s",
                    lmz_is_error(r) ? lmz_error_name(r) : "no error");
    }
    lmz_dict_free(d);
    return 0;
}
