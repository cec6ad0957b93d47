/*
 * CreateMemoryResourceNotification and QueryMemoryResourceNotification: a handle to one of the
 * kernel's memory-condition events, which a program waits on or polls to learn that physical
 * memory has run low (or is plentiful). The handle allows waiting and querying only.
 */
#include "api/win32.h"

#include "api/export_stats.h"

#include "nt/nt_error.h"
#include "nt/nt_memory_condition.h"

HANDLE WINAPI CreateMemoryResourceNotification(MEMORY_RESOURCE_NOTIFICATION_TYPE type)
{
    KM_COUNT_CALL(CreateMemoryResourceNotification);
    if (type != LowMemoryResourceNotification && type != HighMemoryResourceNotification) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    HANDLE event = NULL;
    NTSTATUS status = km_nt_memory_condition_open(type == HighMemoryResourceNotification, &event);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return NULL;
    }
    return event;
}

BOOL WINAPI QueryMemoryResourceNotification(HANDLE notification, PBOOL state)
{
    KM_COUNT_CALL(QueryMemoryResourceNotification);
    if (!state) {
        km_nt_set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    BOOL signalled = FALSE;
    NTSTATUS status = km_nt_memory_condition_query(notification, &signalled);
    if (km_nt_failed(status)) {
        km_nt_set_last_status(status);
        return FALSE;
    }
    *state = signalled;
    return TRUE;
}
