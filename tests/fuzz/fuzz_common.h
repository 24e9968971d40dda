/*
 * tests/fuzz/fuzz_common.h — shared by the fuzz targets, the replay driver
 * and the seed generator (tests/fuzz/make_seeds.c).
 *
 * Every target is an ordinary C file with the libFuzzer entry point
 * LLVMFuzzerTestOneInput(). Built with clang -fsanitize=fuzzer it is a
 * fuzzer (`make fuzz`); linked with tests/fuzz/replay_main.c it is a plain
 * regression test that replays tests/fuzz/corpus/<target>/ (ctest -L fuzz).
 *
 * A broken invariant calls FUZZ_ASSERT, which prints what failed and aborts:
 * libFuzzer then saves the input as a crash artifact. (Only test code aborts;
 * the library never does.)
 */
#ifndef LMZ_FUZZ_COMMON_H
#define LMZ_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmz.h"
#include "fixtures/tinymodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                      \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "FUZZ ASSERTION FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                           \
            fprintf(stderr, "\n");                                                  \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* The tiny model every model-using target (and the seed generator) uses:
 * small and fast, and with a 64-token context so that 4 KiB chunks slide
 * their window many times. Seed 1. Changing this invalidates the `lm` frames
 * in the seed corpus (regenerate them with make_seeds). */
static inline tinymodel_opts fuzz_tiny_opts(void) {
    tinymodel_opts o = tinymodel_defaults();
    o.n_layer = 1;
    o.n_embd = 32;
    o.n_head = 1;
    o.n_head_kv = 1;
    o.n_ff = 32;
    o.n_ctx = 64;
    o.n_merges = 64;
    return o;
}
#define FUZZ_TINY_SEED 1u

/* Built once per process; the GGUF bytes must outlive the model, so both
 * stay alive until exit (reachable: not reported as leaks). */
static inline const lmz_model *fuzz_tiny_model(void) {
    static lmz_model *m;
    static uint8_t *gguf;
    if (!m) {
        size_t n, err;
        char msg[256];
        tinymodel_opts o = fuzz_tiny_opts();
        if (tinymodel_build(FUZZ_TINY_SEED, &o, &gguf, &n) != 0) {
            fprintf(stderr, "fuzz: cannot build the tiny model\n");
            abort();
        }
        m = lmz_model_load_buffer(gguf, n, &err, msg, sizeof msg);
        if (!m) {
            fprintf(stderr, "fuzz: cannot load the tiny model: %s\n", msg);
            abort();
        }
    }
    return m;
}

/* Decoder memory limit of the frame targets: ample for the frames the tiny
 * model makes (a few chunks of 4 KiB need ~150 KiB, ~1 MiB more with the
 * lm+mix state), low enough that a frame
 * claiming a huge size is refused instead of exhausting the fuzzer — and,
 * since the `lm` decoder's work grows with the raw size it is told (up to
 * one token per byte), that no damaged frame can keep it busy for long. */
#define FUZZ_MEMORY_LIMIT (2048ull << 10)

/* The samples fuzz_dict's fixed dictionary is trained from (and
 * make_seeds's): 4 log-like texts of ~2 KB. *out malloc'd. Returns 4. */
static inline size_t fuzz_dict_samples(char **out, size_t sizes[4]) {
    static const char line[] = "2026-12-06 host=alpha service=sshd level=info msg=\"session opened for user root\"\n"
                               "2026-12-06 host=bravo service=cron level=info msg=\"job finished in 12 s\"\n";
    char *s = malloc(4 * 2048);
    size_t n = 0;
    for (int i = 0; s && i < 4; i++) {
        size_t k = 0;
        while (k + sizeof line < 2048) memcpy(s + n + k, line, sizeof line - 1), k += sizeof line - 1;
        s[n] = (char)('a' + i);
        sizes[i] = k;
        n += k;
    }
    *out = s;
    return 4;
}

static inline uint16_t fuzz_rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

#endif
