/*
 * programs/fileio.h — one input through `lmz`: compress, decompress or test.
 *
 * As zstd's FIO_prefs_t: main() fills an fio_prefs from the command line
 * and passes it, read-only, to every call; nothing here reads options from
 * anywhere else.
 */
#ifndef LMZ_CLI_FILEIO_H
#define LMZ_CLI_FILEIO_H

#include "lmz.h"
#include "model.h"
#include "dict.h"

typedef enum { MODE_COMPRESS, MODE_DECOMPRESS, MODE_TEST, MODE_LIST } cli_mode;

typedef struct {
    cli_mode mode;
    int to_stdout;        /* -c */
    const char *out_path; /* -o FILE, or NULL */
    int force;            /* -f */
    int rm_source;        /* --rm (cancelled by -k) */
    int progress;         /* 0: --no-progress; else on a terminal, below -q */
    lmz_params params;    /* threads, chunk size, memory limit, mix, fallback, fast */
    unsigned umask_bits;  /* process umask, for outputs made from stdin */
    /* lossy mode (doc/lossy.md): level 0 = lossless */
    int lossy_level;      /* --lossy=N, 1..5 */
    double min_fidelity;  /* --min-fidelity=X, 0 = off */
    const char *rewriter; /* --rewriter=CMD, or NULL */
    int lossy_verify;     /* --lossy-verify=auto|yes|no: -1, 1, 0 */
    int lossy_always;     /* --lossy-always: no lossless check at levels 1-3 */
    int range;            /* --range=START:END given (decompression of a file) */
    uint64_t range_start, range_end; /* END: UINT64_MAX = to the end */
} fio_prefs;

/* The defaults: compress, progress on a terminal, lmz_params_default(),
 * --lossy-verify=auto, umask_bits 0. */
void fio_prefs_default(fio_prefs *prefs);

/* Installs the SIGINT/SIGTERM/SIGHUP handlers that remove a temporary output
 * file, and ignores SIGXFSZ so that a full disk / file size limit becomes a
 * write error. */
void fio_install_signals(void);

/* Processes one input in prefs->mode (not MODE_LIST). src is a path or "-"
 * (stdin); the model is loaded through `model` once this file needs it.
 * Returns 0 on success, 1 on error (already reported). */
int fio_process(const fio_prefs *prefs, cli_model *model, cli_dict *dict, const char *src);

#endif /* LMZ_CLI_FILEIO_H */
