/* The first half of the redirection (private to import_redirect.c): reading an image's import
 * directory into a plan, the list of descriptors to emit. Each planned descriptor ("piece") is
 * either an original copied as is or a run of consecutive entries of one original descriptor that
 * all go to the same DLL (the original one or kernel32_mem), with its own new lookup table.
 * Only this step reads the image, and every read is bounds-checked through sl_image_at. */
#ifndef IMPORT_PLAN_H
#define IMPORT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe_exports.h"
#include "pe_image.h"

typedef struct sl_import_entry {
    uint64_t value; /* the original lookup entry: a hint/name RVA or an ordinal */
    const char *fn; /* by name: the function name (inside the image buffer); NULL by ordinal */
    uint16_t hint;
    bool ours; /* kernel32_mem exports fn and the DLL is of the kernel32 family */
} sl_import_entry;

typedef struct sl_import_piece {
    uint32_t oft, stamp, chain, name, first_thunk; /* as the descriptor will say */
    const char *dll; /* the original DLL name (inside the image buffer) */
    bool ours;       /* names kernel32_mem instead of dll */
    bool rebuilt;    /* has a new lookup table: entries[first .. first + count) */
    uint32_t first, count;
} sl_import_piece;

typedef struct sl_import_plan {
    sl_import_piece *pieces;
    size_t npieces, piece_cap;
    sl_import_entry *entries;
    size_t nentries, entry_cap;
    bool bound;          /* the image had a BOUND_IMPORT directory: all bindings are zeroed */
    unsigned redirected; /* entries now taken from kernel32_mem */
    unsigned kept;       /* entries of kernel32-family DLLs left where they were */
} sl_import_plan;

/* Plans the new directory. With rebuild_all, every descriptor whose lookup table can be read gets
 * a rebuilt piece (so that the block can carry copies of all the tables and names); otherwise only
 * descriptors with something to redirect are split, and the others are copied. */
bool sl_import_plan_make(sl_import_plan *pl, const sl_image *img, const sl_names *names,
                         bool rebuild_all, sl_err *err);

void sl_import_plan_free(sl_import_plan *pl);

#endif
