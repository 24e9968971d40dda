/*
 * programs/rewriter.h — `--rewriter CMD` (doc/lossy.md, "External rewriter").
 */
#ifndef LMZ_CLI_REWRITER_H
#define LMZ_CLI_REWRITER_H

#include <stddef.h>

/* lmz_lossy_rewrite_fn for --rewriter: runs `/bin/sh -c CMD` (opaque is the
 * command) with the paragraph on its standard input; its standard output is
 * the rewrite. Returns 0 with *out malloc'd, or 1 (command failed, exited
 * non-zero, or wrote more than 1 MiB): the paragraph is then kept. */
int cli_rewrite(void *opaque, const char *para, size_t n, char **out, size_t *out_n);

#endif /* LMZ_CLI_REWRITER_H */
