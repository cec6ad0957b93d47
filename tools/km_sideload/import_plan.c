/* Reading the import directory into a plan (see import_plan.h). The loader's own rules decide what
 * counts: the descriptor array ends at the first entry without a name, a lookup table at its first
 * zero entry, and a descriptor without a lookup table (OriginalFirstThunk 0) is read through its
 * IAT, which before loading holds the same entries. */
#include "import_plan.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>

#define SL_IMPORT_NAME_MAX 512
#define SL_MAX_DESCRIPTORS 65536
#define SL_MAX_THUNKS 65536

static bool grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*array, cap2 * elem);
    if (!p)
        return false;
    *array = p;
    *cap = cap2;
    return true;
}

static bool push_piece(sl_import_plan *pl, const sl_import_piece *p, sl_err *err)
{
    if (pl->npieces >= SL_MAX_DESCRIPTORS)
        return sl_fail(err, "too many import descriptors");
    if (!grow((void **)&pl->pieces, &pl->piece_cap, pl->npieces + 1, sizeof *p))
        return sl_fail(err, "out of memory");
    pl->pieces[pl->npieces++] = *p;
    return true;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII) prefix test; with whole, the strings must be equal. */
static bool name_matches(const char *name, const char *pattern, bool whole)
{
    for (; *pattern; name++, pattern++)
        if (ascii_lower(*name) != *pattern)
            return false;
    return !whole || *name == 0;
}

static bool is_kernel32_family(const char *dll)
{
    return name_matches(dll, "kernel32.dll", true) || name_matches(dll, "kernelbase.dll", true) ||
           name_matches(dll, "api-ms-win-", false) || name_matches(dll, "ext-ms-win-", false);
}

/* Appends the lookup table at table_rva to pl->entries; with match, marks the entries that
 * kernel32_mem exports. */
static bool read_lookup(sl_import_plan *pl, const sl_image *img, const sl_names *names, bool match,
                        uint32_t table_rva, const char *dll, sl_err *err)
{
    uint32_t w = img->thunk_size;
    for (uint32_t j = 0;; j++) {
        if (j >= SL_MAX_THUNKS)
            return sl_fail(err, "import table of %s has no end", dll);
        const uint8_t *at = sl_image_at(img, table_rva + j * w, w);
        if ((uint64_t)table_rva + (uint64_t)j * w > UINT32_MAX || !at)
            return sl_fail(err, "import table of %s lies outside the image", dll);
        sl_import_entry e = {.value = w == 8 ? sl_rd64(at) : sl_rd32(at)};
        if (e.value == 0)
            return true;
        bool by_ordinal = (e.value >> (w * 8 - 1)) != 0;
        if (!by_ordinal) {
            const uint8_t *hint = sl_image_at(img, (uint32_t)e.value, 2);
            if (e.value > 0x7fffffff || !hint)
                return sl_fail(err, "import table of %s has a malformed entry", dll);
            e.hint = sl_rd16(hint);
            e.fn = sl_image_str(img, (uint32_t)e.value + 2, SL_IMPORT_NAME_MAX);
            if (!e.fn)
                return sl_fail(err, "an import name of %s lies outside the image", dll);
            e.ours = match && sl_names_has(names, e.fn);
        }
        if (!grow((void **)&pl->entries, &pl->entry_cap, pl->nentries + 1, sizeof e))
            return sl_fail(err, "out of memory");
        pl->entries[pl->nentries++] = e;
    }
}

/* Adds one piece per run of entries[start..end) with the same target. */
static bool split_runs(sl_import_plan *pl, const sl_import_piece *copy, size_t start, size_t end,
                       uint32_t thunk_size, sl_err *err)
{
    for (size_t s = start; s < end;) {
        size_t e = s + 1;
        while (e < end && pl->entries[e].ours == pl->entries[s].ours)
            e++;
        sl_import_piece p = *copy;
        p.ours = pl->entries[s].ours;
        p.rebuilt = true;
        p.first = (uint32_t)s;
        p.count = (uint32_t)(e - s);
        uint64_t ft = copy->first_thunk + (uint64_t)(s - start) * thunk_size;
        if (ft > UINT32_MAX)
            return sl_fail(err, "import address table of %s lies outside the image", copy->dll);
        p.first_thunk = (uint32_t)ft;
        if (p.ours)
            p.stamp = p.chain = 0;
        if (!push_piece(pl, &p, err))
            return false;
        s = e;
    }
    return true;
}

/* Adds the pieces for one original descriptor d (IMAGE_IMPORT_DESCRIPTOR's five fields). */
static bool plan_descriptor(sl_import_plan *pl, const sl_image *img, const sl_names *names,
                            const uint32_t d[5], bool rebuild_all, sl_err *err)
{
    sl_import_piece copy = {.oft = d[0],
                            .stamp = pl->bound ? 0 : d[1],
                            .chain = pl->bound ? 0 : d[2],
                            .name = d[3],
                            .first_thunk = d[4]};
    copy.dll = sl_image_str(img, d[3], SL_IMPORT_NAME_MAX);
    if (!copy.dll)
        return sl_fail(err, "an imported DLL name lies outside the image");
    bool family = is_kernel32_family(copy.dll);
    /* A descriptor without lookup table whose IAT was bound by an old-style binder holds
     * addresses, not names: there is nothing to read, so it is copied as it is. */
    if ((!family && !rebuild_all) || (d[0] == 0 && d[1] != 0))
        return push_piece(pl, &copy, err);

    size_t start = pl->nentries;
    if (!read_lookup(pl, img, names, family, d[0] ? d[0] : d[4], copy.dll, err))
        return false;
    size_t end = pl->nentries;
    size_t ours = 0;
    for (size_t k = start; k < end; k++)
        ours += pl->entries[k].ours;
    pl->redirected += (unsigned)ours;
    if (family)
        pl->kept += (unsigned)(end - start - ours);
    if (ours > 0 || rebuild_all)
        return split_runs(pl, &copy, start, end, img->thunk_size, err);
    pl->nentries = start; /* nothing to change: the original table serves as is */
    return push_piece(pl, &copy, err);
}

bool sl_import_plan_make(sl_import_plan *pl, const sl_image *img, const sl_names *names,
                         bool rebuild_all, sl_err *err)
{
    memset(pl, 0, sizeof *pl);
    uint32_t dir_rva, dir_size, bound_rva, bound_size;
    pl->bound = sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT, &bound_rva, &bound_size);
    if (!sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_IMPORT, &dir_rva, &dir_size) || dir_rva == 0)
        return true; /* imports nothing: an empty plan */
    const uint32_t sz = (uint32_t)sizeof(IMAGE_IMPORT_DESCRIPTOR);
    for (uint32_t i = 0;; i++) {
        if (i >= SL_MAX_DESCRIPTORS)
            return sl_fail(err, "import directory has no end");
        const uint8_t *raw = sl_image_at(img, dir_rva + i * sz, sz);
        if ((uint64_t)dir_rva + (uint64_t)i * sz > UINT32_MAX || !raw)
            return sl_fail(err, "import directory lies outside the image");
        uint32_t d[5];
        for (int k = 0; k < 5; k++)
            d[k] = sl_rd32(raw + 4 * k);
        if (d[3] == 0) /* the loader stops at the first descriptor without a name */
            return true;
        if (d[4] == 0)
            return sl_fail(err, "import descriptor %u has no import address table", i);
        if (!plan_descriptor(pl, img, names, d, rebuild_all, err))
            return false;
    }
}

void sl_import_plan_free(sl_import_plan *pl)
{
    free(pl->pieces);
    free(pl->entries);
    memset(pl, 0, sizeof *pl);
}
