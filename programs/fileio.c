/*
 * programs/fileio.c — one input file through `lmz`: compress, decompress or
 * test, with bounded memory and without ever leaving a partial output.
 *
 * The life of one file:
 *
 *   open_source()       "-" is stdin; directories and other non-regular files
 *                       are skipped with a message; compressed data is never
 *                       read from a terminal.
 *   choose_dest()       FILE -> FILE.lmz, FILE.lmz -> FILE, -o, -c or stdout.
 *   open_dest()         refuses to overwrite without -f; writes into a
 *                       temporary `.NAME.XXXXXX` (mkstemp) in the destination
 *                       directory, so a crash, an error or a signal never
 *                       leaves a partial file under the final name.
 *   compress_loop()     1 MiB in, 1 MiB out, through lmz_cstream / lmz_dstream;
 *   decompress_loop()   the library keeps what it needs between calls.
 *   finish_dest()       copies mode, owner and times from the source (like
 *                       gzip), fsyncs, closes, renames onto the final name
 *                       (or links it, so that a file that appeared meanwhile
 *                       is not overwritten without -f).
 *   --rm                removes the source only after all of that succeeded.
 *
 * Options come in an fio_prefs (fileio.h) that main() fills and passes to
 * every call; the model comes through the cli_model main() owns, loaded
 * when the first file gets past open_source() and choose_dest().
 *
 * Signals: SIGINT, SIGTERM and SIGHUP remove the temporary (the only state
 * the handler touches: a path and a flag) and then terminate the process
 * with the same signal. SIGXFSZ is ignored so that a file size limit
 * (`ulimit -f`) becomes an ordinary write error (EFBIG), like a full disk.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "lmz_frame_info.h"
#include "lmz_lossy.h"
#include "messages.h"
#include "progress.h"
#include "rewriter.h"

#define IO_BUF_SIZE (1u << 20) /* input and output buffers, 1 MiB each */

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* ------------------------------------------------------------------------ */
/* Preferences                                                              */
/* ------------------------------------------------------------------------ */

void fio_prefs_default(fio_prefs *prefs) {
    memset(prefs, 0, sizeof *prefs);
    prefs->mode = MODE_COMPRESS;
    prefs->progress = 1;
    lmz_params_default(&prefs->params);
    prefs->lossy_verify = -1;
}

/* ------------------------------------------------------------------------ */
/* Signals and the temporary output file                                    */
/* ------------------------------------------------------------------------ */

/* The temporary being written, if any. Set with the signals blocked, read
 * by the handler: unlink() is async-signal-safe. */
static char g_tmp_path[PATH_MAX + 32];
static volatile sig_atomic_t g_tmp_armed;

static const int k_fatal_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_FATAL_SIGNALS (sizeof k_fatal_signals / sizeof k_fatal_signals[0])

static void on_fatal_signal(int sig) {
    if (g_tmp_armed) unlink(g_tmp_path);
    /* SA_RESETHAND restored the default action: die of the same signal
     * (delivered as soon as this handler returns), so that the shell sees
     * "killed by SIGINT" and stops a script. */
    raise(sig);
}

void fio_install_signals(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FATAL_SIGNALS; i++) sigaddset(&sa.sa_mask, k_fatal_signals[i]);
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < N_FATAL_SIGNALS; i++) {
        /* A signal ignored on entry stays ignored (nohup, background jobs). */
        if (sigaction(k_fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(k_fatal_signals[i], &sa, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}

static void block_fatal_signals(sigset_t *old) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < N_FATAL_SIGNALS; i++) sigaddset(&set, k_fatal_signals[i]);
    pthread_sigmask(SIG_BLOCK, &set, old); /* the library may run threads */
}

static void restore_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

/* ------------------------------------------------------------------------ */
/* One job: an input, an output, the byte counts                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    const fio_prefs *prefs;
    const lmz_model *model;
    /* input */
    const char *src_name; /* for messages */
    int in_fd;
    int src_is_stdin;
    int src_is_file;      /* a named regular file: metadata source, --rm */
    struct stat src_st;
    /* output */
    const char *dst_name; /* for messages; NULL in test mode */
    char *dst_path;       /* final path (owned); NULL for stdout / test */
    int out_fd;           /* -1 in test mode */
    int dst_is_stdout;
    int dst_direct;       /* an existing non-regular file (/dev/null, a FIFO): written in place */
    int dst_tmp;          /* writing to g_tmp_path, renamed at the end */
    const lmz_dict *dict; /* -D's dictionary, or NULL */
    cli_dict *cd;         /* for $LMZ_DICT_PATH */
    /* counts */
    uint64_t bytes_in, bytes_out;
} job;

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ------------------------------------------------------------------------ */
/* Source                                                                   */
/* ------------------------------------------------------------------------ */

static int open_source(job *J, const char *src) {
    int compressed_in = J->prefs->mode != MODE_COMPRESS;

    if (strcmp(src, "-") == 0) {
        J->src_name = STDIN_NAME;
        J->src_is_stdin = 1;
        J->in_fd = STDIN_FILENO;
        if (isatty(STDIN_FILENO) && (compressed_in || !J->prefs->force)) {
            msg_error(STDIN_NAME, compressed_in ? "refusing to read compressed data from a terminal"
                                                : "refusing to read from a terminal (use -f to force)");
            return 1;
        }
        if (fstat(STDIN_FILENO, &J->src_st) != 0) memset(&J->src_st, 0, sizeof J->src_st);
        return 0;
    }

    J->src_name = src;
    struct stat st;
    if (stat(src, &st) != 0) {
        msg_error(src, "%s", strerror(errno));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        msg_error(src, "is a directory -- ignored");
        return 1;
    }
    if (!S_ISREG(st.st_mode) && !J->prefs->force) {
        msg_error(src, "not a regular file -- ignored (use -f to force)");
        return 1;
    }
    J->in_fd = open(src, O_RDONLY | O_NOCTTY);
    if (J->in_fd < 0) {
        msg_error(src, "%s", strerror(errno));
        return 1;
    }
    if (fstat(J->in_fd, &J->src_st) != 0) {
        msg_error(src, "%s", strerror(errno));
        return 1;
    }
    if (S_ISDIR(J->src_st.st_mode)) { /* replaced since stat() */
        msg_error(src, "is a directory -- ignored");
        return 1;
    }
    J->src_is_file = S_ISREG(J->src_st.st_mode);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Destination                                                              */
/* ------------------------------------------------------------------------ */

static int choose_dest(job *J, const char *src) {
    if (J->prefs->mode == MODE_TEST) return 0;

    if (J->prefs->to_stdout || (J->src_is_stdin && !J->prefs->out_path)) {
        J->dst_is_stdout = 1;
        J->dst_name = STDOUT_NAME;
        J->out_fd = STDOUT_FILENO;
        if (J->prefs->mode == MODE_COMPRESS && isatty(STDOUT_FILENO) && !J->prefs->force) {
            msg_error(STDOUT_NAME, "refusing to write compressed data to a terminal (use -f to force)");
            return 1;
        }
        return 0;
    }

    size_t n = strlen(src);
    if (J->prefs->out_path) {
        J->dst_path = strdup(J->prefs->out_path);
    } else if (J->prefs->mode == MODE_COMPRESS) {
        if (has_suffix(src, LMZ_SUFFIX)) {
            msg_error(src, "already has " LMZ_SUFFIX " suffix -- ignored");
            return 1;
        }
        J->dst_path = malloc(n + sizeof LMZ_SUFFIX);
        if (J->dst_path) memcpy(J->dst_path, src, n), memcpy(J->dst_path + n, LMZ_SUFFIX, sizeof LMZ_SUFFIX);
    } else {
        size_t k = strlen(LMZ_SUFFIX);
        if (!has_suffix(src, LMZ_SUFFIX) || n == k || src[n - k - 1] == '/') {
            msg_error(src, "unknown suffix (expected " LMZ_SUFFIX ") -- ignored; use -o or -c");
            return 1;
        }
        J->dst_path = strndup(src, n - k);
    }
    if (!J->dst_path) {
        msg_error(src, "out of memory");
        return 1;
    }
    J->dst_name = J->dst_path;
    return 0;
}

/* Creates the temporary `.BASE.XXXXXX` next to the final path. */
static int create_temporary(job *J) {
    const char *path = J->dst_path;
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0; /* keeps the '/' */
    const char *base = path + dir_len;
    if (dir_len + 1 + strlen(base) + 8 > PATH_MAX) {
        msg_error(path, "%s", strerror(ENAMETOOLONG));
        return 1;
    }
    sigset_t old;
    block_fatal_signals(&old); /* no window where the file exists unarmed */
    memcpy(g_tmp_path, path, dir_len);
    snprintf(g_tmp_path + dir_len, sizeof g_tmp_path - dir_len, ".%s.XXXXXX", base);
    int fd = mkstemp(g_tmp_path);
    if (fd >= 0) g_tmp_armed = 1;
    int e = errno;
    restore_signals(&old);
    if (fd < 0) {
        msg_error(path, "cannot create output: %s", strerror(e));
        return 1;
    }
    J->out_fd = fd;
    J->dst_tmp = 1;
    return 0;
}

static int open_dest(job *J) {
    if (J->prefs->mode == MODE_TEST || J->dst_is_stdout) return 0;

    struct stat st;
    if (stat(J->dst_path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            msg_error(J->dst_path, "is a directory");
            return 1;
        }
        if (J->src_is_file && st.st_dev == J->src_st.st_dev && st.st_ino == J->src_st.st_ino) {
            msg_error(J->dst_path, "source and destination are the same file");
            return 1;
        }
        if (!S_ISREG(st.st_mode)) {
            /* /dev/null, a FIFO, a terminal: write into it, never replace it. */
            J->out_fd = open(J->dst_path, O_WRONLY | O_NOCTTY);
            if (J->out_fd < 0) {
                msg_error(J->dst_path, "%s", strerror(errno));
                return 1;
            }
            if (J->prefs->mode == MODE_COMPRESS && isatty(J->out_fd) && !J->prefs->force) {
                msg_error(J->dst_path, "refusing to write compressed data to a terminal (use -f to force)");
                return 1;
            }
            J->dst_direct = 1;
            return 0;
        }
        if (!J->prefs->force) {
            msg_error(J->dst_path, "already exists; use -f to overwrite");
            return 1;
        }
    } else if (errno != ENOENT) {
        msg_error(J->dst_path, "%s", strerror(errno));
        return 1;
    }
    return create_temporary(J);
}

/* Removes the temporary after a failure. */
static void discard_dest(job *J) {
    if (!J->dst_tmp) return;
    if (J->out_fd >= 0) close(J->out_fd);
    J->out_fd = -1;
    unlink(g_tmp_path);
    g_tmp_armed = 0;
    J->dst_tmp = 0;
}

/* Metadata, fsync, close, rename: the output becomes visible only here. */
static int finish_dest(job *J) {
    if (J->prefs->mode == MODE_TEST || J->dst_is_stdout) return 0;
    if (J->dst_direct) {
        int r = close(J->out_fd);
        J->out_fd = -1;
        if (r != 0) {
            msg_error(J->dst_path, "write error: %s", strerror(errno));
            return 1;
        }
        return 0;
    }

    int fd = J->out_fd;
    if (J->src_is_file) {
        /* Like gzip: owner (when allowed), permissions, access and
         * modification times of the source. Failures here are not fatal. */
        if (fchown(fd, J->src_st.st_uid, J->src_st.st_gid) != 0) {
            /* not root: keep our own ids */
        }
        fchmod(fd, J->src_st.st_mode & 0777);
        struct timespec ts[2] = {J->src_st.st_atim, J->src_st.st_mtim};
        futimens(fd, ts);
    } else {
        fchmod(fd, 0666 & ~J->prefs->umask_bits); /* what a plain creat() gives */
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        msg_error(J->dst_path, "write error: %s", strerror(errno));
        return 1;
    }
    J->out_fd = -1;
    if (close(fd) != 0) {
        msg_error(J->dst_path, "write error: %s", strerror(errno));
        return 1;
    }

    /* Without -f, link() fails with EEXIST if the name appeared meanwhile,
     * where rename() would silently replace it. Filesystems without hard
     * links fall back to rename(). */
    if (!J->prefs->force) {
        if (link(g_tmp_path, J->dst_path) == 0) {
            unlink(g_tmp_path);
            g_tmp_armed = 0;
            J->dst_tmp = 0;
            return 0;
        }
        if (errno == EEXIST) {
            msg_error(J->dst_path, "already exists; use -f to overwrite");
            return 1;
        }
    }
    if (rename(g_tmp_path, J->dst_path) != 0) {
        msg_error(J->dst_path, "cannot rename output: %s", strerror(errno));
        return 1;
    }
    g_tmp_armed = 0;
    J->dst_tmp = 0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Raw I/O                                                                  */
/* ------------------------------------------------------------------------ */

static ssize_t read_some(int fd, void *buf, size_t cap) {
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR) return n;
    }
}

static int write_out(job *J, const void *buf, size_t n) {
    J->bytes_out += n;
    if (J->out_fd < 0) return 0; /* -t: decode, write nothing */
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(J->out_fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            msg_error(J->dst_name, "write error: %s", strerror(errno));
            return 1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_error(job *J) {
    msg_error(J->src_name, "read error: %s", strerror(errno));
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Stream loops                                                             */
/* ------------------------------------------------------------------------ */

static lmz_params stream_params(const job *J) {
    lmz_params p = J->prefs->params;
    p.progress = progress_update;
    p.progress_opaque = NULL;
    p.dict = J->dict;
    p.dict_find = cli_dict_find;
    p.dict_find_opaque = J->cd;
    return p;
}

static int compress_loop(job *J, uint8_t *ibuf, uint8_t *obuf) {
    lmz_params p = stream_params(J);
    lmz_cstream *cs = lmz_cstream_create(J->model, &p);
    if (!cs) {
        msg_error(J->src_name, "cannot create a compression context (out of memory or invalid parameters)");
        return 1;
    }
    int rc = 1, eof = 0;
    while (!eof) {
        ssize_t n = read_some(J->in_fd, ibuf, IO_BUF_SIZE);
        if (n < 0) {
            read_error(J);
            goto out;
        }
        eof = n == 0;
        J->bytes_in += (uint64_t)n;
        lmz_in_buffer in = {ibuf, (size_t)n, 0};
        lmz_end_op op = eof ? LMZ_e_end : LMZ_e_continue;
        /* Feed all of this input (or, at the end, flush everything). */
        for (;;) {
            lmz_out_buffer out = {obuf, IO_BUF_SIZE, 0};
            size_t r = lmz_compress_stream(cs, &out, &in, op);
            if (lmz_is_error(r)) {
                msg_lib_error(J->src_name, r, lmz_cstream_message(cs));
                goto out;
            }
            if (write_out(J, obuf, out.pos)) goto out;
            progress_io(J->bytes_in - (in.size - in.pos), J->bytes_out);
            if (op == LMZ_e_end ? r == 0 : in.pos == in.size) break;
        }
    }
    rc = 0;
out:
    lmz_cstream_free(cs);
    return rc;
}

/* --lossy=N: the lossy mode needs the whole text at once (it scores, edits
 * and verifies the document as a whole), so the input is read into memory
 * (at most LMZ_LOSSY_MAX_INPUT bytes), then the frames are written through
 * the same temporary-file path as everything else. */
static void lossy_note(void *opaque, const char *line) {
    (void)opaque;
    msg_display(V_VERBOSE + 1, "%s\n", line);
}

static int lossy_loop(job *J, uint8_t *ibuf) {
    size_t cap = 1u << 20, len = 0;
    char *text = malloc(cap);
    uint8_t *frames = NULL;
    int rc = 1;
    if (!text) {
        msg_error(J->src_name, "out of memory");
        return 1;
    }
    for (;;) {
        ssize_t n = read_some(J->in_fd, ibuf, IO_BUF_SIZE);
        if (n < 0) {
            read_error(J);
            goto out;
        }
        if (n == 0) break;
        if (len + (size_t)n > LMZ_LOSSY_MAX_INPUT) {
            msg_error(J->src_name, "input too large for --lossy (limit %u bytes)", LMZ_LOSSY_MAX_INPUT);
            goto out;
        }
        if (len + (size_t)n > cap) {
            while (cap < len + (size_t)n) cap *= 2;
            char *t = realloc(text, cap);
            if (!t) {
                msg_error(J->src_name, "out of memory");
                goto out;
            }
            text = t;
        }
        memcpy(text + len, ibuf, (size_t)n);
        len += (size_t)n;
        J->bytes_in += (uint64_t)n;
        progress_io(J->bytes_in, 0);
    }
    lmz_lossy_opts o;
    lmz_lossy_opts_default(&o);
    o.level = J->prefs->lossy_level;
    o.min_fidelity = J->prefs->min_fidelity;
    o.verify = J->prefs->lossy_verify;
    o.lossless_check = !J->prefs->lossy_always;
    if (J->prefs->rewriter) {
        o.rewrite = cli_rewrite;
        o.rewrite_opaque = (void *)J->prefs->rewriter;
    }
    o.note = lossy_note;
    o.progress = progress_stage; /* one meter per pass (the coder's own reports come through it) */
    lmz_params p = J->prefs->params;
    lmz_lossy_stats st;
    char msg[256] = "";
    size_t r = lmz_lossy_compress(J->model, &p, &o, text, len, &frames, &st, msg, sizeof msg);
    if (lmz_is_error(r)) {
        msg_lib_error(J->src_name, r, msg);
        goto out;
    }
    if (write_out(J, frames, r)) goto out;
    if (st.lossless && st.lossy_bytes) /* levels 1-3: the edits did not pay for their report */
        msg_display(V_NORMAL, "%s : lossy level %d saves nothing here: written losslessly (%zu bytes; the lossy version: %llu)\n",
                J->src_name, st.level, r, (unsigned long long)st.lossy_bytes);
    else if (st.lossless)
        msg_display(V_NORMAL, "%s : lossy level %d changes nothing here: written losslessly\n", J->src_name, st.level);
    else
        msg_display(V_VERBOSE,
                "%s : lossy level %d: protected recall %.4f, chrF %.4f, similarity %.4f, %llu/%llu sentences kept%s\n",
                J->src_name, st.level, st.prot_total ? (double)st.prot_kept / (double)st.prot_total : 1.0, st.chrf_kept,
                st.sem_mean, (unsigned long long)st.units_kept, (unsigned long long)st.units,
                st.verified ? ", verified by decoding" : ", not decoded");
    if (st.level >= 2 && st.text_bits > 0)
        msg_display(V_VERBOSE, "%s : lossy level %d: substitution headroom %.2f %% (the safe alternatives could save at most "
                           "%.0f of the model's %.0f bits; candidate words carry %.1f %%; any alternative %.1f %%)\n",
                J->src_name, st.level, 100 * st.headroom_bits / st.text_bits, st.headroom_bits, st.text_bits,
                100 * st.cand_bits / st.text_bits, 100 * st.free_bits / st.text_bits);
    rc = 0;
out:
    free(text);
    free(frames);
    return rc;
}

/* Decompression and -t. Frames may follow each other (cat a.lmz b.lmz);
 * the input must end exactly at the end of a frame. */
static int decompress_loop(job *J, uint8_t *ibuf, uint8_t *obuf) {
    lmz_params p = stream_params(J);
    lmz_dstream *ds = lmz_dstream_create(J->model, &p);
    if (!ds) {
        msg_error(J->src_name, "cannot create a decompression context (out of memory or invalid parameters)");
        return 1;
    }
    int rc = 1;
    size_t last = 1; /* last return: 0 = at a frame boundary */
    for (;;) {
        ssize_t n = read_some(J->in_fd, ibuf, IO_BUF_SIZE);
        if (n < 0) {
            read_error(J);
            goto out;
        }
        if (n == 0) break;
        J->bytes_in += (uint64_t)n;
        lmz_in_buffer in = {ibuf, (size_t)n, 0};
        while (in.pos < in.size) {
            lmz_out_buffer out = {obuf, IO_BUF_SIZE, 0};
            last = lmz_decompress_stream(ds, &out, &in);
            if (lmz_is_error(last)) {
                msg_lib_error(J->src_name, last, lmz_dstream_message(ds));
                if (lmz_get_error_code(last) == LMZ_error_dict_mismatch)
                    msg_display(V_NORMAL, "lmz: %s: give the dictionary with -D DICT, or put it in a directory "
                                          "listed in LMZ_DICT_PATH\n", J->src_name);
                goto out;
            }
            if (write_out(J, obuf, out.pos)) goto out;
            progress_io(J->bytes_in - (in.size - in.pos), J->bytes_out);
        }
    }
    /* End of input: drain what the decoder still holds. */
    for (;;) {
        lmz_in_buffer in = {ibuf, 0, 0};
        lmz_out_buffer out = {obuf, IO_BUF_SIZE, 0};
        last = lmz_decompress_stream(ds, &out, &in);
        if (lmz_is_error(last)) {
            msg_lib_error(J->src_name, last, lmz_dstream_message(ds));
            goto out;
        }
        if (write_out(J, obuf, out.pos)) goto out;
        if (out.pos == 0) break;
    }
    if (J->bytes_in == 0) { /* like zstd: no frame at all is an error */
        msg_error(J->src_name, "unexpected end of file (empty input)");
        goto out;
    }
    if (last != 0) {
        msg_error(J->src_name, "unexpected end of file (truncated input)");
        goto out;
    }
    rc = 0;
out:
    lmz_dstream_free(ds);
    return rc;
}

/* --range=START:END: the file mapped, only the chunks that hold the bytes
 * decoded (lmz_decompress_range). */
static int range_loop(job *J) {
    if (!J->src_is_file) {
        msg_error(J->src_name, "--range needs a file (its frames are found by their offsets), not a pipe");
        return 1;
    }
    const size_t n = (size_t)J->src_st.st_size;
    void *map = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, J->in_fd, 0) : NULL;
    if (n && map == MAP_FAILED) {
        msg_error(J->src_name, "cannot map: %s", strerror(errno));
        return 1;
    }
    size_t total = lmz_decompressed_size(map, n);
    int rc = 1;
    if (lmz_is_error(total)) {
        msg_lib_error(J->src_name, total, NULL);
    } else {
        const uint64_t s = J->prefs->range_start < total ? J->prefs->range_start : total;
        const uint64_t e = J->prefs->range_end < total ? J->prefs->range_end : total;
        const size_t want = e > s ? (size_t)(e - s) : 0;
        uint8_t *buf = malloc(want ? want : 1);
        lmz_params p = stream_params(J);
        char msg[256] = "";
        size_t r = buf ? lmz_decompress_range(J->model, buf, want, map, n, s, e, &p, msg, sizeof msg) : 0;
        if (!buf) msg_error(J->src_name, "out of memory");
        else if (lmz_is_error(r)) msg_lib_error(J->src_name, r, msg);
        else rc = write_out(J, buf, r);
        J->bytes_in = n;
        free(buf);
    }
    if (map) munmap(map, n);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* One file                                                                 */
/* ------------------------------------------------------------------------ */

/* The model the first frame of a regular file names, when $LMZ_MODEL_PATH
 * holds it and it is not the usual one (model.h); NULL otherwise. Reads the
 * header with pread: the file position is not moved. */
static const lmz_model *model_of_first_frame(const job *J, cli_model *model) {
    if (!model->search || model->path) return NULL;
    size_t cap = 64 << 10;
    uint8_t *b = malloc(cap);
    const lmz_model *m = NULL;
    ssize_t n = b ? pread(J->in_fd, b, cap, 0) : -1;
    if (n <= 0) {
        free(b);
        return NULL;
    }
    lmz_frame_info_t fi;
    size_t r = lmz_frame_info(b, (size_t)n, &fi);
    if (lmz_get_error_code(r) == LMZ_error_src_size && fi.header_size <= (1u << 20) &&
        fi.header_size > (uint64_t)n) { /* a long header: read all of it */
        uint8_t *g = realloc(b, (size_t)fi.header_size);
        if (g) {
            b = g;
            n = pread(J->in_fd, b, (size_t)fi.header_size, 0);
            if (n > 0) r = lmz_frame_info(b, (size_t)n, &fi);
        }
    }
    if (!lmz_is_error(r)) m = cli_model_for(model, fi.model_sha256, fi.id_len);
    free(b);
    return m;
}

static void summary(const job *J) {
    unsigned long long in = J->bytes_in, out = J->bytes_out;
    switch (J->prefs->mode) {
    case MODE_COMPRESS:
        if (in)
            msg_display(V_VERBOSE, "%s : %6.2f%%   (%llu => %llu bytes, %s)  %.3f bits/byte\n", J->src_name,
                    100.0 * (double)out / (double)in, in, out, J->dst_name, 8.0 * (double)out / (double)in);
        else
            msg_display(V_VERBOSE, "%s :    -      (0 => %llu bytes, %s)\n", J->src_name, out, J->dst_name);
        break;
    case MODE_DECOMPRESS:
        msg_display(V_VERBOSE, "%s : %llu bytes (%s)\n", J->src_name, out, J->dst_name);
        break;
    case MODE_TEST:
        msg_display(V_VERBOSE, "%s : OK (%llu bytes)\n", J->src_name, out);
        break;
    case MODE_LIST:
        break;
    }
}

int fio_process(const fio_prefs *prefs, cli_model *model, cli_dict *dict, const char *src) {
    job J;
    memset(&J, 0, sizeof J);
    J.prefs = prefs;
    J.in_fd = J.out_fd = -1;
    uint8_t *ibuf = NULL, *obuf = NULL;
    int rc = 1;

    if (open_source(&J, src) || choose_dest(&J, src)) goto done;
    if (!(J.model = cli_model_get(model))) goto done; /* reported there */
    if (prefs->mode != MODE_COMPRESS && J.src_is_file) { /* $LMZ_MODEL_PATH: the model the first frame names */
        const lmz_model *other = model_of_first_frame(&J, model);
        if (other) J.model = other;
    }
    int dict_failed;
    J.dict = cli_dict_get(dict, J.model, &dict_failed);
    J.cd = dict;
    if (dict_failed) goto done; /* reported there */
    ibuf = malloc(IO_BUF_SIZE);
    obuf = malloc(IO_BUF_SIZE);
    if (!ibuf || !obuf) {
        msg_error(J.src_name, "out of memory");
        goto done;
    }
    if (open_dest(&J)) goto done;

    progress_start(J.src_name, S_ISREG(J.src_st.st_mode) ? (uint64_t)J.src_st.st_size : 0,
                   prefs->progress && msg_verbosity() >= V_NORMAL);
    if (prefs->mode == MODE_COMPRESS && prefs->lossy_level > 0) rc = lossy_loop(&J, ibuf);
    else if (prefs->mode != MODE_COMPRESS && prefs->range) rc = range_loop(&J);
    else rc = prefs->mode == MODE_COMPRESS ? compress_loop(&J, ibuf, obuf) : decompress_loop(&J, ibuf, obuf);
    progress_clear();
    if (rc == 0) rc = finish_dest(&J);
    if (rc != 0) goto done;
    summary(&J);

    /* --rm: only a named regular source, only once the output is complete
     * under its final name, and never when the output is stdout or a device. */
    if (prefs->rm_source && prefs->mode != MODE_TEST && J.src_is_file && J.dst_path && !J.dst_direct) {
        if (unlink(src) != 0) {
            msg_error(src, "cannot remove source: %s", strerror(errno));
            rc = 1;
        }
    }

done:
    progress_clear();
    discard_dest(&J);
    if (J.out_fd >= 0 && !J.dst_is_stdout) close(J.out_fd);
    if (J.in_fd >= 0 && !J.src_is_stdin) close(J.in_fd);
    free(J.dst_path);
    free(ibuf);
    free(obuf);
    return rc;
}
