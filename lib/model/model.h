/*
 * lib/model/model.h — what a loaded lmz_model holds (internal).
 */
#ifndef LMZ_MODEL_H
#define LMZ_MODEL_H

#include "lmz.h"
#include "lmz_frame_info.h" /* LMZ_FRAME_MODEL_NAME_MAX: frames record the name */
#include "model/gguf.h"
#include "model/llama.h"
#include "model/tokenizer.h"

struct lmz_model {
    lmz_mmap map;        /* set when loaded from a file */
    const uint8_t *buf;  /* the GGUF bytes (mapped, embedded or borrowed) */
    size_t size;
    gguf_file gguf;
    lmz_tokenizer *tok;
    llama_model llm;
    uint8_t sha256[32];
    char name[LMZ_FRAME_MODEL_NAME_MAX + 1];
};

/* Like lmz_model_load_buffer() for bytes whose SHA-256 is already known
 * (the embedded default model: hashed at build time, so loading it does not
 * hash 38 MB on every run). The caller vouches for sha256. */
lmz_model *lmz_model_load_known(const void *gguf, size_t size, const uint8_t sha256[32], size_t *err);

/* [n_vocab] flags, malloc'd (NULL: out of memory): 1 where the token's bytes
 * hold a line feed (the mixer's line contexts, mix.h). */
uint8_t *lmz_model_line_ends(const lmz_model *m);

#endif
