/*
 * programs/cli.h — what every piece of the `lmz` command-line tool shares:
 * names and verbosity levels. Each piece has its own header for its
 * functions; the calls go one way only:
 *
 *   lmz.c        main(): options into an fio_prefs, the loop over files
 *     ├─► list.c       `lmz -l`: frame headers, no decoding
 *     ├─► fileio.c     one file: open, temporary output, stream loop,
 *     │     │          rename, metadata (the prefs passed in, like zstd's
 *     │     │          FIO_prefs_t)
 *     │     ├─► rewriter.c   --rewriter: one paragraph through a command
 *     │     └─► progress.c   the progress meter on stderr
 *     ├─► model.c      the model: loaded once, on first need, owned by main
 *     └─► messages.c   errors, warnings, verbosity-gated display (stderr);
 *                      used by all of the above; it only clears the meter
 *                      (progress.c) before it writes
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
