#include "km_json_check.h"

#include <string.h>

typedef struct reader {
    const char *at, *end;
    int depth;
} reader;

static void skip_space(reader *r)
{
    while (r->at < r->end && (*r->at == ' ' || *r->at == '\t' || *r->at == '\n' || *r->at == '\r'))
        r->at++;
}

static bool take(reader *r, char c)
{
    skip_space(r);
    if (r->at < r->end && *r->at == c) {
        r->at++;
        return true;
    }
    return false;
}

static bool is_digit(reader *r)
{
    return r->at < r->end && *r->at >= '0' && *r->at <= '9';
}

static bool digits(reader *r)
{
    if (!is_digit(r))
        return false;
    while (is_digit(r))
        r->at++;
    return true;
}

static bool number(reader *r)
{
    if (r->at < r->end && *r->at == '-')
        r->at++;
    if (r->at < r->end && *r->at == '0')
        r->at++;
    else if (!digits(r))
        return false;
    if (r->at < r->end && *r->at == '.' && (r->at++, !digits(r)))
        return false;
    if (r->at < r->end && (*r->at == 'e' || *r->at == 'E')) {
        r->at++;
        if (r->at < r->end && (*r->at == '+' || *r->at == '-'))
            r->at++;
        return digits(r);
    }
    return true;
}

static bool string(reader *r)
{
    if (!take(r, '"'))
        return false;
    while (r->at < r->end && *r->at != '"') {
        unsigned char c = (unsigned char)*r->at++;
        if (c < 0x20)
            return false;
        if (c != '\\')
            continue;
        if (r->at >= r->end)
            return false;
        c = (unsigned char)*r->at++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++, r->at++)
                if (r->at >= r->end || !strchr("0123456789abcdefABCDEF", *r->at) || !*r->at)
                    return false;
        } else if (!strchr("\"\\/bfnrt", c) || !c) {
            return false;
        }
    }
    return take(r, '"');
}

static bool word(reader *r, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(r->end - r->at) < n || memcmp(r->at, w, n) != 0)
        return false;
    r->at += n;
    return true;
}

static bool value(reader *r);

static bool members(reader *r, char close, bool keyed)
{
    if (++r->depth > 200)
        return false;
    if (take(r, close)) {
        r->depth--;
        return true;
    }
    do {
        if (keyed && (!string(r) || !take(r, ':')))
            return false;
        if (!value(r))
            return false;
    } while (take(r, ','));
    r->depth--;
    return take(r, close);
}

static bool value(reader *r)
{
    skip_space(r);
    if (r->at >= r->end)
        return false;
    switch (*r->at) {
    case '{': r->at++; return members(r, '}', true);
    case '[': r->at++; return members(r, ']', false);
    case '"': return string(r);
    case 't': return word(r, "true");
    case 'f': return word(r, "false");
    case 'n': return word(r, "null");
    default: return number(r);
    }
}

bool km_json_is_well_formed(const char *text, size_t length)
{
    reader r = {text, text + length, 0};
    if (!value(&r))
        return false;
    skip_space(&r);
    return r.at == r.end;
}
