/*
 * programs/list.c — `lmz -l`: what is inside .lmz files, without decoding.
 *
 * A file is a sequence of frames. For each frame we read its header only
 * (lmz_frame_info(), growing the read until the header fits), print one
 * line, and jump over the payload to the next frame with pread(): memory
 * stays bounded by the largest header, whatever the file size.
 *
 *   Frame Chunks  Compressed    Original   Ratio  Bits/B  Methods       Model                  File
 *       0      3       38494      152089   3.951   2.025  lm,stored     lmz-base@1a2b3c4d      a.lmz
 *
 * With -v, each frame is followed by its settings and one line per chunk.
 * A lossy frame shows its fidelity report.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "list.h"
#include "lmz.h"
#include "lmz_frame_info.h"
#include "messages.h"

#define FIRST_READ (64u << 10)        /* a first guess at the header size */
#define MAX_HEADER ((uint64_t)1 << 28) /* refuse to buffer a header above 256 MiB */

/* ------------------------------------------------------------------------ */
/* Formatting helpers                                                       */
/* ------------------------------------------------------------------------ */

static const char *method_name(unsigned m) {
    switch (m) {
    case LMZ_METHOD_STORED: return "stored";
    case LMZ_METHOD_LM: return "lm";
    case LMZ_METHOD_ZSTD: return "zstd";
    case LMZ_METHOD_XZ: return "xz";
    case LMZ_METHOD_LM_MIX: return "lm+mix";
    case LMZ_METHOD_SEG: return "seg";
    case LMZ_METHOD_UTF16: return "utf16";
    default: return NULL;
    }
}

/* "lm,stored": the distinct methods of a frame, in method order. */
static void methods_used(const lmz_chunk_info_t *c, uint32_t n, char *buf, size_t cap) {
    unsigned seen_mask = 0, other = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (c[i].method < 32) seen_mask |= 1u << c[i].method;
        else other = 1;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned m = 0; m < 32; m++) {
        if (!(seen_mask & (1u << m))) continue;
        const char *name = method_name(m);
        char tmp[16];
        if (!name) snprintf(tmp, sizeof tmp, "#%u", m), name = tmp;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", name);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    if (other && len + 3 < cap) strcat(buf, len ? ",?" : "?");
    if (n == 0) snprintf(buf, cap, "-");
}

/* Ratio (original / compressed) and bits per original byte, or "-". */
static void ratio_bits(uint64_t original, uint64_t compressed, char *ratio, char *bits, size_t cap) {
    if (original && compressed) {
        snprintf(ratio, cap, "%.3f", (double)original / (double)compressed);
        snprintf(bits, cap, "%.3f", 8.0 * (double)compressed / (double)original);
    } else {
        snprintf(ratio, cap, "-");
        snprintf(bits, cap, "-");
    }
}

/* Prints report bytes as text, indented, control characters escaped. */
static void print_report(const uint8_t *p, uint64_t n) {
    printf("        lossy report: ");
    for (uint64_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (ch == '\n') {
            if (i + 1 < n) printf("\n                      ");
        } else if (ch < 0x20 || ch == 0x7f) {
            printf("\\x%02x", ch);
        } else {
            putchar(ch);
        }
    }
    putchar('\n');
}

void list_begin(void) {
    printf("%5s %6s %11s %11s %7s %7s  %-13s %-22s %s\n", "Frame", "Chunks", "Compressed", "Original", "Ratio",
           "Bits/B", "Methods", "Model", "File");
}

void list_end(const list_totals *t, int n_files) {
    if (n_files < 2) return;
    char ratio[32], bits[32];
    ratio_bits(t->original, t->compressed, ratio, bits, sizeof ratio);
    printf("%5" PRIu64 " %6" PRIu64 " %11" PRIu64 " %11" PRIu64 " %7s %7s  %-13s %-22s %" PRIu64 " files\n",
           t->frames, t->chunks, t->compressed, t->original, ratio, bits, "", "(total)", t->files);
}

/* ------------------------------------------------------------------------ */
/* One frame                                                                */
/* ------------------------------------------------------------------------ */

static int pread_full(int fd, void *buf, size_t n, uint64_t off);

/* The parts of a `seg` / `utf16` chunk (its payload read from fd at pos). */
static void print_layout(int fd, uint64_t pos, const lmz_chunk_info_t *c) {
    uint8_t *p = malloc(c->coded_size);
    lmz_chunk_layout_t L;
    if (!p || pread_full(fd, p, c->coded_size, pos + c->offset) != 0) {
        free(p);
        printf("        %6s (parts unreadable)\n", "");
        return;
    }
    size_t r = lmz_chunk_layout(p, c->coded_size, c, &L);
    free(p);
    if (lmz_is_error(r)) {
        printf("        %6s (parts unreadable: %s)\n", "", lmz_error_name(r));
        return;
    }
    const char *m0 = method_name(L.part_method[0]), *m1 = method_name(L.part_method[1]);
    if (c->method == LMZ_METHOD_UTF16)
        printf("        %6s utf16 (%s-endian) as %" PRIu32 " bytes of UTF-8, coded %s to %" PRIu32 "\n", "",
               L.utf16_order ? "big" : "little", L.part_raw[0], m0 ? m0 : "?", L.part_coded[0]);
    else
        printf("        %6s %" PRIu32 " runs (%" PRIu32 " base64): text %" PRIu32 " -> %" PRIu32
               " (%s), binary %" PRIu32 " -> %" PRIu32 " (%s)\n",
               "", L.n_runs, L.base64_runs, L.part_raw[0], L.part_coded[0], m0 ? m0 : "?", L.part_raw[1],
               L.part_coded[1], m1 ? m1 : "?");
}

static void print_frame(const char *path, unsigned index, const lmz_frame_info_t *fi, const uint8_t *hdr,
                        const lmz_chunk_info_t *chunks, int verbose, int fd, uint64_t pos) {
    char methods[64], model[64], ratio[32], bits[32];
    methods_used(chunks, fi->n_chunks, methods, sizeof methods);
    if (fi->flags & LMZ_FRAME_FLAG_LOSSY) strncat(methods, ",lossy", sizeof methods - strlen(methods) - 1);
    if (fi->flags & LMZ_FRAME_FLAG_DICT) strncat(methods, ",dict", sizeof methods - strlen(methods) - 1);
    /* a compact frame records no name: "@" and the first 4 bytes of the SHA-256 */
    snprintf(model, sizeof model, "%.40s@%02x%02x%02x%02x", fi->model_name[0] || fi->id_len < 32 ? fi->model_name : "?",
             fi->model_sha256[0], fi->model_sha256[1], fi->model_sha256[2], fi->model_sha256[3]);
    ratio_bits(fi->original_size, fi->frame_size, ratio, bits, sizeof ratio);
    printf("%5u %6" PRIu32 " %11" PRIu64 " %11" PRIu64 " %7s %7s  %-13s %-22s %s\n", index, fi->n_chunks,
           fi->frame_size, fi->original_size, ratio, bits, methods, model, path);

    if (fi->report_size) {
        /* LMZ_FRAME_REPORT_TEXT or _ZSTD: the library gives the text */
        enum { REPORT_MAX = 1 << 20 };
        char *text = malloc(REPORT_MAX);
        size_t n = text ? lmz_frame_report(hdr, (size_t)fi->header_size, text, REPORT_MAX) : 0;
        if (!text)
            printf("        lossy report: (out of memory)\n");
        else if (lmz_is_error(n))
            printf("        lossy report: (unreadable: %s)\n", lmz_error_name(n));
        else
            print_report((const uint8_t *)text, n);
        free(text);
    }
    if (!verbose) return;

    printf("        version %u, flags 0x%x, window %" PRIu32 ", overlap %" PRIu32 ", chunk size %" PRIu32
           ", header %" PRIu64 " bytes, content checksum %016" PRIx64 "\n",
           fi->version, fi->flags, fi->window, fi->sink_tokens, fi->chunk_size, fi->header_size,
           fi->content_checksum);
    printf("        model %s, sha256 ",
           fi->id_len < 32 && !fi->model_name[0] ? "(compact frame: no name)" : fi->model_name);
    for (unsigned i = 0; i < fi->id_len; i++) printf("%02x", fi->model_sha256[i]);
    printf(fi->id_len < 32 ? "...\n" : "\n");
    if (fi->flags & LMZ_FRAME_FLAG_DICT) {
        printf("        dictionary %s, sha256 ", fi->dict_name[0] ? fi->dict_name : "(name not recorded)");
        for (unsigned i = 0; i < fi->id_len; i++) printf("%02x", fi->dict_sha256[i]);
        printf(fi->id_len < 32 ? "...\n" : "\n");
    }
    if (fi->n_chunks) printf("        %6s %11s %11s %7s  %-8s %s\n", "Chunk", "Raw", "Coded", "Bits/B", "Method", "Checksum");
    for (uint32_t i = 0; i < fi->n_chunks; i++) {
        const lmz_chunk_info_t *c = &chunks[i];
        const char *name = method_name(c->method);
        char unk[16];
        if (!name) snprintf(unk, sizeof unk, "#%u", c->method), name = unk;
        ratio_bits(c->raw_size, c->coded_size, ratio, bits, sizeof ratio);
        printf("        %6" PRIu32 " %11" PRIu32 " %11" PRIu32 " %7s  %-8s %08" PRIx32 "\n", i, c->raw_size,
               c->coded_size, bits, name, c->checksum);
        if (c->method == LMZ_METHOD_SEG || c->method == LMZ_METHOD_UTF16) print_layout(fd, pos, c);
    }
}

/* ------------------------------------------------------------------------ */
/* One file                                                                 */
/* ------------------------------------------------------------------------ */

/* Reads exactly n bytes at offset off. Returns 0, or -1 with errno set
 * (errno 0: the file ended early). */
static int pread_full(int fd, void *buf, size_t n, uint64_t off) {
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = 0;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int list_file(const char *path, int verbose, list_totals *tot) {
    struct stat st;
    if (stat(path, &st) != 0) {
        msg_error(path, "%s", strerror(errno));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        msg_error(path, "is a directory -- ignored");
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        msg_error(path, "not a regular file -- ignored");
        return 1;
    }
    int fd = open(path, O_RDONLY | O_NOCTTY);
    if (fd < 0) {
        msg_error(path, "%s", strerror(errno));
        return 1;
    }
    if (fstat(fd, &st) != 0) {
        msg_error(path, "%s", strerror(errno));
        close(fd);
        return 1;
    }

    const uint64_t fsize = (uint64_t)st.st_size;
    uint64_t pos = 0;
    unsigned index = 0;
    uint8_t *buf = NULL;
    lmz_chunk_info_t *chunks = NULL;
    int rc = 1;
    list_totals t;
    memset(&t, 0, sizeof t);

    if (fsize == 0) {
        msg_error(path, "empty file: not an " LMZ_SUFFIX " file");
        goto out;
    }
    while (pos < fsize) {
        /* Read the header: a first guess, then as much as it says it needs. */
        lmz_frame_info_t fi;
        uint64_t want = fsize - pos < FIRST_READ ? fsize - pos : FIRST_READ;
        size_t r;
        for (;;) {
            uint8_t *nb = realloc(buf, (size_t)want);
            if (!nb) {
                msg_error(path, "out of memory");
                goto out;
            }
            buf = nb;
            if (pread_full(fd, buf, (size_t)want, pos) != 0) {
                msg_error(path, "read error: %s", errno ? strerror(errno) : "file shrank");
                goto out;
            }
            memset(&fi, 0, sizeof fi);
            r = lmz_frame_info(buf, (size_t)want, &fi);
            if (!lmz_is_error(r)) break;
            if (lmz_get_error_code(r) == LMZ_error_src_size && fi.header_size > want) {
                if (fi.header_size > fsize - pos) {
                    msg_error(path, "frame %u at offset %" PRIu64 ": truncated header", index, pos);
                    goto out;
                }
                if (fi.header_size > MAX_HEADER) {
                    msg_error(path, "frame %u at offset %" PRIu64 ": header too large (%" PRIu64 " bytes)", index,
                              pos, fi.header_size);
                    goto out;
                }
                want = fi.header_size;
                continue;
            }
            msg_error(path, "frame %u at offset %" PRIu64 ": %s", index, pos, lmz_error_name(r));
            goto out;
        }

        /* Sanity of what we are about to use to move on. */
        if (fi.frame_size == 0 || fi.report_offset + fi.report_size > want || fi.report_offset > want) {
            msg_error(path, "frame %u at offset %" PRIu64 ": %s", index, pos, "inconsistent header");
            goto out;
        }
        if (fi.frame_size > fsize - pos) {
            msg_error(path, "frame %u at offset %" PRIu64 ": truncated (%" PRIu64 " bytes of %" PRIu64 ")", index,
                      pos, fsize - pos, fi.frame_size);
            goto out;
        }

        /* The chunk table. */
        free(chunks);
        chunks = calloc(fi.n_chunks ? fi.n_chunks : 1, sizeof *chunks);
        if (!chunks) {
            msg_error(path, "out of memory");
            goto out;
        }
        r = lmz_frame_chunks(buf, (size_t)want, chunks, fi.n_chunks);
        if (lmz_is_error(r) || r != fi.n_chunks) {
            msg_error(path, "frame %u at offset %" PRIu64 ": %s", index, pos,
                      lmz_is_error(r) ? lmz_error_name(r) : "inconsistent chunk count");
            goto out;
        }

        print_frame(path, index, &fi, buf, chunks, verbose, fd, pos);
        t.frames++;
        t.chunks += fi.n_chunks;
        t.compressed += fi.frame_size;
        t.original += fi.original_size;
        pos += fi.frame_size;
        index++;
    }
    rc = 0;

out:
    /* Partial counts still tell the truth about what was listed. */
    tot->files++;
    tot->frames += t.frames;
    tot->chunks += t.chunks;
    tot->compressed += t.compressed;
    tot->original += t.original;
    free(chunks);
    free(buf);
    close(fd);
    return rc;
}
