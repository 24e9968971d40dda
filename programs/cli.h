/*
 * programs/cli.h — what every piece of the `lmz` command-line tool shares:
 * names and verbosity levels. Each piece has its own header:
 *
 *   lmz.c        main(): the options into an fio_prefs and a cli_model,
 *                the loop over files
 *   fileio.c     one file: open, temporary output, stream loop, rename,
 *                metadata; the prefs passed in, as zstd's FIO_prefs_t
 *   list.c       `lmz -l`: frame headers, no decoding
 *   rewriter.c   --rewriter: one paragraph through a command
 *   model.c      the model: owned by main(), loaded once, on first need
 *   messages.c   errors, warnings, verbosity-gated display on stderr
 *   progress.c   the progress meter on stderr
 *
 * Calls go one way only:
 *
 *   lmz.c                       -> fileio.c, list.c, model.c, messages.c
 *   fileio.c                    -> rewriter.c, model.c, progress.c, messages.c
 *   list.c, rewriter.c, model.c -> messages.c
 *   messages.c                  -> progress.c (erases the meter before it writes)
 *
 * The tool uses only the public API (lmz.h, lmz_lossy.h, lmz_frame_info.h).
 */
#ifndef LMZ_CLI_H
#define LMZ_CLI_H

#define CLI_NAME "lmz"
#define STDIN_NAME "(stdin)"
#define STDOUT_NAME "(stdout)"
#define LMZ_SUFFIX ".lmz"

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Verbosity levels, as in zstd: -q lowers, -v raises. */
enum {
    V_SILENT = 0, /* -qq: nothing at all */
    V_ERRORS = 1, /* -q: errors only */
    V_NORMAL = 2, /* default: errors, warnings, progress on a terminal */
    V_VERBOSE = 3 /* -v: a summary line per file; -vv and up: more detail */
};

#endif /* LMZ_CLI_H */
