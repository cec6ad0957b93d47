#include "nt/nt_environment.h"

#include "nt/ntdll.h"

#define FILE_OPEN_IF_DISPOSITION 3
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

void km_nt_environment_remove(const WCHAR *name)
{
    km_nt_unicode_string key = unicode(name);
    RtlSetEnvironmentVariable(NULL, &key, NULL);
}

bool km_nt_append_file_open(km_nt_append_file *file, const WCHAR *path)
{
    km_nt_unicode_string nt_path;
    if (!RtlDosPathNameToNtPathName_U(path, &nt_path, NULL, NULL))
        return false;
    km_nt_object_attributes attributes = {
        .length = sizeof(attributes),
        .object_name = &nt_path,
        .attributes = OBJ_CASE_INSENSITIVE_ATTRIBUTE,
    };
    km_nt_io_status_block io;
    NTSTATUS status = NtCreateFile(
        &file->handle, FILE_APPEND_DATA | SYNCHRONIZE, &attributes, &io, NULL,
        FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN_IF_DISPOSITION,
        FILE_SYNCHRONOUS_IO_NONALERT_OPTION | FILE_NON_DIRECTORY_FILE_OPTION, NULL, 0);
    RtlFreeUnicodeString(&nt_path);
    return status == 0;
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
