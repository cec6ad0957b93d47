/*
 * The paths users give in the environment for what the DLL writes (KM_SNAPSHOT, KM_TRACE):
 * "%p" stands for the process id, "%n" for a count the caller keeps, "%%" for "%"; any other
 * "%" is itself. A value longer than KM_PATH_PATTERN_MAX characters is ignored, as unset.
 */
#ifndef KM_API_PATH_PATTERN_H
#define KM_API_PATH_PATTERN_H

#include "api/win32.h"

#include <stdbool.h>
#include <stddef.h>

#define KM_PATH_PATTERN_MAX 1024
#define KM_EXPANDED_PATH_MAX 2048

/* Writes number's decimal digits at `at` (room for 10) and returns the end. */
WCHAR *km_put_decimal(WCHAR *at, unsigned long number);

/* Expands the pattern into path (capacity characters with the terminator); false when the
 * result would not fit. */
bool km_expand_path_pattern(const WCHAR *pattern, unsigned long count, WCHAR *path,
                            size_t capacity);

#endif
