/*
 * programs/messages.c — errors and verbosity-gated display on stderr.
 */
#include "messages.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lmz.h"
#include "progress.h"

static int g_verbosity = V_NORMAL;

void msg_set_verbosity(int level) { g_verbosity = level; }
int msg_verbosity(void) { return g_verbosity; }

void msg_error(const char *name, const char *fmt, ...) {
    if (g_verbosity < V_ERRORS) return;
    progress_clear();
    va_list ap;
    va_start(ap, fmt);
    fputs(CLI_NAME ": ", stderr);
    if (name) fprintf(stderr, "%s: ", name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void msg_display(int level, const char *fmt, ...) {
    if (g_verbosity < level) return;
    progress_clear();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

const char *msg_lib_error_text(size_t code, const char *detail, char *buf, size_t cap) {
    const char *name = lmz_error_name(code);
    if (detail && *detail && strcmp(detail, name) != 0)
        snprintf(buf, cap, "%s: %s", name, detail);
    else
        snprintf(buf, cap, "%s", name);
    const char *hint = NULL;
    switch (lmz_get_error_code(code)) {
    case LMZ_error_memory_limit: hint = " (raise it with --memory=SIZE)"; break;
    case LMZ_error_model_mismatch: hint = " (choose the model with --model or LMZ_MODEL; see lmz -lv)"; break;
    default: break;
    }
    if (hint) {
        size_t n = strlen(buf);
        if (n < cap) snprintf(buf + n, cap - n, "%s", hint);
    }
    return buf;
}

void msg_lib_error(const char *name, size_t code, const char *detail) {
    char buf[512];
    msg_error(name, "%s", msg_lib_error_text(code, detail, buf, sizeof buf));
}
