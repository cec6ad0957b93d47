/* The set of functions to redirect is exactly what the chosen kernel32_mem.dll exports: reading it
 * from the DLL's export table (instead of a list compiled into the tool) keeps the tool correct as
 * the DLL gains exports, and lets one tool serve an x86_64 and an i686 DLL. */
#ifndef PE_EXPORTS_H
#define PE_EXPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "sl_diag.h"

typedef struct sl_names {
    char **names; /* sorted (strcmp), pointing into storage */
    size_t count;
    char *storage;
    uint16_t machine; /* the DLL's IMAGE_FILE_MACHINE_* */
} sl_names;

/* Loads the export names of the DLL file at path. Fails when the file is missing, is not a PE DLL
 * of a supported machine, or exports nothing by name. */
bool sl_names_load(sl_names *set, const wchar_t *path, sl_err *err);

bool sl_names_has(const sl_names *set, const char *name);

void sl_names_free(sl_names *set);

#endif
