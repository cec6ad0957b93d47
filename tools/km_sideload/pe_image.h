/* A read-only view of a PE image held in a buffer, in either of its two shapes: as the file lies on
 * disk (sections at their PointerToRawData) or as the loader maps it (sections at their RVA). The
 * rest of km_sideload asks only for "the bytes at this RVA", so the import rewriting is written
 * once for the `run` verb (the child's mapped image) and the `rewrite` verb (the file). Every
 * accessor checks bounds and returns NULL rather than read outside the buffer: inputs may be
 * malformed. */
#ifndef PE_IMAGE_H
#define PE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_diag.h"

typedef enum sl_layout {
    SL_LAYOUT_FILE,
    SL_LAYOUT_MEMORY,
} sl_layout;

typedef struct sl_image {
    const uint8_t *data;
    size_t size;
    sl_layout layout;
    uint32_t pe_offset;       /* e_lfanew: the "PE\0\0" signature */
    uint32_t opt_offset;      /* start of the optional header */
    uint32_t opt_size;        /* SizeOfOptionalHeader */
    uint16_t machine;         /* IMAGE_FILE_MACHINE_* */
    uint16_t characteristics; /* IMAGE_FILE_* */
    bool is64;                /* PE32+ */
    uint32_t thunk_size;      /* 4 or 8: the width of an import lookup / IAT entry */
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint32_t dirs_offset; /* first data directory entry */
    uint32_t num_dirs;    /* usable data directory entries (at most 16) */
    uint32_t sections_offset;
    uint16_t num_sections;
} sl_image;

/* Parses and validates the headers of data[0..size). `what` names the input in messages. */
bool sl_image_parse(sl_image *img, const void *data, size_t size, sl_layout layout,
                    const char *what, sl_err *err);

/* The len bytes at rva, or NULL when any of them is outside the image (or, in file layout, in the
 * part of a section that has no file data). */
const uint8_t *sl_image_at(const sl_image *img, uint32_t rva, uint32_t len);

/* The NUL-terminated string at rva, or NULL unless it ends inside the image within max_len bytes.
 */
const char *sl_image_str(const sl_image *img, uint32_t rva, uint32_t max_len);

/* Data directory `index`; false (and zeros) when the image has no such entry or it is empty. */
bool sl_image_dir(const sl_image *img, unsigned index, uint32_t *rva, uint32_t *size);

/* Byte offset of data directory `index` from the start of the image: the headers sit at the same
 * offset in both layouts, so callers patch the entry there. 0 when the entry does not exist. */
uint32_t sl_image_dir_offset(const sl_image *img, unsigned index);

/* Offset of the optional header's CheckSum field (same place in PE32 and PE32+). */
uint32_t sl_image_checksum_offset(const sl_image *img);

/* Unaligned little-endian reads and writes of bytes the caller has bounds-checked. */
uint16_t sl_rd16(const uint8_t *p);
uint32_t sl_rd32(const uint8_t *p);
uint64_t sl_rd64(const uint8_t *p);
void sl_wr16(uint8_t *p, uint16_t v);
void sl_wr32(uint8_t *p, uint32_t v);
void sl_wr64(uint8_t *p, uint64_t v);

/* "x86_64", "i386", or "machine 0x1234" (static buffer for the last). */
const char *sl_machine_name(uint16_t machine);
/* "a 64-bit (x86_64)", "a 32-bit (i386)", "an unsupported (machine 0x1234)". */
const char *sl_machine_desc(uint16_t machine);

#endif
