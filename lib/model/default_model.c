/*
 * lib/model/default_model.c — the default model, embedded at build time
 * (lib/embed/default_model.S.in links the GGUF bytes into the library;
 * lib/embed/model_sha256.cmake writes their SHA-256, computed by CMake from
 * the same file, so that loading the default model does not hash it again:
 * 0.2 s of every run on the reference machine).
 */
#include "model/model.h"

extern const unsigned char lmz_default_model_data[];
extern const unsigned char lmz_default_model_end[];
extern const unsigned char lmz_default_model_sha256[32];

lmz_model *lmz_model_load_default(size_t *err) {
    size_t size = (size_t)(lmz_default_model_end - lmz_default_model_data);
    return lmz_model_load_known(lmz_default_model_data, size, lmz_default_model_sha256, err);
}
