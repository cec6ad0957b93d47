/* The command-line conventions every km-heap command shares (kh_cli.h). */
#include "kh_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "kh_json.h"

void kh_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("km-heap: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

bool kh_load(const char *path, kh_snapshot *snapshot)
{
    char message[512];
    if (kh_snapshot_read_file(path, snapshot, message, sizeof message))
        return true;
    kh_error("%s", message);
    return false;
}

bool kh_parse_cli_address(const char *text, uint64_t *address)
{
    char buffer[24];
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text += 2;
    if (strlen(text) > 16)
        return false;
    snprintf(buffer, sizeof buffer, "0x%s", text);
    return kh_parse_address(buffer, address);
}

kh_human kh_bytes(uint64_t n)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    kh_human human;
    if (n < 1024) {
        snprintf(human.text, sizeof human.text, "%llu B", (unsigned long long)n);
        return human;
    }
    double value = (double)n / 1024;
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < sizeof units / sizeof units[0]) {
        value /= 1024;
        unit++;
    }
    snprintf(human.text, sizeof human.text, value < 10 ? "%.2f %s" : "%.1f %s", value, units[unit]);
    return human;
}

FILE *kh_open_output(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *file = fopen(path, "w");
    if (!file)
        kh_error("%s: cannot write it (%s)", path, strerror(errno));
    return file;
}

bool kh_close_output(FILE *file, const char *path)
{
    bool ok = !ferror(file);
    if (file == stdout)
        ok = fflush(file) == 0 && ok;
    else
        ok = fclose(file) == 0 && ok;
    if (!ok)
        kh_error("%s: writing it failed", path);
    return ok;
}
