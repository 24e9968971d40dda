/*
 * programs/rewriter.c — `--rewriter CMD`: one paragraph through an external
 * command (doc/lossy.md, "External rewriter").
 *
 * The paragraph goes to the command's standard input through an unlinked
 * temporary file (so that a command that writes before it has read
 * everything can never deadlock against us), and the command's standard
 * output, read to its end, is the rewrite. The library verifies every
 * rewrite (protected spans, similarity) and keeps the original paragraph
 * when the rewrite fails the checks or the command fails.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "messages.h"
#include "rewriter.h"

#define REWRITE_MAX (1u << 20) /* a rewrite longer than this is refused */

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* An unlinked temporary file holding p[0..n), positioned at its start. */
static int input_file(const char *p, size_t n) {
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/.lmz-rewrite-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    unlink(path);
    if (write_all(fd, p, n) || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int cli_rewrite(void *opaque, const char *para, size_t n, char **out, size_t *out_n) {
    const char *cmd = opaque;
    *out = NULL;
    *out_n = 0;
    int in = input_file(para, n);
    if (in < 0) {
        msg_error(cmd, "rewriter: cannot create a temporary file: %s", strerror(errno));
        return 1;
    }
    int pfd[2];
    if (pipe(pfd) != 0) {
        close(in);
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(in), close(pfd[0]), close(pfd[1]);
        return 1;
    }
    if (pid == 0) { /* the child: stdin = the paragraph, stdout = the pipe */
        dup2(in, 0);
        dup2(pfd[1], 1);
        close(in), close(pfd[0]), close(pfd[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(in);
    close(pfd[1]);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int bad = buf == NULL;
    for (;;) {
        if (!bad && len == cap) {
            char *nb = cap < REWRITE_MAX ? realloc(buf, cap * 2) : NULL;
            if (!nb) bad = 1;
            else buf = nb, cap *= 2;
        }
        char sink[4096];
        ssize_t r = bad ? read(pfd[0], sink, sizeof sink) : read(pfd[0], buf + len, cap - len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (!bad) len += (size_t)r;
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (bad || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (!bad) msg_display(V_VERBOSE, "lmz: rewriter: '%s' failed (status %d); paragraph kept\n", cmd, status);
        free(buf);
        return 1;
    }
    *out = buf;
    *out_n = len;
    return 0;
}
