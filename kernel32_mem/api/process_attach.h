/*
 * What the api layer sets up when the DLL is loaded, called from the entry point in nt/. Kept
 * free of windows.h so the entry point's file includes only the NT declarations.
 */
#ifndef KM_API_PROCESS_ATTACH_H
#define KM_API_PROCESS_ATTACH_H

#include <stdbool.h>

/* Creates the process heap; false makes the DLL fail to load. */
bool km_api_process_attach(void);

#endif
