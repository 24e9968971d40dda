/*
 * programs/model.h — the model of an `lmz` run: --model PATH, $LMZ_MODEL or
 * the embedded default. main() owns it; it is loaded once, when the first
 * file that needs it gets that far (a run whose files all fail earlier, or
 * `lmz -l`, never loads it), and freed by main() at the end.
 */
#ifndef LMZ_CLI_MODEL_H
#define LMZ_CLI_MODEL_H

#include "lmz.h"

typedef struct {
    const char *path; /* --model or $LMZ_MODEL, or NULL: the embedded default */
    lmz_model *model; /* NULL until loaded */
    int failed;       /* loading failed (reported once) */
} cli_model;

/* The model, loaded on first call; NULL after reporting the failure (once). */
const lmz_model *cli_model_get(cli_model *cm);
void cli_model_free(cli_model *cm);

#endif /* LMZ_CLI_MODEL_H */
