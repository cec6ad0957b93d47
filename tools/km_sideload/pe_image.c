/* Header validation and RVA lookup for sl_image. Field positions come from winnt.h's structures
 * (through offsetof), but fields are always copied out with memcpy-style reads: a buffer read from
 * a file or another process has no alignment guarantee, and each read is preceded by a bounds check
 * against the buffer so a truncated or hostile file fails with a message instead of a crash. */
#include "pe_image.h"

#include <stdio.h>
#include <string.h>
#include <windows.h>

uint16_t sl_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t sl_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t sl_rd64(const uint8_t *p)
{
    return (uint64_t)sl_rd32(p) | (uint64_t)sl_rd32(p + 4) << 32;
}

void sl_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void sl_wr32(uint8_t *p, uint32_t v)
{
    sl_wr16(p, (uint16_t)v);
    sl_wr16(p + 2, (uint16_t)(v >> 16));
}

void sl_wr64(uint8_t *p, uint64_t v)
{
    sl_wr32(p, (uint32_t)v);
    sl_wr32(p + 4, (uint32_t)(v >> 32));
}

const char *sl_machine_name(uint16_t machine)
{
    static char other[32];
    switch (machine) {
    case IMAGE_FILE_MACHINE_AMD64: return "x86_64";
    case IMAGE_FILE_MACHINE_I386: return "i386";
    default: snprintf(other, sizeof other, "machine 0x%04X", machine); return other;
    }
}

const char *sl_machine_desc(uint16_t machine)
{
    static char other[48];
    switch (machine) {
    case IMAGE_FILE_MACHINE_AMD64: return "a 64-bit (x86_64)";
    case IMAGE_FILE_MACHINE_I386: return "a 32-bit (i386)";
    default:
        snprintf(other, sizeof other, "an unsupported (machine 0x%04X)", machine);
        return other;
    }
}

static bool in_buffer(const sl_image *img, uint64_t off, uint64_t len)
{
    return off <= img->size && len <= img->size - off;
}

static bool is_power_of_two(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

bool sl_image_parse(sl_image *img, const void *data, size_t size, sl_layout layout,
                    const char *what, sl_err *err)
{
    const uint8_t *b = data;
    memset(img, 0, sizeof *img);
    img->data = b;
    img->size = size;
    img->layout = layout;

    if (size < sizeof(IMAGE_DOS_HEADER) || sl_rd16(b) != IMAGE_DOS_SIGNATURE)
        return sl_fail(err, "%s is not a PE file (no MZ header)", what);
    img->pe_offset = sl_rd32(b + offsetof(IMAGE_DOS_HEADER, e_lfanew));
    if (!in_buffer(img, img->pe_offset, 4 + sizeof(IMAGE_FILE_HEADER)) ||
        sl_rd32(b + img->pe_offset) != IMAGE_NT_SIGNATURE)
        return sl_fail(err, "%s is not a PE file (no PE signature)", what);

    const uint8_t *fh = b + img->pe_offset + 4;
    img->machine = sl_rd16(fh + offsetof(IMAGE_FILE_HEADER, Machine));
    img->num_sections = sl_rd16(fh + offsetof(IMAGE_FILE_HEADER, NumberOfSections));
    img->opt_size = sl_rd16(fh + offsetof(IMAGE_FILE_HEADER, SizeOfOptionalHeader));
    img->characteristics = sl_rd16(fh + offsetof(IMAGE_FILE_HEADER, Characteristics));
    img->opt_offset = img->pe_offset + 4 + (uint32_t)sizeof(IMAGE_FILE_HEADER);
    if (img->opt_size < 2 || !in_buffer(img, img->opt_offset, img->opt_size))
        return sl_fail(err, "%s: truncated PE optional header", what);

    const uint8_t *oh = b + img->opt_offset;
    uint16_t magic = sl_rd16(oh);
    uint32_t fixed;
    if (magic == IMAGE_NT_OPTIONAL_HDR64_MAGIC) {
        img->is64 = true;
        img->thunk_size = 8;
        fixed = offsetof(IMAGE_OPTIONAL_HEADER64, DataDirectory);
    } else if (magic == IMAGE_NT_OPTIONAL_HDR32_MAGIC) {
        img->thunk_size = 4;
        fixed = offsetof(IMAGE_OPTIONAL_HEADER32, DataDirectory);
    } else {
        return sl_fail(err, "%s: unknown PE optional header magic 0x%04X", what, magic);
    }
    if (img->opt_size < fixed)
        return sl_fail(err, "%s: truncated PE optional header", what);
    if ((img->machine == IMAGE_FILE_MACHINE_AMD64 && !img->is64) ||
        (img->machine == IMAGE_FILE_MACHINE_I386 && img->is64))
        return sl_fail(err, "%s: machine %s does not match its %s optional header", what,
                       sl_machine_name(img->machine), img->is64 ? "PE32+" : "PE32");

    /* These fields sit at the same offsets in PE32 and PE32+. */
    _Static_assert(offsetof(IMAGE_OPTIONAL_HEADER32, SizeOfImage) ==
                       offsetof(IMAGE_OPTIONAL_HEADER64, SizeOfImage),
                   "SizeOfImage offset");
    _Static_assert(offsetof(IMAGE_OPTIONAL_HEADER32, CheckSum) ==
                       offsetof(IMAGE_OPTIONAL_HEADER64, CheckSum),
                   "CheckSum offset");
    img->section_alignment = sl_rd32(oh + offsetof(IMAGE_OPTIONAL_HEADER32, SectionAlignment));
    img->file_alignment = sl_rd32(oh + offsetof(IMAGE_OPTIONAL_HEADER32, FileAlignment));
    img->size_of_image = sl_rd32(oh + offsetof(IMAGE_OPTIONAL_HEADER32, SizeOfImage));
    img->size_of_headers = sl_rd32(oh + offsetof(IMAGE_OPTIONAL_HEADER32, SizeOfHeaders));
    uint32_t stated_dirs =
        sl_rd32(oh + (img->is64 ? offsetof(IMAGE_OPTIONAL_HEADER64, NumberOfRvaAndSizes)
                                : offsetof(IMAGE_OPTIONAL_HEADER32, NumberOfRvaAndSizes)));
    uint32_t room = (img->opt_size - fixed) / sizeof(IMAGE_DATA_DIRECTORY);
    img->num_dirs = stated_dirs < room ? stated_dirs : room;
    if (img->num_dirs > IMAGE_NUMBEROF_DIRECTORY_ENTRIES)
        img->num_dirs = IMAGE_NUMBEROF_DIRECTORY_ENTRIES;
    img->dirs_offset = img->opt_offset + fixed;

    if (!is_power_of_two(img->section_alignment) || !is_power_of_two(img->file_alignment))
        return sl_fail(err, "%s: section or file alignment is not a power of two", what);
    img->sections_offset = img->opt_offset + img->opt_size;
    if (!in_buffer(img, img->sections_offset,
                   (uint64_t)img->num_sections * sizeof(IMAGE_SECTION_HEADER)))
        return sl_fail(err, "%s: truncated section table", what);
    if (img->size_of_headers > img->size_of_image ||
        (layout == SL_LAYOUT_MEMORY && img->size_of_image > size))
        return sl_fail(err, "%s: inconsistent SizeOfHeaders/SizeOfImage", what);
    return true;
}

/* In file layout, finds where the bytes of [rva, rva+len) lie in the file. */
static bool file_offset(const sl_image *img, uint32_t rva, uint32_t len, uint64_t *off)
{
    uint64_t end = (uint64_t)rva + len;
    if (end <= img->size_of_headers) {
        *off = rva;
        return true;
    }
    for (unsigned i = 0; i < img->num_sections; i++) {
        const uint8_t *sh = img->data + img->sections_offset + i * sizeof(IMAGE_SECTION_HEADER);
        uint32_t va = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, VirtualAddress));
        uint32_t vsize = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, Misc.VirtualSize));
        uint32_t raw_size = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, SizeOfRawData));
        uint32_t raw_ptr = sl_rd32(sh + offsetof(IMAGE_SECTION_HEADER, PointerToRawData));
        uint32_t span = vsize ? vsize : raw_size;
        if (rva < va || rva - va >= span)
            continue;
        uint32_t in_file = raw_size < span ? raw_size : span;
        if (end > (uint64_t)va + in_file)
            return false;
        *off = (uint64_t)raw_ptr + (rva - va);
        return true;
    }
    return false;
}

const uint8_t *sl_image_at(const sl_image *img, uint32_t rva, uint32_t len)
{
    uint64_t off = rva;
    if (img->layout == SL_LAYOUT_FILE && !file_offset(img, rva, len, &off))
        return NULL;
    if (img->layout == SL_LAYOUT_MEMORY && (uint64_t)rva + len > img->size_of_image)
        return NULL;
    return in_buffer(img, off, len) ? img->data + off : NULL;
}

const char *sl_image_str(const sl_image *img, uint32_t rva, uint32_t max_len)
{
    /* Probe forward a byte at a time: a string may cross a section's end, where the next byte
     * lives somewhere else in a file-layout buffer (or nowhere). */
    const uint8_t *start = sl_image_at(img, rva, 1);
    if (!start)
        return NULL;
    for (uint32_t i = 0; i < max_len; i++) {
        const uint8_t *p = sl_image_at(img, rva + i, 1);
        if (!p || p != start + i)
            return NULL;
        if (*p == 0)
            return (const char *)start;
    }
    return NULL;
}

uint32_t sl_image_dir_offset(const sl_image *img, unsigned index)
{
    if (index >= img->num_dirs)
        return 0;
    return img->dirs_offset + index * (uint32_t)sizeof(IMAGE_DATA_DIRECTORY);
}

bool sl_image_dir(const sl_image *img, unsigned index, uint32_t *rva, uint32_t *size)
{
    uint32_t off = sl_image_dir_offset(img, index);
    *rva = off ? sl_rd32(img->data + off) : 0;
    *size = off ? sl_rd32(img->data + off + 4) : 0;
    return *rva != 0 || *size != 0;
}

uint32_t sl_image_checksum_offset(const sl_image *img)
{
    return img->opt_offset + (uint32_t)offsetof(IMAGE_OPTIONAL_HEADER32, CheckSum);
}
