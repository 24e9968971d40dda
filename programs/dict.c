/*
 * programs/dict.c — `-D`, $LMZ_DICT_PATH and `--train` (dict.h).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "dict.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "messages.h"

#define DICT_FILE_MAX (64u << 20) /* lib/codec/dict.h: LMZ_DICT_MAX_SIZE */

/* Reads a whole regular file of at most max bytes; NULL (errno set) if not. */
static uint8_t *read_file(const char *path, size_t max, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    uint8_t *b = NULL;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= max) {
        b = malloc((size_t)st.st_size + 1);
        if (b && fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
            free(b);
            b = NULL;
            errno = EIO;
        }
        *n = (size_t)st.st_size;
    } else if (errno == 0 || S_ISREG(st.st_mode)) {
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
    }
    fclose(f);
    return b;
}

static lmz_dict *load(const char *path, const lmz_model *m, int report) {
    size_t n = 0, err = 0;
    uint8_t *b = read_file(path, DICT_FILE_MAX, &n);
    if (!b) {
        if (report) msg_error(path, "cannot read dictionary: %s", strerror(errno));
        return NULL;
    }
    char msg[256] = "";
    lmz_dict *d = lmz_dict_load(m, b, n, &err, msg, sizeof msg);
    free(b);
    if (!d && report) {
        char buf[512];
        msg_error(path, "cannot use dictionary: %s", msg_lib_error_text(err, msg, buf, sizeof buf));
    }
    return d;
}

const lmz_dict *cli_dict_get(cli_dict *cd, const lmz_model *m, int *failed) {
    *failed = 0;
    cd->model = m;
    if (!cd->path) return NULL;
    if (!cd->dict && !cd->failed) cd->failed = !(cd->dict = load(cd->path, m, 1));
    *failed = cd->failed;
    return cd->dict;
}

/* cli_dict_find's search: every file (not hidden) that is a dictionary of
 * the model in use (a short identity: only its own are candidates) whose
 * SHA-256 starts with id. */
typedef struct {
    cli_dict *cd;
    const uint8_t *id;
    size_t id_len;
    uint8_t model_sha[32];
} dict_search;

static int visit_dict(void *ctx, const char *path, const char *name) {
    dict_search *q = ctx;
    if (name[0] == '.') return 0;
    size_t n = 0;
    uint8_t *b = read_file(path, DICT_FILE_MAX, &n);
    lmz_dict_info_t di;
    lmz_dict *d = NULL;
    if (b && !lmz_is_error(lmz_dict_info(b, n, &di)) && !memcmp(di.sha256, q->id, q->id_len) &&
        !memcmp(di.model_sha256, q->model_sha, 32)) {
        size_t err;
        d = lmz_dict_load(q->cd->model, b, n, &err, NULL, 0);
    }
    free(b);
    if (!d) return 0;
    msg_display(V_VERBOSE, "lmz: using dictionary %s\n", path);
    q->cd->found[q->cd->n_found++] = d;
    return 1;
}

const lmz_dict *cli_dict_find(void *opaque, const uint8_t *sha256, size_t id_len, const char *name) {
    cli_dict *cd = opaque;
    (void)name;
    uint8_t s[32];
    for (int i = 0; i < cd->n_found; i++) {
        lmz_dict_sha256(cd->found[i], s);
        if (!memcmp(s, sha256, id_len)) return cd->found[i];
    }
    if (!cd->search || !cd->model || cd->n_found == CLI_DICT_FOUND_MAX) return NULL;
    dict_search q = {cd, sha256, id_len, {0}};
    lmz_model_sha256(cd->model, q.model_sha);
    return cli_search_path(cd->search, visit_dict, &q) ? cd->found[cd->n_found - 1] : NULL;
}

void cli_dict_free(cli_dict *cd) {
    lmz_dict_free(cd->dict);
    cd->dict = NULL;
    for (int i = 0; i < cd->n_found; i++) lmz_dict_free(cd->found[i]);
    cd->n_found = 0;
}

/* ------------------------------------------------------------------------ */
/* --train                                                                  */
/* ------------------------------------------------------------------------ */

static void train_progress(void *opaque, uint64_t done, uint64_t total) {
    (void)opaque;
    if (msg_verbosity() >= V_NORMAL && isatty(2))
        fprintf(stderr, "\rlmz: training: learning the mixer, %llu / %llu tokens ", (unsigned long long)done,
                (unsigned long long)total);
}

/* The dictionary's name: the output's file name without its directory and
 * its last extension. */
static void name_of(const char *out, char *name, size_t cap) {
    const char *b = strrchr(out, '/');
    b = b ? b + 1 : out;
    snprintf(name, cap, "%s", b);
    char *dot = strrchr(name, '.');
    if (dot && dot != name) *dot = 0;
}

int cli_train(const char *const *files, int n, const char *out, int force, uint64_t max_size, int threads,
              cli_model *model) {
    struct stat st;
    if (!force && stat(out, &st) == 0) {
        msg_error(out, "already exists; not overwritten (use -f)");
        return 1;
    }
    size_t total = 0, cap = 0;
    uint8_t *all = NULL;
    size_t *sizes = calloc((size_t)n + 1, sizeof *sizes);
    int rc = 1;
    if (!sizes) goto oom;
    for (int i = 0; i < n; i++) {
        if (!strcmp(files[i], "-")) {
            msg_error(files[i], "--train needs sample files, not standard input");
            goto done;
        }
        size_t k = 0;
        uint8_t *b = read_file(files[i], (size_t)1 << 30, &k);
        if (!b) {
            msg_error(files[i], "cannot read sample: %s", strerror(errno));
            goto done;
        }
        if (total + k > cap) {
            size_t nc = (total + k) * 2;
            uint8_t *g = realloc(all, nc);
            if (!g) {
                free(b);
                goto oom;
            }
            all = g;
            cap = nc;
        }
        memcpy(all + total, b, k);
        free(b);
        sizes[i] = k;
        total += k;
    }
    const lmz_model *m = cli_model_get(model);
    if (!m) goto done;
    lmz_train_params tp;
    memset(&tp, 0, sizeof tp);
    char name[256];
    name_of(out, name, sizeof name);
    tp.max_size = max_size;
    tp.name = name;
    tp.threads = threads;
    tp.progress = train_progress;
    size_t dcap = max_size ? (size_t)max_size : 112640;
    uint8_t *d = malloc(dcap);
    if (!d) goto oom;
    char msg[256] = "";
    size_t r = lmz_train_dict(m, d, dcap, all, sizes, (unsigned)n, &tp, msg, sizeof msg);
    if (msg_verbosity() >= V_NORMAL && isatty(2)) fputs("\r\033[K", stderr);
    if (lmz_is_error(r)) {
        char buf[512];
        msg_error(out, "cannot train: %s", msg_lib_error_text(r, msg, buf, sizeof buf));
        free(d);
        goto done;
    }
    /* written next to its final name, then renamed: never a partial file */
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", out);
    int fd = mkstemp(tmp);
    int ok = fd >= 0;
    for (size_t o = 0; ok && o < r;) {
        ssize_t w = write(fd, d + o, r - o);
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        o += ok ? (size_t)w : 0;
    }
    ok = ok && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
    if (fd >= 0) ok = close(fd) == 0 && ok;
    if (ok) ok = rename(tmp, out) == 0;
    if (!ok) {
        msg_error(out, "cannot write dictionary: %s", strerror(errno));
        if (fd >= 0) unlink(tmp);
        free(d);
        goto done;
    }
    lmz_dict_info_t di;
    lmz_dict_info(d, r, &di);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", di.sha256[i]);
    msg_display(V_NORMAL, "lmz: dictionary '%s' written to %s: %zu bytes, %u tokens of history (%u seen by the model), "
                          "from %d samples (%zu bytes); sha256 %s\n",
                di.name, out, r, di.history_tokens, di.prefix_tokens, n, total, hex);
    free(d);
    rc = 0;
    goto done;
oom:
    msg_error(out, "out of memory");
done:
    free(all);
    free(sizes);
    return rc;
}
