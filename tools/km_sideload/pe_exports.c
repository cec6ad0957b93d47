/* Reads the names in a DLL's export directory (the AddressOfNames array) from the file on disk.
 * Forwarded exports count as well: the DLL still answers for the name. */
#include "pe_exports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "pe_image.h"
#include "sl_file.h"

/* Longer names than this do not occur in kernel32; they mark a broken table. */
#define SL_NAME_MAX 512

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool collect(sl_names *set, const sl_image *img, const char *what, sl_err *err)
{
    uint32_t dir_rva, dir_size;
    const uint8_t *dir;
    if (!sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_EXPORT, &dir_rva, &dir_size) ||
        !(dir = sl_image_at(img, dir_rva, sizeof(IMAGE_EXPORT_DIRECTORY))))
        return sl_fail(err, "%s has no export table", what);
    uint32_t count = sl_rd32(dir + offsetof(IMAGE_EXPORT_DIRECTORY, NumberOfNames));
    uint32_t names_rva = sl_rd32(dir + offsetof(IMAGE_EXPORT_DIRECTORY, AddressOfNames));
    if (count == 0)
        return sl_fail(err, "%s exports no function by name", what);
    if (count > 65536 || !sl_image_at(img, names_rva, count * 4))
        return sl_fail(err, "%s: export name table lies outside the file", what);

    size_t bytes = 0;
    for (uint32_t i = 0; i < count; i++) {
        const char *name =
            sl_image_str(img, sl_rd32(sl_image_at(img, names_rva + i * 4, 4)), SL_NAME_MAX);
        if (!name)
            return sl_fail(err, "%s: export name %u lies outside the file", what, i);
        bytes += strlen(name) + 1;
    }
    set->names = malloc(count * sizeof *set->names);
    set->storage = malloc(bytes);
    if (!set->names || !set->storage)
        return sl_fail(err, "out of memory");
    char *put = set->storage;
    for (uint32_t i = 0; i < count; i++) {
        const char *name =
            sl_image_str(img, sl_rd32(sl_image_at(img, names_rva + i * 4, 4)), SL_NAME_MAX);
        size_t len = strlen(name) + 1;
        memcpy(put, name, len);
        set->names[i] = put;
        put += len;
    }
    set->count = count;
    qsort(set->names, count, sizeof *set->names, compare_names);
    return true;
}

bool sl_names_load(sl_names *set, const wchar_t *path, sl_err *err)
{
    memset(set, 0, sizeof *set);
    uint8_t *data;
    size_t size;
    if (!sl_file_read(path, "DLL", &data, &size, err))
        return false;
    char what[1100];
    snprintf(what, sizeof what, "DLL %s", sl_u8(path));
    sl_image img;
    bool ok = sl_image_parse(&img, data, size, SL_LAYOUT_FILE, what, err);
    if (ok && !(img.characteristics & IMAGE_FILE_DLL))
        ok = sl_fail(err, "%s is a program, not a DLL", what);
    if (ok && img.machine != IMAGE_FILE_MACHINE_AMD64 && img.machine != IMAGE_FILE_MACHINE_I386)
        ok = sl_fail(err, "%s is for %s, not x86_64 or i386", what, sl_machine_name(img.machine));
    if (ok)
        ok = collect(set, &img, what, err);
    set->machine = img.machine;
    free(data);
    if (!ok)
        sl_names_free(set);
    return ok;
}

bool sl_names_has(const sl_names *set, const char *name)
{
    return bsearch(&name, set->names, set->count, sizeof *set->names, compare_names) != NULL;
}

void sl_names_free(sl_names *set)
{
    free(set->names);
    free(set->storage);
    memset(set, 0, sizeof *set);
}
