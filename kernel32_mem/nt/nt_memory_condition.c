#include "nt/nt_memory_condition.h"

#include "nt/ntdll.h"

#define KM_EVENT_QUERY_STATE 0x0001 /* winnt.h names only the modify right */
#define KM_CONDITION_ACCESS (SYNCHRONIZE | KM_EVENT_QUERY_STATE)

NTSTATUS km_nt_memory_condition_open(BOOL high, HANDLE *event)
{
    km_nt_unicode_string name;
    RtlInitUnicodeString(&name, high ? L"\\KernelObjects\\HighMemoryCondition"
                                     : L"\\KernelObjects\\LowMemoryCondition");
    km_nt_object_attributes attributes = {.length = sizeof attributes, .object_name = &name};
    return NtOpenEvent(event, KM_CONDITION_ACCESS, &attributes);
}

NTSTATUS km_nt_memory_condition_query(HANDLE event, BOOL *signalled)
{
    km_nt_event_basic_information info;
    NTSTATUS status =
        NtQueryEvent(event, KM_NT_EVENT_BASIC_INFORMATION, &info, sizeof info, NULL);
    if (status == 0)
        *signalled = info.event_state != 0;
    return status;
}
