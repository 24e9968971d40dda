/*
 * programs/dict.h — dictionaries of an `lmz` run: `-D FILE` (loaded once,
 * when the first file needs it), the directories of $LMZ_DICT_PATH searched
 * for the dictionary a frame names, and `--train`.
 */
#ifndef LMZ_CLI_DICT_H
#define LMZ_CLI_DICT_H

#include "lmz.h"
#include "model.h"

#define CLI_DICT_FOUND_MAX 16

typedef struct {
    const char *path;       /* -D FILE, or NULL */
    const char *search;     /* $LMZ_DICT_PATH: directories separated by ':' (NULL: none) */
    lmz_dict *dict;         /* -D's, NULL until loaded */
    int failed;             /* loading -D failed (reported once) */
    const lmz_model *model; /* what the dictionaries are loaded for */
    lmz_dict *found[CLI_DICT_FOUND_MAX]; /* loaded from the search path */
    int n_found;
} cli_dict;

/* -D's dictionary for model m, loaded on first call; NULL when there is no
 * -D. *failed set (and reported once) when it cannot be loaded. */
const lmz_dict *cli_dict_get(cli_dict *cd, const lmz_model *m, int *failed);
/* lmz_params.dict_find: searches $LMZ_DICT_PATH (opaque: the cli_dict). */
const lmz_dict *cli_dict_find(void *opaque, const uint8_t *sha256, size_t id_len, const char *name);
void cli_dict_free(cli_dict *cd);

/* `lmz --train FILE... -o DICT`: 0, or 1 after reporting the error. */
int cli_train(const char *const *files, int n, const char *out, int force, uint64_t max_size, int threads,
              cli_model *model);

#endif /* LMZ_CLI_DICT_H */
