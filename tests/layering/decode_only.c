/*
 * tests/layering/decode_only.c — a decode-only program, linked against
 * liblmz_decompress.a alone (tests/cmake/layering.cmake). It must link
 * without a single object of lib/compress or lib/lossy; check_symbols.sh
 * then reads its symbols with nm to prove it.
 *
 * Usage: decode_only [model.gguf file.lmz]  (no arguments: just exit 0)
 * Prints the frames' sizes and decodes them to stdout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lmz.h"
#include "lmz_frame_info.h"

int main(int argc, char **argv) {
    if (argc < 3) return 0;
    size_t err = 0;
    char msg[256] = "";
    lmz_model *m = lmz_model_load_file(argv[1], &err, msg, sizeof msg);
    if (!m) {
        fprintf(stderr, "decode_only: %s: %s\n", argv[1], msg);
        return 1;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        lmz_model_free(m);
        return 1;
    }
    lmz_dstream *s = lmz_dstream_create(m, NULL);
    static unsigned char in_buf[1 << 16], out_buf[1 << 16];
    size_t n, r = 0;
    int ok = s != NULL, first = 1;
    while (ok && (n = fread(in_buf, 1, sizeof in_buf, f)) > 0) {
        lmz_frame_info_t fi;
        if (first && !lmz_is_error(lmz_frame_info(in_buf, n, &fi)))
            fprintf(stderr, "first frame: %llu bytes -> %llu bytes\n", (unsigned long long)fi.frame_size,
                    (unsigned long long)fi.original_size);
        first = 0;
        lmz_in_buffer in = {in_buf, n, 0};
        while (ok && in.pos < in.size) {
            lmz_out_buffer out = {out_buf, sizeof out_buf, 0};
            r = lmz_decompress_stream(s, &out, &in);
            if (lmz_is_error(r)) {
                fprintf(stderr, "decode_only: %s\n", lmz_dstream_message(s));
                ok = 0;
            }
            fwrite(out_buf, 1, out.pos, stdout);
        }
    }
    lmz_dstream_free(s);
    fclose(f);
    lmz_model_free(m);
    return ok && r == 0 ? 0 : 1;
}
