#include "nt/nt_event_listener.h"

#include "nt/nt_named_objects.h"
#include "nt/ntdll.h"

#define KM_EVENT_ALL_ACCESS 0x1f0003

static HANDLE request_event;
static HANDLE done_event;
static void (*callback)(void);

static NTSTATUS create_event(HANDLE *event, const WCHAR *name)
{
    km_nt_unicode_string string;
    RtlInitUnicodeString(&string, name);
    km_nt_object_attributes attributes = {.length = sizeof attributes,
                                          .root_directory = km_nt_named_objects_directory(),
                                          .object_name = &string,
                                          .attributes = KM_NT_OBJ_OPENIF};
    return NtCreateEvent(event, KM_EVENT_ALL_ACCESS, &attributes, KM_NT_SYNCHRONIZATION_EVENT,
                         FALSE);
}

static DWORD NTAPI wait_for_requests(void *parameter)
{
    (void)parameter;
    for (;;) {
        if (NtWaitForSingleObject(request_event, FALSE, NULL) != 0)
            return 0;
        callback();
        NtSetEvent(done_event, NULL);
    }
}

bool km_nt_event_listener_start(const WCHAR *name, const WCHAR *done_name,
                                void (*on_signal)(void))
{
    if (request_event || create_event(&request_event, name) < 0)
        return false;
    if (create_event(&done_event, done_name) < 0) {
        NtClose(request_event);
        request_event = NULL;
        return false;
    }
    callback = on_signal;
    HANDLE thread;
    if (RtlCreateUserThread(KM_NT_CURRENT_PROCESS, NULL, FALSE, 0, 0, 0, wait_for_requests, NULL, &thread,
                            NULL) < 0) {
        NtClose(request_event);
        NtClose(done_event);
        request_event = done_event = NULL;
        return false;
    }
    NtClose(thread);
    return true;
}
