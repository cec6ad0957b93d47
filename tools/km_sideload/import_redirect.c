/* The second half of the redirection: laying out the block from a plan (import_plan.h). Layout:
 * the descriptor array and its zero terminator, the kernel32_mem name, the new lookup tables
 * (8-aligned), then in the self-contained form the copied DLL names and hint/name entries (these
 * 2-aligned, as the PE format wants). One function both measures and writes (with no buffer it only
 * counts), so the size used for allocation and the bytes written cannot disagree. */
#include "import_redirect.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "import_plan.h"

typedef struct cursor {
    uint8_t *b;   /* NULL while measuring */
    uint64_t at;  /* next free offset in the block */
    uint32_t rva; /* block_rva */
} cursor;

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Reserves len bytes (copying src when writing) and returns their RVA. */
static uint32_t put(cursor *c, const void *src, size_t len, unsigned align)
{
    c->at = align_up(c->at, align);
    uint64_t off = c->at;
    if (c->b && src)
        memcpy(c->b + off, src, len);
    c->at += len;
    return c->rva + (uint32_t)off;
}

static void put_thunk(cursor *c, uint64_t off, uint32_t w, uint64_t v)
{
    if (!c->b)
        return;
    if (w == 8)
        sl_wr64(c->b + off, v);
    else
        sl_wr32(c->b + off, (uint32_t)v);
}

/* A copy of entry e's hint/name in the block; returns the new lookup value. */
static uint64_t copy_hint_name(cursor *c, const sl_import_entry *e)
{
    size_t len = strlen(e->fn) + 1;
    uint32_t rva = put(c, NULL, 2 + len, 2);
    if (c->b) {
        sl_wr16(c->b + (rva - c->rva), e->hint);
        memcpy(c->b + (rva - c->rva) + 2, e->fn, len);
    }
    return rva;
}

/* Emits the whole block; returns its size. Offsets are 64-bit so that measuring cannot wrap. */
static uint64_t emit(const sl_import_plan *pl, uint32_t w, const char *dll_name,
                     sl_import_form form, cursor *c)
{
    bool copy_all = form == SL_IMPORTS_SELF_CONTAINED;
    uint64_t desc_at =
        put(c, NULL, (pl->npieces + 1) * sizeof(IMAGE_IMPORT_DESCRIPTOR), 8) - c->rva;
    uint32_t ours_name = put(c, dll_name, strlen(dll_name) + 1, 1);
    /* The lookup tables first, so that their slots are reserved before the names they point at. */
    uint64_t *table_at = calloc(pl->npieces + 1, sizeof *table_at);
    if (!table_at)
        return 0;
    for (size_t i = 0; i < pl->npieces; i++)
        if (pl->pieces[i].rebuilt)
            table_at[i] = put(c, NULL, ((size_t)pl->pieces[i].count + 1) * w, 8) - c->rva;

    /* kernel32_mem's descriptors come first: the loader then loads and initializes it before
     * the program's other DLLs, so that it can redirect their imports (--scope process) before
     * their own initialization allocates anything. */
    size_t *order = calloc(pl->npieces + 1, sizeof *order);
    if (!order) {
        free(table_at);
        return 0;
    }
    size_t ordered = 0;
    for (size_t i = 0; i < pl->npieces; i++)
        if (pl->pieces[i].ours)
            order[ordered++] = i;
    for (size_t i = 0; i < pl->npieces; i++)
        if (!pl->pieces[i].ours)
            order[ordered++] = i;

    uint32_t last_name_src = 0, last_name = 0;
    for (size_t n = 0; n < pl->npieces; n++) {
        size_t i = order[n];
        const sl_import_piece *p = &pl->pieces[i];
        uint32_t name = p->ours ? ours_name : p->name;
        if (copy_all && !p->ours) {
            if (p->name != last_name_src) /* pieces of one original share its name */
                last_name = put(c, p->dll, strlen(p->dll) + 1, 1);
            last_name_src = p->name;
            name = last_name;
        }
        uint32_t oft = p->oft;
        if (p->rebuilt) {
            oft = c->rva + (uint32_t)table_at[i];
            for (uint32_t k = 0; k < p->count; k++) {
                const sl_import_entry *e = &pl->entries[p->first + k];
                uint64_t v = copy_all && e->fn ? copy_hint_name(c, e) : e->value;
                put_thunk(c, table_at[i] + (uint64_t)k * w, w, v);
            }
        }
        if (c->b) {
            uint8_t *d = c->b + desc_at + n * sizeof(IMAGE_IMPORT_DESCRIPTOR);
            sl_wr32(d + 0, oft);
            sl_wr32(d + 4, p->stamp);
            sl_wr32(d + 8, p->chain);
            sl_wr32(d + 12, name);
            sl_wr32(d + 16, p->first_thunk);
        }
    }
    free(order);
    free(table_at);
    return align_up(c->at, 8);
}

bool sl_imports_build(const sl_image *img, const sl_names *names, const char *dll_name,
                      uint32_t block_rva, sl_import_form form, sl_import_block *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    sl_import_plan pl;
    bool ok = sl_import_plan_make(&pl, img, names, form == SL_IMPORTS_SELF_CONTAINED, err);
    cursor c = {.rva = block_rva};
    uint64_t size = ok ? emit(&pl, img->thunk_size, dll_name, form, &c) : 0;
    if (ok && size == 0)
        ok = sl_fail(err, "out of memory");
    if (ok && (size > UINT32_MAX || block_rva + size > UINT32_MAX))
        ok = sl_fail(err, "the new import directory does not fit in the image's address range");
    if (ok) {
        c = (cursor){.b = calloc(1, (size_t)size), .rva = block_rva};
        if (!c.b || emit(&pl, img->thunk_size, dll_name, form, &c) != size) {
            free(c.b);
            ok = sl_fail(err, "out of memory");
        }
    }
    if (ok) {
        out->data = c.b;
        out->size = (uint32_t)size;
        out->dir_size = (uint32_t)((pl.npieces + 1) * sizeof(IMAGE_IMPORT_DESCRIPTOR));
        out->redirected = pl.redirected;
        out->kept = pl.kept;
    }
    sl_import_plan_free(&pl);
    return ok;
}

void sl_import_block_free(sl_import_block *block)
{
    free(block->data);
    memset(block, 0, sizeof *block);
}

bool sl_image_is_bound(const sl_image *img)
{
    uint32_t rva, size;
    return sl_image_dir(img, IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT, &rva, &size);
}
