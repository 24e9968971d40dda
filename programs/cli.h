/*
 * programs/cli.h — what the pieces of the `lmz` command-line tool share.
 *
 *   lmz.c       main(): options, model loading, the loop over files
 *   fileio.c    one file: open, temporary output, stream loop, rename, metadata
 *   progress.c  the progress meter on stderr
 *   list.c      `lmz -l`: frame headers, no decoding
 *
 * The tool uses only the public API (lmz.h, lmz_frame_info.h).
 */
#ifndef LMZ_CLI_H
#define LMZ_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "lmz.h"

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum { MODE_COMPRESS, MODE_DECOMPRESS, MODE_TEST, MODE_LIST } cli_mode;

/* Verbosity levels, as in zstd: -q lowers, -v raises. */
enum {
    V_SILENT = 0, /* -qq: nothing at all */
    V_ERRORS = 1, /* -q: errors only */
    V_NORMAL = 2, /* default: errors, warnings, progress on a terminal */
    V_VERBOSE = 3 /* -v: a summary line per file; -vv and up: more detail */
};

typedef struct {
    cli_mode mode;
    int to_stdout;          /* -c */
    const char *out_path;   /* -o FILE, or NULL */
    int force;              /* -f */
    int rm_source;          /* --rm (cancelled by -k) */
    int verbosity;          /* V_* */
    int progress;           /* 0: --no-progress, else only on a terminal */
    const char *model_path; /* --model or $LMZ_MODEL, or NULL: embedded default */
    lmz_params params;      /* threads, chunk size, memory limit, mix, fallback */
    const lmz_model *model; /* loaded before the first file that needs it */
    unsigned umask_bits;    /* process umask, for outputs made from stdin */
    /* lossy mode (doc/lossy.md): level 0 = lossless */
    int lossy_level;        /* --lossy=N, 1..5 */
    double min_fidelity;    /* --min-fidelity=X, 0 = off */
    const char *rewriter;   /* --rewriter=CMD, or NULL */
    int lossy_verify;       /* --lossy-verify=auto|yes|no: -1, 1, 0 */
    int lossy_always;       /* --lossy-always: no lossless check at levels 1-3 */
} cli_opts;

extern cli_opts g_opts;

/* Loads the model (--model, $LMZ_MODEL or the embedded default) into
 * g_opts.model on first call. Returns 0, or 1 after reporting the failure. */
int cli_load_model(void);

/* ------------------------------------------------------------------------ */
/* Messages (stderr): "lmz: NAME: reason"                                   */
/* ------------------------------------------------------------------------ */

#define CLI_NAME "lmz"
#define STDIN_NAME "(stdin)"
#define STDOUT_NAME "(stdout)"
#define LMZ_SUFFIX ".lmz"

/* Printed at V_ERRORS and above. name may be NULL. */
void cli_error(const char *name, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Printed at `level` and above. */
void cli_msg(int level, const char *fmt, ...) CLI_PRINTF(2, 3);
/* "lib error name: stream detail" for a library error code. */
const char *cli_lib_error(size_t code, const char *detail, char *buf, size_t cap);

/* ------------------------------------------------------------------------ */
/* File operations (fileio.c)                                               */
/* ------------------------------------------------------------------------ */

/* Installs the SIGINT/SIGTERM/SIGHUP handlers that remove a temporary output
 * file, and ignores SIGXFSZ so that a full disk / file size limit becomes a
 * write error. */
void fio_install_signals(void);

/* Processes one input in the mode of g_opts. src is a path or "-" (stdin).
 * Returns 0 on success, 1 on error (already reported). */
int fio_process(const char *src);

/* ------------------------------------------------------------------------ */
/* External rewriter (rewriter.c)                                           */
/* ------------------------------------------------------------------------ */

/* lmz_lossy_rewrite_fn for --rewriter: runs `/bin/sh -c CMD` (opaque is the
 * command) with the paragraph on its standard input; its standard output is
 * the rewrite. Returns 0 with *out malloc'd, or 1 (command failed, exited
 * non-zero, or wrote more than 1 MiB): the paragraph is then kept. */
int cli_rewrite(void *opaque, const char *para, size_t n, char **out, size_t *out_n);

/* ------------------------------------------------------------------------ */
/* Listing (list.c)                                                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t files, frames, chunks, compressed, original;
} list_totals;

void list_begin(void);
int list_file(const char *path, list_totals *tot); /* 0 ok, 1 error */
void list_end(const list_totals *tot, int n_files);

/* ------------------------------------------------------------------------ */
/* Progress meter (progress.c)                                              */
/* ------------------------------------------------------------------------ */

/* Starts a meter for one file; total = input bytes if known, else 0. Draws
 * nothing unless stderr is a terminal and g_opts allows it. */
void progress_start(const char *name, uint64_t total);
/* Records bytes done (input coded, output produced); redraws at most ~5
 * times a second. This is lmz_params.progress, called by the library. */
void progress_update(void *opaque, uint64_t in_done, uint64_t out_done);
/* The same from the stream loop (bytes handed to / received from the
 * library), used only while the library has not reported by itself. */
void progress_io(uint64_t in_done, uint64_t out_done);
/* The lossy mode's passes (lmz_lossy_opts.progress): each drawn with its
 * name, number, percentage and ETA. */
void progress_stage(void *opaque, const char *stage, uint64_t done, uint64_t total);
/* Erases the meter line (before any other message, and at the end). */
void progress_clear(void);

#endif /* LMZ_CLI_H */
