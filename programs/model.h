/*
 * programs/model.h — the model of an `lmz` run: --model PATH, $LMZ_MODEL or
 * the embedded default. main() owns it; it is loaded once, when the first
 * file that needs it gets that far (a run whose files all fail earlier, or
 * `lmz -l`, never loads it), and freed by main() at the end.
 */
#ifndef LMZ_CLI_MODEL_H
#define LMZ_CLI_MODEL_H

#include "lmz.h"

#define CLI_MODELS_FOUND_MAX 8

typedef struct {
    const char *path; /* --model or $LMZ_MODEL, or NULL: the embedded default */
    lmz_model *model; /* NULL until loaded */
    int failed;       /* loading failed (reported once) */
    const char *search; /* $LMZ_MODEL_PATH: directories searched for the model a frame names */
    lmz_model *found[CLI_MODELS_FOUND_MAX]; /* loaded from the search path */
    int n_found;
} cli_model;

/* The model, loaded on first call; NULL after reporting the failure (once). */
const lmz_model *cli_model_get(cli_model *cm);
void cli_model_free(cli_model *cm);

/* The search paths ($LMZ_MODEL_PATH, $LMZ_DICT_PATH): calls visit(ctx,
 * path, name) for each entry of each directory of search (separated by ':'),
 * in order, until visit returns non-zero; returns that value, else 0. */
int cli_search_path(const char *search, int (*visit)(void *ctx, const char *path, const char *name), void *ctx);

/* Decoding: the model whose SHA-256 starts with id[0..id_len) (a frame's
 * identity), when it is not the usual one (cli_model_get's) and no
 * --model / $LMZ_MODEL was given: searched among the GGUF files (*.gguf) of
 * the $LMZ_MODEL_PATH directories, loaded once. NULL: keep the usual one. */
const lmz_model *cli_model_for(cli_model *cm, const uint8_t *id, size_t id_len);

#endif /* LMZ_CLI_MODEL_H */
