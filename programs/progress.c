/*
 * programs/progress.c — the progress meter of `lmz`.
 *
 * One line on stderr, redrawn in place with '\r', only when stderr is a
 * terminal and neither -q nor --no-progress was given:
 *
 *     lmz: alice29.txt  42%  64.0 KB / 152.1 KB => 16.2 KB  5.1 KB/s  ETA 0:00:17
 *
 * The library calls progress_update() (lmz_params.progress) from the calling
 * thread as it goes; the stream loop in fileio.c calls progress_io() after
 * each step, which counts only until the library reports by itself. Redraws are
 * limited to ~5 per second: a terminal is slow and so is the model.
 *
 * The lossy mode makes several passes over the text; each is shown with its
 * own percentage, rate and ETA (progress_stage()):
 *
 *     lmz: news  lossy pass 1 (scoring)  42%  158.3 KB / 377.1 KB  1.0 KB/s  ETA 0:03:39
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

#define REDRAW_INTERVAL 0.2 /* seconds between redraws */

/* ------------------------------------------------------------------------ */
/* State of the meter of the file being processed                           */
/* ------------------------------------------------------------------------ */

static struct {
    int active;          /* a meter is running and may draw */
    const char *name;
    uint64_t total;      /* input bytes, 0 if unknown (a pipe) */
    uint64_t in_done, out_done;
    double t_start, t_last_draw;
    int drawn_width;     /* characters on the line now, to erase them */
    int lib_reports;     /* the library has called progress_update() */
    const char *stage;   /* lossy mode: the pass under way, else NULL */
    int pass;            /* ... and its number */
} P;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(const char *name, uint64_t total, int enabled) {
    memset(&P, 0, sizeof P);
    P.active = enabled && isatty(STDERR_FILENO);
    P.name = name;
    P.total = total;
    P.t_start = P.t_last_draw = now_seconds();
}

/* ------------------------------------------------------------------------ */
/* Drawing                                                                  */
/* ------------------------------------------------------------------------ */

/* "812 B", "95.3 KB", "12.35 MB", "1.23 GB" (powers of 1000, like the rates). */
static const char *human(uint64_t v, char *buf, size_t cap) {
    if (v < 1000) snprintf(buf, cap, "%u B", (unsigned)v);
    else if (v < 1000000) snprintf(buf, cap, "%.1f KB", (double)v / 1e3);
    else if (v < 1000000000) snprintf(buf, cap, "%.2f MB", (double)v / 1e6);
    else snprintf(buf, cap, "%.2f GB", (double)v / 1e9);
    return buf;
}

static void draw(double t) {
    char line[512], a[32], b[32], c[32];
    double elapsed = t - P.t_start;
    double rate = elapsed > 0 ? (double)P.in_done / elapsed : 0; /* input bytes/s */
    int n;

    if (P.total) {
        double pct = 100.0 * (double)P.in_done / (double)P.total;
        if (pct > 100) pct = 100;
        if (P.stage) /* a lossy pass: no output count, it is not the file's */
            n = snprintf(line, sizeof line, CLI_NAME ": %s  lossy pass %d (%s)  %3.0f%%  %s / %s  %.1f KB/s", P.name,
                         P.pass, P.stage, pct, human(P.in_done, a, sizeof a), human(P.total, b, sizeof b), rate / 1e3);
        else
            n = snprintf(line, sizeof line, CLI_NAME ": %s  %3.0f%%  %s / %s => %s  %.1f KB/s", P.name, pct,
                         human(P.in_done, a, sizeof a), human(P.total, b, sizeof b), human(P.out_done, c, sizeof c),
                         rate / 1e3);
        if (rate > 0 && P.in_done < P.total && n > 0 && (size_t)n < sizeof line) {
            double eta = (double)(P.total - P.in_done) / rate;
            unsigned long s = eta > 359999 ? 359999ul : (unsigned long)eta;
            n += snprintf(line + n, sizeof line - (size_t)n, "  ETA %lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
        }
    } else {
        n = snprintf(line, sizeof line, CLI_NAME ": %s  %s => %s  %.1f KB/s", P.name, human(P.in_done, a, sizeof a),
                     human(P.out_done, c, sizeof c), rate / 1e3);
    }
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    /* Pad with spaces over the remains of a longer previous line. */
    fprintf(stderr, "\r%s%*s", line, P.drawn_width > n ? P.drawn_width - n : 0, "");
    fflush(stderr);
    if (n > P.drawn_width) P.drawn_width = n;
}

static void record(uint64_t in_done, uint64_t out_done) {
    if (in_done > P.in_done) P.in_done = in_done;
    if (out_done > P.out_done) P.out_done = out_done;
    if (!P.active) return;
    double t = now_seconds();
    if (t - P.t_last_draw < REDRAW_INTERVAL) return;
    P.t_last_draw = t;
    draw(t);
}

/* The library knows how far the coding really is (it buffers whole chunks
 * before coding them): once it has reported, the loop's counts are ignored. */
void progress_update(void *opaque, uint64_t in_done, uint64_t out_done) {
    (void)opaque;
    P.lib_reports = 1;
    record(in_done, out_done);
}

/* A pass starts when the stage changes or its count goes back: the rate
 * and ETA are those of the pass. */
void progress_stage(void *opaque, const char *stage, uint64_t done, uint64_t total) {
    (void)opaque;
    if (!P.stage || strcmp(stage, P.stage) != 0 || done < P.in_done || total != P.total) {
        P.stage = stage;
        P.pass++;
        P.total = total;
        P.in_done = P.out_done = 0;
        P.t_start = now_seconds();
    }
    P.lib_reports = 1;
    record(done, 0);
}

void progress_io(uint64_t in_done, uint64_t out_done) {
    if (!P.lib_reports) record(in_done, out_done);
}

void progress_clear(void) {
    if (P.active && P.drawn_width > 0) {
        fprintf(stderr, "\r%*s\r", P.drawn_width, "");
        fflush(stderr);
    }
    P.drawn_width = 0;
}
