/* Whole-file input and output for km_sideload. Inputs are read into memory in one piece (programs
 * and DLLs are small) so the PE code never touches a handle; the output is written beside its
 * destination under a temporary name and moved into place, so a failed rewrite never leaves a
 * half-written OUT and never touches IN. */
#ifndef SL_FILE_H
#define SL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "sl_diag.h"

/* Reads all of path into a malloc'd buffer. `what` ("program", "DLL") names it in messages. */
bool sl_file_read(const wchar_t *path, const char *what, uint8_t **data, size_t *size, sl_err *err);

/* Writes data to path+".tmp", then moves it over path (replacing an existing file). */
bool sl_file_write_replace(const wchar_t *path, const void *data, size_t size, sl_err *err);

/* The absolute form of path (malloc'd), or NULL. */
wchar_t *sl_full_path(const wchar_t *path);

/* True when a and b name the same file: equal full paths (ignoring case), or, when both exist,
 * the same volume serial number and file index (hard links, other spellings, Z: vs C:). */
bool sl_same_file(const wchar_t *a, const wchar_t *b);

#endif
