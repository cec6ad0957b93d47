/* How km_sideload reports trouble. Every failure becomes one English line that travels up in an
 * sl_err to main(), which alone prints it (prefixed "km_sideload: ") and picks the exit code; so no
 * function deep in the PE code prints or exits, and each can be reused by both verbs. */
#ifndef SL_DIAG_H
#define SL_DIAG_H

#include <stdbool.h>
#include <wchar.h>

typedef struct sl_err {
    char text[1024];
} sl_err;

/* Formats the message into err (when err is not NULL) and returns false, so callers can write
 * `return sl_fail(err, ...)`. */
bool sl_fail(sl_err *err, const char *fmt, ...) __attribute__((format(gnu_printf, 2, 3)));

/* Puts "prefix: " before the message already in err (for errors from code that does not know
 * which file it is looking at); returns false like sl_fail. */
bool sl_fail_prefix(sl_err *err, const char *prefix);

/* UTF-8 copy of a wide string, for messages. The result lives in one of a few rotating static
 * buffers: valid until the fourth later call, which is enough for one message (single thread). */
const char *sl_u8(const wchar_t *w);

/* The system's text for a Win32 error code, without the trailing newline (static buffer). */
const char *sl_win_text(unsigned long code);

/* Writes text to stderr / stdout: wide console output when the handle is a console, UTF-8 bytes
 * otherwise (a pipe, a file, or Wine's Unix terminal). */
void sl_print_err(const char *text);
void sl_print_out(const char *text);

/* sl_fail's format for a program with no import to redirect (one argument: its name). A
 * program that imports them from kernel32_mem.dll already (rewrite's output) is one. */
#define SL_NOTHING_TO_REDIRECT                                                                     \
    "%s imports none of kernel32_mem's functions from kernel32.dll: nothing to redirect"

#endif
