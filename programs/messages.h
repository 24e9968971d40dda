/*
 * programs/messages.h — what `lmz` tells the user on stderr:
 * "lmz: NAME: reason" for errors, free-form lines gated by verbosity.
 *
 * The verbosity is set once by main() (msg_set_verbosity) and read by
 * every message; a message first erases the progress meter.
 */
#ifndef LMZ_CLI_MESSAGES_H
#define LMZ_CLI_MESSAGES_H

#include <stddef.h>

#include "cli.h"

/* V_* (cli.h); V_NORMAL until set. */
void msg_set_verbosity(int level);
int msg_verbosity(void);

/* "lmz: NAME: reason", printed at V_ERRORS and above. name may be NULL. */
void msg_error(const char *name, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Printed as is at `level` and above. */
void msg_display(int level, const char *fmt, ...) CLI_PRINTF(2, 3);
/* "lmz: NAME: lib error name: detail (hint)" for a library error code:
 * msg_error() with msg_lib_error_text(). */
void msg_lib_error(const char *name, size_t code, const char *detail);
/* "lib error name: detail (hint)" into buf[0..cap); returns buf. */
const char *msg_lib_error_text(size_t code, const char *detail, char *buf, size_t cap);

#endif /* LMZ_CLI_MESSAGES_H */
