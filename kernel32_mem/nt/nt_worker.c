#include "nt/nt_worker.h"

#include "nt/nt_named_objects.h"
#include "nt/ntdll.h"

#define KM_EVENT_ALL_ACCESS 0x1f0003

static NTSTATUS create_event(HANDLE *event, const WCHAR *name)
{
    km_nt_unicode_string string;
    km_nt_object_attributes attributes = {.length = sizeof attributes};
    if (name) {
        RtlInitUnicodeString(&string, name);
        attributes.root_directory = km_nt_named_objects_directory();
        attributes.object_name = &string;
        attributes.attributes = KM_NT_OBJ_OPENIF;
    }
    return NtCreateEvent(event, KM_EVENT_ALL_ACCESS, &attributes, KM_NT_SYNCHRONIZATION_EVENT,
                         FALSE);
}

static DWORD NTAPI run(void *parameter)
{
    km_nt_worker *worker = parameter;
    for (;;) {
        if (NtWaitForSingleObject(worker->wake, FALSE, NULL) != 0)
            return 0;
        worker->work();
        if (worker->done)
            NtSetEvent(worker->done, NULL);
    }
}

static void close_events(km_nt_worker *worker)
{
    if (worker->wake)
        NtClose(worker->wake);
    if (worker->done)
        NtClose(worker->done);
    worker->wake = worker->done = NULL;
}

bool km_nt_worker_start(km_nt_worker *worker, const WCHAR *wake_name, const WCHAR *done_name,
                        void (*work)(void))
{
    *worker = (km_nt_worker){.work = work};
    if (create_event(&worker->wake, wake_name) < 0 ||
        (done_name && create_event(&worker->done, done_name) < 0)) {
        close_events(worker);
        return false;
    }
    HANDLE thread;
    if (RtlCreateUserThread(KM_NT_CURRENT_PROCESS, NULL, FALSE, 0, 0, 0, run, worker, &thread,
                            NULL) < 0) {
        close_events(worker);
        return false;
    }
    NtClose(thread);
    return true;
}

void km_nt_worker_wake(km_nt_worker *worker)
{
    NtSetEvent(worker->wake, NULL);
}
