/*
 * What the api layer sets up when the DLL is loaded, called from the entry point in nt/. Kept
 * free of windows.h so the entry point's file includes only the NT declarations.
 */
#ifndef KM_API_PROCESS_ATTACH_H
#define KM_API_PROCESS_ATTACH_H

#include <stdbool.h>

/* Creates the process heap, reads the switches the environment sets (KM_STATS, KM_SNAPSHOT,
 * KM_SIDELOAD_SCOPE) and redirects other modules as module_scope.c says; self is this DLL's
 * base. False makes the DLL fail to load. */
bool km_api_process_attach(void *self);

/* At process exit: writes the call counts KM_STATS asked for, and the snapshot KM_SNAPSHOT
 * asks for. */
void km_api_process_detach(void);

/* When a thread ends: its cache in the process heap goes back to the heap. */
void km_api_thread_detach(void);

#endif
