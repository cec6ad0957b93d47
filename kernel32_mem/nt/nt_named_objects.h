/*
 * The session's named-object directory, "\Sessions\<id>\BaseNamedObjects", where kernel32
 * resolves the names of sections, events and the like; "Local\" and "Global\" are links that
 * Windows (and Wine) keep inside it, so a name relative to it resolves as kernel32's would.
 */
#ifndef KM_NT_NAMED_OBJECTS_H
#define KM_NT_NAMED_OBJECTS_H

#include "nt/nt_types.h"

/* The directory's handle, for an OBJECT_ATTRIBUTES root; NULL when it cannot be opened. */
HANDLE km_nt_named_objects_directory(void);

#endif
