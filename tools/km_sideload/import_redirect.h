/* The redirection itself, shared by both verbs: from an image's import directory, build a new one
 * in which every by-name import of a kernel32-family DLL (kernel32, kernelbase, api-ms-win-*,
 * ext-ms-win-*) that kernel32_mem exports is taken from kernel32_mem instead.
 *
 * The program's code calls through its IAT slots, so those must not move. A descriptor's IAT is
 * therefore cut into runs: each run of consecutive slots with the same target becomes a descriptor
 * of its own whose FirstThunk points into the middle of the original IAT and whose new lookup table
 * (copied entries, then a zero) has exactly as many entries as the run, which is how many slots the
 * loader fills. What the new directory needs that the image lacks (descriptor array, lookup
 * tables, the kernel32_mem name) lives in one block that the caller places at block_rva. */
#ifndef IMPORT_REDIRECT_H
#define IMPORT_REDIRECT_H

#include <stdbool.h>
#include <stdint.h>

#include "pe_exports.h"
#include "pe_image.h"

typedef enum sl_import_form {
    /* The block refers to the image's own hint/name entries and DLL names, and descriptors with
     * nothing to redirect are copied as they are: the smallest block (for `run`). */
    SL_IMPORTS_MINIMAL,
    /* Every lookup table, hint/name entry and DLL name is copied into the block too, so the whole
     * import directory lies in one section. The loader does not need it, but tools that read
     * imports only from the section holding the directory do (binutils' objdump -p). */
    SL_IMPORTS_SELF_CONTAINED,
} sl_import_form;

typedef struct sl_import_block {
    uint8_t *data;       /* malloc'd; place at block_rva */
    uint32_t size;       /* bytes of data */
    uint32_t dir_size;   /* for the IMPORT data directory: descriptors including the terminator */
    unsigned redirected; /* imports now taken from kernel32_mem */
    unsigned kept;       /* kernel32-family imports left alone (by ordinal, or not ours) */
} sl_import_block;

/* Builds the block for an image whose new import directory will start at block_rva (the size
 * does not depend on block_rva, so callers may build once with 0 to learn it). dll_name is the
 * string the new descriptors name: a plain file name or a full path. A result with redirected == 0
 * is not an error here: the caller words that message. */
bool sl_imports_build(const sl_image *img, const sl_names *names, const char *dll_name,
                      uint32_t block_rva, sl_import_form form, sl_import_block *out, sl_err *err);

void sl_import_block_free(sl_import_block *block);

/* True when the image has a BOUND_IMPORT directory (the new directory then zeroes all bindings). */
bool sl_image_is_bound(const sl_image *img);

#endif
