/*
 * lib/decompress/default_model.c — the default model, embedded at build time
 * (lib/embed/default_model.S.in links the GGUF bytes into the library).
 */
#include "lmz.h"

extern const unsigned char lmz_default_model_data[];
extern const unsigned char lmz_default_model_end[];

lmz_model *lmz_model_load_default(size_t *err) {
    size_t size = (size_t)(lmz_default_model_end - lmz_default_model_data);
    return lmz_model_load_buffer(lmz_default_model_data, size, err, NULL, 0);
}
