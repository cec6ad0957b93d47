#include "api/export_stats.h"

#include "nt/nt_environment.h"
#include "nt/nt_lookup.h"

bool km_export_stats_enabled;

static const char *const export_names[KM_EXPORT_COUNT] = KM_EXPORT_NAMES;

static size_t calls[KM_EXPORT_COUNT];
static size_t passed_on[KM_EXPORT_COUNT];
static void *system_functions[KM_EXPORT_COUNT];

/* Room for any Win32 path KM_STATS can name. */
static WCHAR stats_path[MAX_PATH + 1];

void km_export_stats_count_call(km_export_id id)
{
    __atomic_fetch_add(&calls[id], 1, __ATOMIC_RELAXED);
}

void *km_pass_on(km_export_id id)
{
    if (km_export_stats_enabled)
        __atomic_fetch_add(&passed_on[id], 1, __ATOMIC_RELAXED);
    return system_functions[id];
}

void km_export_stats_start(void)
{
    /* Found now, under the loader lock the entry point holds anyway: found later, the lookup
     * would take the loader lock while the caller may hold a heap's lock, the other order from
     * a DLL's initialization that allocates. */
    for (size_t id = 0; id < KM_EXPORT_COUNT; id++)
        system_functions[id] = km_nt_kernel32_export(export_names[id]);
    km_export_stats_enabled =
        km_nt_environment_get(L"KM_STATS", stats_path, MAX_PATH + 1) && stats_path[0] != 0;
}

static char *append_text(char *out, const char *text)
{
    while (*text)
        *out++ = *text++;
    return out;
}

static char *append_number(char *out, size_t value)
{
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (count)
        *out++ = digits[--count];
    return out;
}

void km_export_stats_write(void)
{
    km_nt_append_file file;
    if (!km_export_stats_enabled || !km_nt_append_file_open(&file, stats_path))
        return;
    /* Export names are at most a few dozen characters: a line fits with room to spare. */
    char line[160];
    for (size_t id = 0; id < KM_EXPORT_COUNT; id++) {
        size_t called = __atomic_load_n(&calls[id], __ATOMIC_RELAXED);
        if (!called)
            continue;
        size_t foreign = __atomic_load_n(&passed_on[id], __ATOMIC_RELAXED);
        char *end = append_text(line, export_names[id]);
        end = append_number(append_text(end, " served="), called - foreign);
        end = append_number(append_text(end, " passed_on="), foreign);
        end = append_number(append_text(end, " pid="), km_nt_current_process_id());
        *end++ = '\n';
        km_nt_append_file_write(&file, line, (size_t)(end - line));
    }
    km_nt_append_file_close(&file);
}
