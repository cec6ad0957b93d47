#include "api/path_pattern.h"

#include "nt/nt_environment.h"

WCHAR *km_put_decimal(WCHAR *at, unsigned long number)
{
    WCHAR digits[10];
    int n = 0;
    do {
        digits[n++] = (WCHAR)(L'0' + number % 10);
        number /= 10;
    } while (number);
    while (n)
        *at++ = digits[--n];
    return at;
}

bool km_expand_path_pattern(const WCHAR *pattern, unsigned long count, WCHAR *path, size_t capacity)
{
    size_t at = 0;
    for (const WCHAR *c = pattern; *c; c++) {
        if (c[0] == L'%' && c[1] == L'%') {
            if (at + 1 >= capacity)
                return false;
            path[at++] = L'%';
            c++;
            continue;
        }
        if (c[0] == L'%' && (c[1] == L'p' || c[1] == L'n')) {
            if (at + 10 >= capacity)
                return false;
            unsigned long number = c[1] == L'p' ? (unsigned long)km_nt_current_process_id() : count;
            at = (size_t)(km_put_decimal(path + at, number) - path);
            c++;
            continue;
        }
        if (at + 1 >= capacity)
            return false;
        path[at++] = *c;
    }
    path[at] = 0;
    return true;
}
