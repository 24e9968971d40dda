/*
 * bench/tokcount.c — tokens per chunk of a file, as lmz's model sees them
 * (for bench/roofline's bounds: bytes per token are measured, not assumed).
 *
 *   lmz_tokcount [--model GGUF] [--sizes N1,N2,...] FILE
 *
 * The file is cut as the compressor cuts text by default (lib/compress/
 * chunk_cut.h, 64 KiB chunks ending after a line break where possible), or at
 * the given chunk sizes (e.g. the Raw column of `lmz -lv FILE.lmz`). Each
 * chunk is tokenized on its own (lib/model/tokenizer.h); the BOS each chunk
 * starts with is not counted. Prints one line:
 *   bytes B chunks C tokens T per_chunk t1,t2,...
 * Model: --model, else $LMZ_MODEL, else the default model of the build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/chunk_cut.h"
#include "model/gguf.h"
#include "model/tokenizer.h"

#ifndef LMZ_TOKCOUNT_MODEL
#define LMZ_TOKCOUNT_MODEL "models/lmz-base.gguf"
#endif
#define CHUNK (64u << 10)
#define MAX_CHUNKS 4096

static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, len = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        size_t r = fread(b + len, 1, cap - len, f);
        len += r;
        if (len < cap) break;
        uint8_t *nb = realloc(b, cap *= 2);
        if (!nb) free(b);
        b = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return NULL;
    }
    *n = len;
    return b;
}

int main(int argc, char **argv) {
    const char *model = getenv("LMZ_MODEL"), *path = NULL, *sizes = NULL;
    if (!model || !*model) model = LMZ_TOKCOUNT_MODEL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) sizes = argv[++i];
        else if (!path && argv[i][0] != '-') path = argv[i];
        else {
            fprintf(stderr, "usage: lmz_tokcount [--model GGUF] [--sizes N1,N2,...] FILE\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: lmz_tokcount [--model GGUF] [--sizes N1,N2,...] FILE\n");
        return 2;
    }
    lmz_msg msg;
    memset(&msg, 0, sizeof msg);
    lmz_mmap mm;
    if (lmz_mmap_open(&mm, model, &msg)) {
        fprintf(stderr, "lmz_tokcount: %s: %s\n", model, msg.text);
        return 1;
    }
    gguf_file g;
    lmz_tokenizer *tok = NULL;
    if (gguf_open_buffer(&g, mm.addr, mm.size, &msg) || tok_init(&tok, &g, &msg)) {
        fprintf(stderr, "lmz_tokcount: %s: %s\n", model, msg.text);
        return 1;
    }
    size_t n = 0;
    uint8_t *buf = read_all(path, &n);
    if (!buf) {
        fprintf(stderr, "lmz_tokcount: cannot read %s\n", path);
        return 1;
    }
    static size_t cut[MAX_CHUNKS], counts[MAX_CHUNKS];
    size_t nc = 0, total = 0;
    if (sizes) {
        const char *p = sizes;
        while (*p && nc < MAX_CHUNKS) {
            char *e;
            unsigned long long v = strtoull(p, &e, 10);
            if (e == p) break;
            cut[nc++] = (size_t)v;
            total += (size_t)v;
            p = *e == ',' ? e + 1 : e;
        }
        if (*p || total != n) {
            fprintf(stderr, "lmz_tokcount: --sizes must add up to the file's %zu bytes (got %zu)\n", n, total);
            return 1;
        }
    } else {
        for (size_t at = 0; at < n && nc < MAX_CHUNKS; at += cut[nc - 1]) cut[nc++] = chunk_cut(buf + at, n - at, CHUNK);
    }
    size_t at = 0, tokens = 0;
    for (size_t c = 0; c < nc; c++) {
        int32_t *ids = NULL;
        size_t k = 0;
        if (tok_encode(tok, buf + at, cut[c], &ids, &k)) {
            fprintf(stderr, "lmz_tokcount: out of memory\n");
            return 1;
        }
        free(ids);
        counts[c] = k;
        tokens += k;
        at += cut[c];
    }
    printf("bytes %zu chunks %zu tokens %zu per_chunk ", n, nc, tokens);
    for (size_t c = 0; c < nc; c++) printf("%s%zu", c ? "," : "", counts[c]);
    printf("\n");
    free(buf);
    tok_free(tok);
    gguf_close(&g);
    lmz_mmap_close(&mm);
    return 0;
}
