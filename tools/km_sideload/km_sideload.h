/* What main() hands to the two verbs, and the exit codes they agree on. A verb returns false with
 * a message in err when it fails; *exit_code is then the code to exit with (2 for bad usage or
 * input, 1 for a failure of the system), and otherwise the verb's result (run: the child's code).
 */
#ifndef KM_SIDELOAD_H
#define KM_SIDELOAD_H

#include <stdbool.h>
#include <wchar.h>

#include "sl_diag.h"

enum {
    SL_EXIT_FAILED = 1,
    SL_EXIT_BAD_INPUT = 2,
};

typedef enum sl_scope {
    SL_SCOPE_EXE,
    SL_SCOPE_PROCESS,
} sl_scope;

typedef struct sl_options {
    sl_scope scope;
    bool scope_given;
    const wchar_t *dll;           /* --dll, or NULL: kernel32_mem.dll beside km_sideload.exe */
    const wchar_t *program;       /* run: PROGRAM as given */
    const wchar_t *child_cmdline; /* run: the original command line from PROGRAM on */
    const wchar_t *in, *out;      /* rewrite */
} sl_options;

bool sl_verb_run(const sl_options *opts, int *exit_code, sl_err *err);
bool sl_verb_rewrite(const sl_options *opts, int *exit_code, sl_err *err);

#endif
