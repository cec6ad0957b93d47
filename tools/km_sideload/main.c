/* km_sideload: makes an existing Windows program take its kernel32 memory functions from
 * kernel32_mem.dll, without rebuilding it. `run` does it in memory for one run of the program;
 * `rewrite` writes a changed copy of the file. main() only reads the command line, hands it to a
 * verb, and turns the verb's outcome into one message and an exit code. */
#include <string.h>
#include <windows.h>

#include "km_sideload.h"
#include "sl_cmdline.h"
#include "sl_diag.h"

static const char usage[] =
    "usage: km_sideload run [--scope exe|process] [--dll PATH] PROGRAM [ARGS...]\n"
    "       km_sideload rewrite [--scope exe] [--dll PATH] IN.exe OUT.exe\n"
    "\n"
    "  run      start PROGRAM with its kernel32 memory imports taken from kernel32_mem.dll,\n"
    "           and exit with its exit code. --scope process (default: exe) lets the DLL\n"
    "           redirect every other module of the process too.\n"
    "  rewrite  write OUT.exe, a copy of IN.exe that imports those functions from\n"
    "           kernel32_mem.dll (ship the DLL beside OUT.exe or on PATH).\n"
    "  --dll    the kernel32_mem.dll to use (default: the one beside km_sideload.exe).\n";

typedef enum parse_result {
    PARSE_OK,
    PARSE_HELP,
    PARSE_BAD,
} parse_result;

static bool is(const wchar_t *a, const wchar_t *b)
{
    return wcscmp(a, b) == 0;
}

/* Reads "--name VALUE" or "--name=VALUE" at args->v[*i]; advances *i past what it used. */
static bool option_value(const sl_args *args, int *i, const wchar_t *name, const wchar_t **value,
                         sl_err *err)
{
    const wchar_t *a = args->v[*i].text;
    size_t n = wcslen(name);
    if (a[n] == L'=') {
        *value = a + n + 1;
    } else if (*i + 1 < args->count) {
        *value = args->v[++*i].text;
    } else {
        return sl_fail(err, "option %s needs a value (see --help)", sl_u8(name));
    }
    if (!**value)
        return sl_fail(err, "option %s needs a non-empty value", sl_u8(name));
    return true;
}

static bool option_named(const wchar_t *a, const wchar_t *name)
{
    size_t n = wcslen(name);
    return wcsncmp(a, name, n) == 0 && (a[n] == 0 || a[n] == L'=');
}

/* Fills opts from the arguments after the verb; *first_free is the first positional argument. */
static parse_result parse_options(const sl_args *args, sl_options *opts, int *first_free,
                                  sl_err *err)
{
    int i = 2;
    for (; i < args->count; i++) {
        const wchar_t *a = args->v[i].text, *value;
        if (is(a, L"--")) {
            i++;
            break;
        }
        if (wcsncmp(a, L"--", 2) != 0)
            break;
        if (is(a, L"--help"))
            return PARSE_HELP;
        if (option_named(a, L"--dll")) {
            if (!option_value(args, &i, L"--dll", &opts->dll, err))
                return PARSE_BAD;
        } else if (option_named(a, L"--scope")) {
            if (!option_value(args, &i, L"--scope", &value, err))
                return PARSE_BAD;
            if (!is(value, L"exe") && !is(value, L"process")) {
                sl_fail(err, "--scope must be exe or process, not %s", sl_u8(value));
                return PARSE_BAD;
            }
            opts->scope = is(value, L"process") ? SL_SCOPE_PROCESS : SL_SCOPE_EXE;
            opts->scope_given = true;
        } else {
            sl_fail(err, "unknown option %s (see --help)", sl_u8(a));
            return PARSE_BAD;
        }
    }
    *first_free = i;
    return PARSE_OK;
}

/* Needs at least the verb (args->count >= 2). */
static parse_result parse(const sl_args *args, sl_options *opts, bool *rewrite, sl_err *err)
{
    memset(opts, 0, sizeof *opts);
    const wchar_t *verb = args->v[1].text;
    if (is(verb, L"--help") || is(verb, L"-h") || is(verb, L"/?") || is(verb, L"help"))
        return PARSE_HELP;
    *rewrite = is(verb, L"rewrite");
    if (!*rewrite && !is(verb, L"run")) {
        sl_fail(err, "unknown verb %s: expected run or rewrite (see --help)", sl_u8(verb));
        return PARSE_BAD;
    }
    int pos;
    parse_result r = parse_options(args, opts, &pos, err);
    if (r != PARSE_OK)
        return r;
    int left = args->count - pos;
    if (!*rewrite) {
        if (left < 1) {
            sl_fail(err, "run: missing PROGRAM (see --help)");
            return PARSE_BAD;
        }
        opts->program = args->v[pos].text;
        opts->child_cmdline = args->v[pos].raw;
        return PARSE_OK;
    }
    if (left != 2) {
        sl_fail(err,
                "rewrite: expected IN.exe and OUT.exe after the options, got %d argument%s "
                "(see --help)",
                left, left == 1 ? "" : "s");
        return PARSE_BAD;
    }
    opts->in = args->v[pos].text;
    opts->out = args->v[pos + 1].text;
    return PARSE_OK;
}

static void print_error(const sl_err *err)
{
    char line[sizeof err->text + 32];
    strcpy(line, "km_sideload: ");
    strcat(line, err->text);
    strcat(line, "\n");
    sl_print_err(line);
}

int main(void)
{
    sl_args args;
    if (!sl_args_split(GetCommandLineW(), &args)) {
        sl_print_err("km_sideload: out of memory\n");
        return SL_EXIT_FAILED;
    }
    if (args.count < 2) {
        sl_print_err(usage);
        sl_args_free(&args);
        return SL_EXIT_BAD_INPUT;
    }
    sl_options opts;
    sl_err err = {{0}};
    bool rewrite = false;
    int code = 0;
    switch (parse(&args, &opts, &rewrite, &err)) {
    case PARSE_HELP: sl_print_out(usage); break;
    case PARSE_BAD:
        print_error(&err);
        code = SL_EXIT_BAD_INPUT;
        break;
    case PARSE_OK:
        if (!(rewrite ? sl_verb_rewrite : sl_verb_run)(&opts, &code, &err))
            print_error(&err);
        break;
    }
    sl_args_free(&args);
    return code;
}
