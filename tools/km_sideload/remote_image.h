/* The child's side of `run`: everything done to a process created suspended, before its first
 * instruction. Its main image is already mapped (the loader has not run yet), so the image is read
 * in memory layout, a new import block is placed in free memory above it (within 2 GiB, since a
 * data directory holds a 32-bit RVA), and the header's import directory is pointed at the block. */
#ifndef REMOTE_IMAGE_H
#define REMOTE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <windows.h>

#include "sl_diag.h"

typedef struct sl_remote_image {
    uintptr_t base; /* where the child's main image is mapped */
    uint8_t *copy;  /* malloc'd copy of its SizeOfImage bytes (unreadable pages read as zero) */
    size_t size;
} sl_remote_image;

/* Finds the child's main image through its PEB and copies it. */
bool sl_remote_image_read(HANDLE proc, sl_remote_image *img, sl_err *err);

void sl_remote_image_free(sl_remote_image *img);

/* Reserves and commits size bytes of read-write memory at a 64 KiB-aligned free address above the
 * image, such that the whole block is less than 2 GiB from the image base. */
bool sl_remote_alloc_near(HANDLE proc, const sl_remote_image *img, size_t size, uintptr_t *where,
                          sl_err *err);

/* Writes len bytes at the image offset `offset` of the headers, which the loader maps read-only:
 * the page is made writable for the write and given its protection back afterwards. */
bool sl_remote_patch_header(HANDLE proc, const sl_remote_image *img, uint32_t offset,
                            const void *data, size_t len, sl_err *err);

#endif
