/*
 * programs/model.c — loading the model of an `lmz` run, once.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "model.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "messages.h"

const lmz_model *cli_model_get(cli_model *cm) {
    if (cm->model) return cm->model;
    if (cm->failed) return NULL; /* reported once */
    size_t err = 0;
    char msg[256] = "";
    if (cm->path) cm->model = lmz_model_load_file(cm->path, &err, msg, sizeof msg);
    else cm->model = lmz_model_load_default(&err);
    if (!cm->model) {
        char buf[512];
        msg_error(cm->path ? cm->path : "(default model)", "cannot load model: %s",
                  msg_lib_error_text(err, msg, buf, sizeof buf));
        cm->failed = 1;
    }
    return cm->model;
}

void cli_model_free(cli_model *cm) {
    lmz_model_free(cm->model);
    cm->model = NULL;
    for (int i = 0; i < cm->n_found; i++) lmz_model_free(cm->found[i]);
    cm->n_found = 0;
}

int cli_search_path(const char *search, int (*visit)(void *ctx, const char *path, const char *name), void *ctx) {
    int r = 0;
    for (const char *p = search; *p && !r;) {
        const char *e = strchr(p, ':');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        char dir[PATH_MAX];
        if (len && len < sizeof dir) {
            memcpy(dir, p, len);
            dir[len] = 0;
            DIR *dp = opendir(dir);
            for (struct dirent *de; !r && dp && (de = readdir(dp));) {
                char path[PATH_MAX + 256];
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                r = visit(ctx, path, de->d_name);
            }
            if (dp) closedir(dp);
        }
        p += len + (e != NULL);
    }
    return r;
}

/* cli_model_for's search: a *.gguf file whose SHA-256 starts with id. */
typedef struct {
    cli_model *cm;
    const uint8_t *id;
    size_t id_len;
} model_search;

static int visit_model(void *ctx, const char *path, const char *name) {
    model_search *q = ctx;
    const size_t nl = strlen(name);
    if (nl < 6 || strcmp(name + nl - 5, ".gguf")) return 0;
    lmz_model *m = lmz_model_load_file(path, NULL, NULL, 0); /* hashes what it maps */
    if (!m) return 0;
    uint8_t sha[32];
    lmz_model_sha256(m, sha);
    if (memcmp(sha, q->id, q->id_len)) {
        lmz_model_free(m);
        return 0;
    }
    msg_display(V_VERBOSE, "lmz: using model %s\n", path);
    q->cm->found[q->cm->n_found++] = m;
    return 1;
}

const lmz_model *cli_model_for(cli_model *cm, const uint8_t *id, size_t id_len) {
    uint8_t sha[32];
    if (cm->path || !cm->search || id_len == 0 || id_len > 32) return NULL;
    const lmz_model *usual = cli_model_get(cm);
    if (usual) {
        lmz_model_sha256(usual, sha);
        if (!memcmp(sha, id, id_len)) return NULL;
    }
    for (int i = 0; i < cm->n_found; i++) {
        lmz_model_sha256(cm->found[i], sha);
        if (!memcmp(sha, id, id_len)) return cm->found[i];
    }
    if (cm->n_found == CLI_MODELS_FOUND_MAX) return NULL;
    model_search q = {cm, id, id_len};
    return cli_search_path(cm->search, visit_model, &q) ? cm->found[cm->n_found - 1] : NULL;
}
