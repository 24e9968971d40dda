/*
 * tests/tools/mkmodel.c — writes a tiny random llama GGUF (see tinymodel.h).
 *
 *   mkmodel OUT.gguf [seed] [layers]
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/tinymodel.h"

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s OUT.gguf [seed] [layers]\n", argv[0]);
        return 2;
    }
    tinymodel_opts o = tinymodel_defaults();
    uint32_t seed = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1;
    if (argc > 3) o.n_layer = atoi(argv[3]);
    int e = tinymodel_write(argv[1], seed, &o);
    if (e) {
        fprintf(stderr, "mkmodel: cannot write %s (error %d)\n", argv[1], e);
        return 1;
    }
    return 0;
}
