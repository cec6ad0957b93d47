/* `rewrite`: a copy of IN.exe whose new import directory lives in one added section, ".kmimp",
 * appended after everything else in the file (so no existing file offset moves) and after every
 * existing section in memory (so no existing RVA moves). The rest of the file is kept byte for
 * byte, except what a changed file must not keep: a stale checksum, an Authenticode signature that
 * no longer matches, bound imports, and Wine's "builtin" marker (with it, Wine would load its own
 * copy of the program and ignore ours). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "import_redirect.h"
#include "km_sideload.h"
#include "pe_checksum.h"
#include "pe_image.h"
#include "sl_dll.h"
#include "sl_file.h"

static const char wine_marker[] = "Wine builtin DLL";

typedef struct output {
    uint8_t *data;
    size_t size;
    bool dropped_signature;
    bool cleared_marker;
} output;

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++)
            return false;
    return true;
}

/* Checks there is room for one more section header and returns its file offset. */
static bool header_slot(const sl_image *img, const char *what, uint32_t *slot, sl_err *err)
{
    uint64_t at = img->sections_offset + (uint64_t)img->num_sections * sizeof(IMAGE_SECTION_HEADER);
    uint64_t end = at + sizeof(IMAGE_SECTION_HEADER);
    uint64_t first_raw = img->size_of_headers;
    for (unsigned i = 0; i < img->num_sections; i++) {
        const uint8_t *sh = img->data + img->sections_offset + i * sizeof(IMAGE_SECTION_HEADER);
        uint32_t raw = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, PointerToRawData));
        if (sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, SizeOfRawData)) && raw < first_raw)
            first_raw = raw;
    }
    /* Bound import data often sits right after the section table; it is dropped anyway. */
    uint32_t bound_rva, bound_size;
    bool bound_here =
        sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT, &bound_rva, &bound_size) &&
        bound_rva <= at && end <= (uint64_t)bound_rva + bound_size;
    if (end > first_raw || end > img->size ||
        (!bound_here && !all_zero(img->data + at, sizeof(IMAGE_SECTION_HEADER))))
        return sl_fail(err,
                       "%s has no room for another section header (its section table "
                       "ends where the headers end or the first section's data begins)",
                       what);
    *slot = (uint32_t)at;
    return true;
}

/* Where the file ends once a trailing Authenticode signature is cut off. */
static size_t end_without_signature(const sl_image *img, bool *dropped)
{
    uint32_t off, size;
    *dropped = sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_SECURITY, &off, &size);
    /* The SECURITY entry holds a file offset, not an RVA. The certificate table is the file's
     * last item (padded to 8 bytes); where something follows it, leave the bytes alone. */
    if (*dropped && off < img->size && align_up((uint64_t)off + size, 8) >= img->size)
        return off;
    return img->size;
}

/* The lowest RVA past every section and the image's end. */
static uint64_t image_end(const sl_image *img)
{
    uint64_t end = img->size_of_image;
    for (unsigned i = 0; i < img->num_sections; i++) {
        const uint8_t *sh = img->data + img->sections_offset + i * sizeof(IMAGE_SECTION_HEADER);
        uint64_t va = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, VirtualAddress));
        uint32_t vsize = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, Misc.VirtualSize));
        uint32_t raw = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, SizeOfRawData));
        if (va + (vsize ? vsize : raw) > end)
            end = va + (vsize ? vsize : raw);
    }
    return align_up(end, img->section_alignment);
}

static void set_dir(const sl_image *img, uint8_t *out, unsigned index, uint32_t rva, uint32_t size)
{
    uint32_t off = sl_image_dir_offset(img, index);
    if (off) {
        sl_wr32(out + off, rva);
        sl_wr32(out + off + 4, size);
    }
}

/* Wine writes its marker right after the 64-byte DOS header; zero it up to its terminator. */
static bool clear_marker(const sl_image *img, uint8_t *out)
{
    size_t at = sizeof(IMAGE_DOS_HEADER), n = sizeof wine_marker - 1;
    if (img->pe_offset < at + n || memcmp(out + at, wine_marker, n) != 0)
        return false;
    for (size_t i = at; i < img->pe_offset && out[i]; i++)
        out[i] = 0;
    return true;
}

static bool build_output(const sl_image *img, const sl_dll *dll, const char *what, output *res,
                         sl_err *err)
{
    uint32_t slot = 0, ir, is;
    if (sl_image_dir_offset(img, IMAGE_DIRECTORY_ENTRY_IMPORT) == 0 ||
        !sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_IMPORT, &ir, &is))
        return sl_fail(err, SL_NOTHING_TO_REDIRECT, what);
    if (!header_slot(img, what, &slot, err))
        return false;
    size_t file_end = end_without_signature(img, &res->dropped_signature);
    uint64_t va = image_end(img);
    uint64_t raw_ptr = align_up(file_end, img->file_alignment);
    /* With sections aligned below a page, the loader wants file offset == RVA. */
    if (img->section_alignment < 4096) {
        va = raw_ptr = va > raw_ptr ? va : raw_ptr;
    }
    if (va > 0x7fff0000u || raw_ptr > 0x7fff0000u)
        return sl_fail(err, "%s is too large to receive another section", what);

    char *dll_name = sl_dll_import_name(dll, false, err);
    sl_import_block block = {0};
    bool ok = dll_name && (sl_imports_build(img, &dll->names, dll_name, (uint32_t)va,
                                            SL_IMPORTS_SELF_CONTAINED, &block, err) ||
                           sl_fail_prefix(err, what));
    if (ok && block.redirected == 0)
        ok = sl_fail(err, SL_NOTHING_TO_REDIRECT, what);
    uint64_t raw_size = align_up(block.size, img->file_alignment);
    res->size = (size_t)(raw_ptr + raw_size);
    res->data = ok ? calloc(1, res->size) : NULL;
    if (ok && !res->data)
        ok = sl_fail(err, "out of memory");
    if (ok) {
        uint8_t *out = res->data;
        memcpy(out, img->data, file_end);
        memcpy(out + raw_ptr, block.data, block.size);

        uint8_t *sh = out + slot;
        memcpy(sh + offsetof(IMAGE_SECTION_HEADER, Name), ".kmimp\0", 8);
        sl_wr32(sh + offsetof(IMAGE_SECTION_HEADER, Misc.VirtualSize), block.size);
        sl_wr32(sh + offsetof(IMAGE_SECTION_HEADER, VirtualAddress), (uint32_t)va);
        sl_wr32(sh + offsetof(IMAGE_SECTION_HEADER, SizeOfRawData), (uint32_t)raw_size);
        sl_wr32(sh + offsetof(IMAGE_SECTION_HEADER, PointerToRawData), (uint32_t)raw_ptr);
        sl_wr32(sh + offsetof(IMAGE_SECTION_HEADER, Characteristics),
                IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ);

        uint8_t *fh = out + img->pe_offset + 4;
        uint8_t *oh = out + img->opt_offset;
        sl_wr16(fh + offsetof(IMAGE_FILE_HEADER, NumberOfSections),
                (uint16_t)(img->num_sections + 1));
        sl_wr32(oh + offsetof(IMAGE_OPTIONAL_HEADER32, SizeOfImage),
                (uint32_t)align_up(va + block.size, img->section_alignment));
        uint8_t *init = oh + offsetof(IMAGE_OPTIONAL_HEADER32, SizeOfInitializedData);
        sl_wr32(init, sl_rd32(init) + (uint32_t)raw_size);

        set_dir(img, out, IMAGE_DIRECTORY_ENTRY_IMPORT, (uint32_t)va, block.dir_size);
        if (sl_image_is_bound(img))
            set_dir(img, out, IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT, 0, 0);
        if (res->dropped_signature)
            set_dir(img, out, IMAGE_DIRECTORY_ENTRY_SECURITY, 0, 0);
        res->cleared_marker = clear_marker(img, out);

        uint32_t ck = sl_image_checksum_offset(img);
        sl_wr32(out + ck, sl_pe_checksum(out, res->size, ck));
    }
    sl_import_block_free(&block);
    free(dll_name);
    return ok;
}

bool sl_verb_rewrite(const sl_options *opts, int *exit_code, sl_err *err)
{
    *exit_code = SL_EXIT_BAD_INPUT;
    if (opts->scope_given && opts->scope == SL_SCOPE_PROCESS)
        return sl_fail(err, "rewrite: --scope process is not possible for a file (a file "
                            "changes only its own imports); use run --scope process");
    if (sl_same_file(opts->in, opts->out))
        return sl_fail(err,
                       "rewrite: OUT %s is the same file as IN: refusing to overwrite the "
                       "input",
                       sl_u8(opts->out));
    sl_dll dll;
    if (!sl_dll_open(opts->dll, &dll, err))
        return false;
    char what[1024];
    snprintf(what, sizeof what, "%s", sl_u8(opts->in));

    uint8_t *in = NULL;
    size_t in_size = 0;
    sl_image img;
    output res = {0};
    bool ok = sl_file_read(opts->in, "program", &in, &in_size, err) &&
              sl_image_parse(&img, in, in_size, SL_LAYOUT_FILE, what, err) &&
              sl_dll_check_machine(&dll, what, img.machine, err);
    if (ok)
        ok = build_output(&img, &dll, what, &res, err);
    if (ok) {
        *exit_code = SL_EXIT_FAILED;
        ok = sl_file_write_replace(opts->out, res.data, res.size, err);
    }
    if (ok && res.dropped_signature)
        sl_print_err("km_sideload: note: removed the Authenticode signature (it no longer "
                     "matches the rewritten file)\n");
    if (ok && res.cleared_marker)
        sl_print_err("km_sideload: note: cleared the \"Wine builtin DLL\" marker so Wine loads "
                     "the copy as a native program\n");
    if (ok)
        *exit_code = 0;
    free(res.data);
    free(in);
    sl_dll_close(&dll);
    return ok;
}
