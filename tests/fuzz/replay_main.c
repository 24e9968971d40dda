/*
 * tests/fuzz/replay_main.c — main() for the fuzz targets built as plain
 * programs: runs every file named on the command line, or every file of a
 * directory named (sorted by name, not recursive), once through
 * LLVMFuzzerTestOneInput(). That is how the checked-in seed corpus
 * tests/fuzz/corpus/<target>/ — and any crash artifact a fuzzing run saved —
 * becomes a regression test (ctest -L fuzz). A target that breaks an
 * invariant aborts; a sanitizer reports memory errors.
 *
 * Exit status: 0 when every input ran, 1 when an input could not be read or
 * no input was found (an empty corpus would make the test vacuous).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_common.h"

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) break;
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n < cap) break;
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    /* an exact-size copy, so that ASan sees any read past the input */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(b);
        return -1;
    }
    memcpy(exact, b, n);
    free(b);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    size_t runs = 0;
    int errors = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[a]);
            errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[a])) errors++;
            else runs++;
            continue;
        }
        DIR *d = opendir(argv[a]);
        if (!d) {
            errors++;
            continue;
        }
        char **names = NULL;
        size_t nn = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            if (nn == cap) {
                cap = cap ? cap * 2 : 64;
                char **t = realloc(names, cap * sizeof *t);
                if (!t) break;
                names = t;
            }
            size_t l = strlen(argv[a]) + strlen(e->d_name) + 2;
            names[nn] = malloc(l);
            if (!names[nn]) break;
            snprintf(names[nn], l, "%s/%s", argv[a], e->d_name);
            nn++;
        }
        closedir(d);
        if (nn) qsort(names, nn, sizeof *names, cmp_str);
        for (size_t i = 0; i < nn; i++) {
            if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
                if (run_file(names[i])) errors++;
                else runs++;
            }
            free(names[i]);
        }
        free(names);
    }
    printf("replay: %zu inputs ran, %d errors\n", runs, errors);
    return errors || runs == 0 ? 1 : 0;
}
