#include "nt/nt_environment.h"

#include "nt/ntdll.h"

#define FILE_OPEN_IF_DISPOSITION 3
#define FILE_OVERWRITE_IF_DISPOSITION 5
#define FILE_SYNCHRONOUS_IO_NONALERT_OPTION 0x20
#define FILE_NON_DIRECTORY_FILE_OPTION 0x40
#define OBJ_CASE_INSENSITIVE_ATTRIBUTE 0x40

static km_nt_unicode_string unicode(const WCHAR *text)
{
    km_nt_unicode_string string;
    RtlInitUnicodeString(&string, text);
    return string;
}

bool km_nt_environment_get(const WCHAR *name, WCHAR *value, size_t capacity)
{
    if (capacity < 1)
        return false;
    km_nt_unicode_string key = unicode(name);
    size_t bytes = (capacity - 1) * sizeof(WCHAR);
    km_nt_unicode_string result = {
        .length = 0,
        .maximum_length = (USHORT)(bytes > 0xfffe ? 0xfffe : bytes),
        .buffer = value,
    };
    if (RtlQueryEnvironmentVariable_U(NULL, &key, &result) != 0)
        return false;
    value[result.length / sizeof(WCHAR)] = 0;
    return true;
}

ULONG_PTR km_nt_current_process_id(void)
{
    return km_nt_process_id();
}

ULONG_PTR km_nt_current_thread_id(void)
{
    return km_nt_thread_id();
}

km_nt_clock_reference km_nt_clock_now(void)
{
    LARGE_INTEGER counter, frequency;
    RtlQueryPerformanceFrequency(&frequency);
    uint64_t ticks = km_nt_clock_ticks();
    RtlQueryPerformanceCounter(&counter);
    uint64_t f = frequency.QuadPart > 0 ? (uint64_t)frequency.QuadPart : 1;
    uint64_t c = (uint64_t)counter.QuadPart;
    return (km_nt_clock_reference){ticks, c / f * 1000000000u + c % f * 1000000000u / f};
}

void km_nt_sleep(uint32_t milliseconds)
{
    LARGE_INTEGER interval = {.QuadPart = -(LONGLONG)milliseconds * 10000};
    NtDelayExecution(FALSE, &interval);
}

void km_nt_environment_remove(const WCHAR *name)
{
    km_nt_unicode_string key = unicode(name);
    RtlSetEnvironmentVariable(NULL, &key, NULL);
}

#define KM_STATUS_OBJECT_PATH_SYNTAX_BAD ((NTSTATUS)0xC000003BL)

/* Opens the file at a Win32 path for synchronous writes, with the given access and disposition. */
static NTSTATUS open_for_writing(HANDLE *file, const WCHAR *path, ACCESS_MASK access,
                                 ULONG disposition)
{
    km_nt_unicode_string nt_path;
    if (!RtlDosPathNameToNtPathName_U(path, &nt_path, NULL, NULL))
        return KM_STATUS_OBJECT_PATH_SYNTAX_BAD;
    km_nt_object_attributes attributes = {
        .length = sizeof(attributes),
        .object_name = &nt_path,
        .attributes = OBJ_CASE_INSENSITIVE_ATTRIBUTE,
    };
    km_nt_io_status_block io;
    NTSTATUS status = NtCreateFile(
        file, access | SYNCHRONIZE, &attributes, &io, NULL, FILE_ATTRIBUTE_NORMAL,
        FILE_SHARE_READ | FILE_SHARE_WRITE, disposition,
        FILE_SYNCHRONOUS_IO_NONALERT_OPTION | FILE_NON_DIRECTORY_FILE_OPTION, NULL, 0);
    RtlFreeUnicodeString(&nt_path);
    return status;
}

bool km_nt_append_file_open(km_nt_append_file *file, const WCHAR *path)
{
    return open_for_writing(&file->handle, path, FILE_APPEND_DATA, FILE_OPEN_IF_DISPOSITION) == 0;
}

NTSTATUS km_nt_file_replace(const WCHAR *path, const void *data, size_t length)
{
    HANDLE file;
    NTSTATUS status = open_for_writing(&file, path, GENERIC_WRITE, FILE_OVERWRITE_IF_DISPOSITION);
    if (status < 0)
        return status;
    /* One write takes at most a ULONG's worth of bytes. */
    const size_t chunk = (size_t)1 << 30;
    for (size_t done = 0; done < length && status >= 0; done += chunk) {
        size_t part = length - done < chunk ? length - done : chunk;
        km_nt_io_status_block io;
        status = NtWriteFile(file, NULL, NULL, NULL, &io, (const char *)data + done, (ULONG)part,
                             NULL, NULL);
    }
    NtClose(file);
    return status < 0 ? status : 0;
}

void km_nt_append_file_write(km_nt_append_file *file, const char *text, size_t length)
{
    km_nt_io_status_block io;
    NtWriteFile(file->handle, NULL, NULL, NULL, &io, text, (ULONG)length, NULL, NULL);
}

void km_nt_append_file_close(km_nt_append_file *file)
{
    NtClose(file->handle);
}
