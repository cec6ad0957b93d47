/* Message formatting and output for km_sideload. Output goes through WriteConsoleW when stderr is a
 * real console, so paths with non-ASCII characters print correctly there, and as UTF-8 bytes when
 * it is redirected, which is what scripts and Wine's terminal expect. */
#include "sl_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

bool sl_fail(sl_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool sl_fail_prefix(sl_err *err, const char *prefix)
{
    if (err) {
        char old[sizeof err->text];
        memcpy(old, err->text, sizeof old);
        snprintf(err->text, sizeof err->text, "%s: %s", prefix, old);
    }
    return false;
}

const char *sl_u8(const wchar_t *w)
{
    static char ring[4][1024];
    static unsigned next;
    char *buf = ring[next++ % 4];
    if (!w || !WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, sizeof ring[0], NULL, NULL))
        strcpy(buf, w ? "(unprintable)" : "(null)");
    return buf;
}

const char *sl_win_text(unsigned long code)
{
    static char text[512];
    wchar_t wide[256];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, wide, sizeof wide / sizeof wide[0], NULL);
    while (n > 0 && (wide[n - 1] == L'\r' || wide[n - 1] == L'\n' || wide[n - 1] == L' ' ||
                     wide[n - 1] == L'.'))
        wide[--n] = 0;
    if (n == 0 || !WideCharToMultiByte(CP_UTF8, 0, wide, -1, text, sizeof text, NULL, NULL))
        snprintf(text, sizeof text, "error %lu", code);
    return text;
}

static void print_to(DWORD which, const char *text)
{
    HANDLE h = GetStdHandle(which);
    DWORD mode, done;
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return;
    if (GetConsoleMode(h, &mode)) {
        int n = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
        wchar_t *wide = n > 0 ? malloc((size_t)n * sizeof *wide) : NULL;
        if (wide && MultiByteToWideChar(CP_UTF8, 0, text, -1, wide, n)) {
            WriteConsoleW(h, wide, (DWORD)(n - 1), &done, NULL);
            free(wide);
            return;
        }
        free(wide);
    }
    WriteFile(h, text, (DWORD)strlen(text), &done, NULL);
}

void sl_print_err(const char *text)
{
    print_to(STD_ERROR_HANDLE, text);
}

void sl_print_out(const char *text)
{
    print_to(STD_OUTPUT_HANDLE, text);
}
