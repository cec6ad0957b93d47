/* km_sideload splits its own command line itself, from GetCommandLineW(), instead of taking argv:
 * `run` must hand the child the rest of the line exactly as typed (re-quoting parsed arguments
 * can change them), so every argument remembers where it starts in the original string. */
#ifndef SL_CMDLINE_H
#define SL_CMDLINE_H

#include <stdbool.h>
#include <wchar.h>

typedef struct sl_arg {
    const wchar_t *text; /* the argument after quote and backslash processing */
    const wchar_t *raw;  /* where it starts in the original command line */
} sl_arg;

typedef struct sl_args {
    sl_arg *v;
    int count;
    wchar_t *storage;
} sl_args;

/* Splits line with the Microsoft C runtime's rules: the program name ends at the next space
 * unless quoted, with no escapes; later arguments end at unquoted whitespace, `"` toggles quoting,
 * `""` inside quotes is a literal quote, and backslashes are literal except before a quote
 * (2n backslashes + `"` give n backslashes and a quote toggle, 2n+1 give n and a literal quote). */
bool sl_args_split(const wchar_t *line, sl_args *out);

void sl_args_free(sl_args *args);

#endif
