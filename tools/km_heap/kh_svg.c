/* Escaping for SVG text and attributes (kh_svg.h). */
#include "kh_svg.h"

#include <stdarg.h>
#include <stdlib.h>

/* The length of the valid UTF-8 sequence at c that XML may hold, or 0. */
static size_t xml_char_length(const unsigned char *c)
{
    if (*c < 0x80)
        return *c >= 0x20 || *c == '\t' || *c == '\n' || *c == '\r';
    size_t length = *c >= 0xf0 && *c <= 0xf4 ? 4 : *c >= 0xe0 ? 3 : *c >= 0xc2 && *c < 0xe0 ? 2 : 0;
    if (length == 0 || *c > 0xf4)
        return 0;
    for (size_t i = 1; i < length; i++)
        if ((c[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong forms, surrogates, code points past U+10FFFF, and U+FFFE and U+FFFF. */
    if ((c[0] == 0xe0 && c[1] < 0xa0) || (c[0] == 0xed && c[1] >= 0xa0) ||
        (c[0] == 0xf0 && c[1] < 0x90) || (c[0] == 0xf4 && c[1] >= 0x90) ||
        (c[0] == 0xef && c[1] == 0xbf && c[2] >= 0xbe))
        return 0;
    return length;
}

void kh_svg_escape(FILE *out, const char *text)
{
    const unsigned char *c = (const unsigned char *)text;
    while (*c) {
        switch (*c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default: {
            size_t length = xml_char_length(c);
            if (length == 0) {
                fputc('?', out);
            } else {
                fwrite(c, 1, length, out);
                c += length - 1;
            }
        }
        }
        c++;
    }
}

void kh_svg_escapef(FILE *out, const char *format, ...)
{
    char buffer[512];
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    kh_svg_escape(out, buffer);
}
