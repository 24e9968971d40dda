/*
 * programs/model.c — loading the model of an `lmz` run, once.
 */
#include "model.h"

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
}
