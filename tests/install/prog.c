/* tests/install/prog.c — a program built against an installed lmz with
 * `pkg-config --cflags --libs lmz` (tests/install/install_test.sh): it
 * round-trips a buffer with the embedded default model. */
#include <lmz.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    static const char text[] = "A small text, compressed by a program linked against the installed liblmz.\n";
    size_t err = 0;
    lmz_model *m = lmz_model_load_default(&err);
    if (!m) {
        fprintf(stderr, "prog: cannot load the default model: %s\n", lmz_error_name(err));
        return 1;
    }
    lmz_params p;
    lmz_params_default(&p);
    p.threads = 1;
    size_t cap = lmz_compress_bound(sizeof text);
    unsigned char *c = malloc(cap);
    char back[sizeof text];
    size_t cs = lmz_compress(m, c, cap, text, sizeof text, &p);
    size_t ds = lmz_is_error(cs) ? cs : lmz_decompress(m, back, sizeof back, c, cs, &p);
    int ok = !lmz_is_error(ds) && ds == sizeof text && !memcmp(back, text, ds);
    printf("prog: lmz %s, %zu -> %zu -> %zu bytes: %s\n", lmz_version_string(), sizeof text, cs, ds,
           ok ? "round trip ok" : lmz_error_name(lmz_is_error(cs) ? cs : ds));
    free(c);
    lmz_model_free(m);
    return ok ? 0 : 1;
}
