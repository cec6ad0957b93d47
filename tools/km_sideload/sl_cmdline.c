/* The command-line splitter (rules in sl_cmdline.h). One pass; the output buffer is sized for the
 * worst case (every character kept, plus a terminator per argument), so no step can overflow. */
#include "sl_cmdline.h"

#include <stdlib.h>

static bool is_blank(wchar_t c)
{
    return c == L' ' || c == L'\t';
}

/* Copies the argument at *pp into *put, advancing both; returns the copied text. */
static const wchar_t *split_one(const wchar_t **pp, wchar_t **put)
{
    const wchar_t *p = *pp;
    wchar_t *start = *put, *o = *put;
    bool quoted = false;
    while (*p && (quoted || !is_blank(*p))) {
        if (*p == L'\\') {
            size_t n = 0;
            while (p[n] == L'\\')
                n++;
            if (p[n] != L'"') {
                for (size_t k = 0; k < n; k++)
                    *o++ = L'\\';
                p += n;
                continue;
            }
            for (size_t k = 0; k < n / 2; k++)
                *o++ = L'\\';
            p += n;
            if (n % 2) {
                *o++ = L'"';
                p++;
            }
            continue; /* an even count leaves the quote to the next step */
        }
        if (*p == L'"') {
            if (quoted && p[1] == L'"') {
                *o++ = L'"';
                p += 2;
            } else {
                quoted = !quoted;
                p++;
            }
            continue;
        }
        *o++ = *p++;
    }
    *o++ = 0;
    *pp = p;
    *put = o;
    return start;
}

bool sl_args_split(const wchar_t *line, sl_args *out)
{
    size_t len = wcslen(line);
    out->count = 0;
    out->v = malloc((len / 2 + 2) * sizeof *out->v);
    out->storage = malloc((2 * len + 2) * sizeof *out->storage);
    if (!out->v || !out->storage) {
        sl_args_free(out);
        return false;
    }
    const wchar_t *p = line;
    wchar_t *o = out->storage;

    /* The program name: quoted or up to the first blank, backslashes as they are. */
    out->v[0].raw = p;
    out->v[0].text = o;
    if (*p == L'"') {
        for (p++; *p && *p != L'"'; p++)
            *o++ = *p;
        if (*p)
            p++;
    } else {
        while (*p && !is_blank(*p))
            *o++ = *p++;
    }
    *o++ = 0;
    out->count = 1;

    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        out->v[out->count].raw = p;
        out->v[out->count].text = split_one(&p, &o);
        out->count++;
    }
    return true;
}

void sl_args_free(sl_args *args)
{
    free(args->v);
    free(args->storage);
    args->v = NULL;
    args->storage = NULL;
    args->count = 0;
}
