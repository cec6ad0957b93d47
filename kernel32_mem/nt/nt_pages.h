/*
 * The page provider of the DLL: the heap core's reservations and commits as private virtual
 * memory of the current process.
 */
#ifndef KM_NT_PAGES_H
#define KM_NT_PAGES_H

#include "core/pages.h"

/* The provider, ready to use; it keeps no state beyond the system's page sizes. */
km_pages *km_nt_pages(void);

#endif
