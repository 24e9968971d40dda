/*
 * programs/progress.h — the progress meter of `lmz` (one line on stderr).
 * A leaf: it calls no other piece of the tool.
 */
#ifndef LMZ_CLI_PROGRESS_H
#define LMZ_CLI_PROGRESS_H

#include <stdint.h>

/* Starts a meter for one file; total = input bytes if known, else 0. Draws
 * nothing unless `enabled` (no -q, no --no-progress) and stderr is a
 * terminal. */
void progress_start(const char *name, uint64_t total, int enabled);
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

#endif /* LMZ_CLI_PROGRESS_H */
