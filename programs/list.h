/*
 * programs/list.h — `lmz -l`: what is inside .lmz files, without decoding.
 */
#ifndef LMZ_CLI_LIST_H
#define LMZ_CLI_LIST_H

#include <stdint.h>

typedef struct {
    uint64_t files, frames, chunks, compressed, original;
} list_totals;

void list_begin(void);
/* One file; verbose (-v): each frame's settings and chunks too. Adds to
 * *tot what was listed. Returns 0, or 1 after reporting an error. */
int list_file(const char *path, int verbose, list_totals *tot);
void list_end(const list_totals *tot, int n_files);

#endif /* LMZ_CLI_LIST_H */
