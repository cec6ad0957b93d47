/*
 * The ntdll.dll functions the NT backend calls, declared here because mingw-w64's headers either
 * lack them (the Nt*VirtualMemory family) or declare them only in winternl.h, which drags in
 * definitions that clash with windows.h. Signatures follow the Windows DDK documentation.
 * Only files in kernel32_mem/nt/ include this header.
 */
#ifndef KM_NT_NTDLL_H
#define KM_NT_NTDLL_H

#include "core/thread_id.h"
#include "nt/nt_types.h"

/* The current process, as NtCurrentProcess() names it in the DDK. */
#define KM_NT_CURRENT_PROCESS ((HANDLE)(LONG_PTR)-1)

typedef enum km_nt_memory_information_class {
    KM_NT_MEMORY_BASIC_INFORMATION = 0,
    KM_NT_MEMORY_WORKING_SET_INFORMATION = 1,
    KM_NT_MEMORY_WORKING_SET_EX_INFORMATION = 4,
} km_nt_memory_information_class;

typedef enum km_nt_system_information_class {
    KM_NT_SYSTEM_BASIC_INFORMATION = 0,
    KM_NT_SYSTEM_PERFORMANCE_INFORMATION = 2,
    KM_NT_SYSTEM_FILE_CACHE_INFORMATION_EX = 81,
} km_nt_system_information_class;

typedef enum km_nt_process_information_class {
    KM_NT_PROCESS_QUOTA_LIMITS = 1,
    KM_NT_PROCESS_VM_COUNTERS = 3,
} km_nt_process_information_class;

/* SYSTEM_BASIC_INFORMATION, whose layout the DDK documents. */
typedef struct km_nt_system_basic_information {
    ULONG reserved;
    ULONG timer_resolution;
    ULONG page_size;
    ULONG physical_pages;
    ULONG lowest_physical_page;
    ULONG highest_physical_page;
    ULONG allocation_granularity;
    ULONG_PTR lowest_user_address;
    ULONG_PTR highest_user_address;
    ULONG_PTR active_processors;
    CCHAR processor_count;
} km_nt_system_basic_information;

NTSTATUS NTAPI NtAllocateVirtualMemory(HANDLE process, PVOID *base, ULONG_PTR zero_bits,
                                       PSIZE_T size, ULONG type, ULONG protect);
NTSTATUS NTAPI NtFreeVirtualMemory(HANDLE process, PVOID *base, PSIZE_T size, ULONG type);
NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE process, LPCVOID address,
                                    km_nt_memory_information_class info_class, PVOID info,
                                    SIZE_T info_length, PSIZE_T return_length);
NTSTATUS NTAPI NtProtectVirtualMemory(HANDLE process, PVOID *base, PSIZE_T size, ULONG protect,
                                      PULONG old_protect);
NTSTATUS NTAPI NtLockVirtualMemory(HANDLE process, PVOID *base, PSIZE_T size, ULONG map_type);
NTSTATUS NTAPI NtUnlockVirtualMemory(HANDLE process, PVOID *base, PSIZE_T size, ULONG map_type);
NTSTATUS NTAPI NtGetWriteWatch(HANDLE process, ULONG flags, PVOID base, SIZE_T size,
                               PVOID *addresses, PULONG_PTR count, PULONG granularity);
NTSTATUS NTAPI NtResetWriteWatch(HANDLE process, PVOID base, SIZE_T size);
NTSTATUS NTAPI NtFlushInstructionCache(HANDLE process, LPCVOID base, SIZE_T size);

/* NtSetInformationVirtualMemory's class for prefetching (VmPrefetchInformation). */
#define KM_NT_VM_PREFETCH_INFORMATION 0
NTSTATUS NTAPI NtSetInformationVirtualMemory(HANDLE process, ULONG info_class, ULONG_PTR count,
                                             PWIN32_MEMORY_RANGE_ENTRY ranges, PVOID info,
                                             ULONG info_length);
NTSTATUS NTAPI NtQuerySystemInformation(km_nt_system_information_class info_class, PVOID info,
                                        ULONG info_length, PULONG return_length);
NTSTATUS NTAPI NtSetSystemInformation(km_nt_system_information_class info_class, PVOID info,
                                      ULONG info_length);
NTSTATUS NTAPI NtQueryInformationProcess(HANDLE process, km_nt_process_information_class info_class,
                                         PVOID info, ULONG info_length, PULONG return_length);
NTSTATUS NTAPI NtSetInformationProcess(HANDLE process, km_nt_process_information_class info_class,
                                       PVOID info, ULONG info_length);

/* The calling thread's TEB, read without a call: the TEB begins with an NT_TIB whose Self field
 * holds its address, which is also the heap lock's thread id (core/thread_id.h reads it). */
static inline const unsigned char *km_nt_teb(void)
{
    return (const unsigned char *)km_thread_id();
}

/* Offsets the DDK documents, the same on every Windows version (and in Wine). */
#if defined(__x86_64__)
#define KM_NT_TEB_PEB 0x60
#define KM_NT_TEB_STACK_LIMIT 0x10
#define KM_NT_TEB_DEALLOCATION_STACK 0x1478
#define KM_NT_TEB_PROCESS_ID 0x40
#define KM_NT_TEB_THREAD_ID 0x48
#define KM_NT_PEB_BEING_DEBUGGED 0x2
#define KM_NT_PEB_IMAGE_BASE 0x10
#define KM_NT_PEB_GLOBAL_FLAG 0xbc
#define KM_NT_PEB_LOADER_DATA 0x18
#define KM_NT_PEB_PROCESS_HEAP 0x30
#define KM_NT_PEB_SESSION_ID 0x2c0
#else
#define KM_NT_TEB_PEB 0x30
#define KM_NT_TEB_STACK_LIMIT 0x08
#define KM_NT_TEB_DEALLOCATION_STACK 0xe0c
#define KM_NT_TEB_PROCESS_ID 0x20
#define KM_NT_TEB_THREAD_ID 0x24
#define KM_NT_PEB_BEING_DEBUGGED 0x2
#define KM_NT_PEB_IMAGE_BASE 0x8
#define KM_NT_PEB_GLOBAL_FLAG 0x68
#define KM_NT_PEB_LOADER_DATA 0xc
#define KM_NT_PEB_PROCESS_HEAP 0x18
#define KM_NT_PEB_SESSION_ID 0x1d4
#endif

static inline const unsigned char *km_nt_peb(void)
{
    return *(const unsigned char *const *)(km_nt_teb() + KM_NT_TEB_PEB);
}

/* This process's id (TEB.ClientId.UniqueProcess). */
static inline ULONG_PTR km_nt_process_id(void)
{
    return *(const ULONG_PTR *)(km_nt_teb() + KM_NT_TEB_PROCESS_ID);
}

/* The calling thread's id (TEB.ClientId.UniqueThread). */
static inline ULONG_PTR km_nt_thread_id(void)
{
    return *(const ULONG_PTR *)(km_nt_teb() + KM_NT_TEB_THREAD_ID);
}

/* The system's process heap (PEB.ProcessHeap), which is what GetProcessHeap returns. */
static inline HANDLE km_nt_peb_process_heap(void)
{
    return *(HANDLE const *)(km_nt_peb() + KM_NT_PEB_PROCESS_HEAP);
}

/* The session this process runs in (PEB.SessionId). */
static inline ULONG km_nt_session_id(void)
{
    return *(const ULONG *)(km_nt_peb() + KM_NT_PEB_SESSION_ID);
}

/* The base address of this process's main image (PEB.ImageBaseAddress). */
static inline void *km_nt_image_base(void)
{
    return *(void *const *)(km_nt_peb() + KM_NT_PEB_IMAGE_BASE);
}
/* UNICODE_STRING, OBJECT_ATTRIBUTES and IO_STATUS_BLOCK, as the DDK lays them out. */
typedef struct km_nt_unicode_string {
    USHORT length; /* bytes, without a terminator */
    USHORT maximum_length;
    PWSTR buffer;
} km_nt_unicode_string;

typedef struct km_nt_object_attributes {
    ULONG length;
    HANDLE root_directory;
    km_nt_unicode_string *object_name;
    ULONG attributes;
    PVOID security_descriptor;
    PVOID security_quality_of_service;
} km_nt_object_attributes;

typedef struct km_nt_io_status_block {
    union {
        NTSTATUS status;
        PVOID pointer;
    };
    ULONG_PTR information;
} km_nt_io_status_block;

#define KM_NT_OBJ_INHERIT 0x00000002
#define KM_NT_OBJ_OPENIF 0x00000080
#define KM_NT_VIEW_SHARE 1

NTSTATUS NTAPI NtCreateSection(PHANDLE section, ACCESS_MASK access,
                               const km_nt_object_attributes *attributes,
                               const LARGE_INTEGER *maximum_size, ULONG protect,
                               ULONG allocation_attributes, HANDLE file);
NTSTATUS NTAPI NtOpenSection(PHANDLE section, ACCESS_MASK access,
                             const km_nt_object_attributes *attributes);
NTSTATUS NTAPI NtMapViewOfSection(HANDLE section, HANDLE process, PVOID *base, ULONG_PTR zero_bits,
                                  SIZE_T commit_size, const LARGE_INTEGER *offset,
                                  PSIZE_T view_size, ULONG inherit, ULONG allocation_type,
                                  ULONG protect);
NTSTATUS NTAPI NtUnmapViewOfSection(HANDLE process, PVOID base);
NTSTATUS NTAPI NtUnmapViewOfSectionEx(HANDLE process, PVOID base, ULONG flags);
NTSTATUS NTAPI NtFlushVirtualMemory(HANDLE process, PVOID *base, PSIZE_T size,
                                    km_nt_io_status_block *io_status);
NTSTATUS NTAPI NtOpenDirectoryObject(PHANDLE directory, ACCESS_MASK access,
                                     const km_nt_object_attributes *attributes);
NTSTATUS NTAPI NtOpenEvent(PHANDLE event, ACCESS_MASK access,
                           const km_nt_object_attributes *attributes);
/* NtQueryEvent's EventBasicInformation class and answer. */
#define KM_NT_EVENT_BASIC_INFORMATION 0
typedef struct km_nt_event_basic_information {
    ULONG event_type;
    LONG event_state;
} km_nt_event_basic_information;
NTSTATUS NTAPI NtQueryEvent(HANDLE event, ULONG info_class, PVOID info, ULONG info_length,
                            PULONG return_length);
NTSTATUS NTAPI NtClose(HANDLE handle);
/* Events and a thread of our own, for the snapshot listener (nt_event_listener.c). */
#define KM_NT_SYNCHRONIZATION_EVENT 1 /* EVENT_TYPE: auto-reset */
NTSTATUS NTAPI NtCreateEvent(PHANDLE event, ACCESS_MASK access,
                             const km_nt_object_attributes *attributes, ULONG event_type,
                             BOOLEAN initial_state);
NTSTATUS NTAPI NtSetEvent(HANDLE event, PLONG previous_state);
NTSTATUS NTAPI NtWaitForSingleObject(HANDLE handle, BOOLEAN alertable, PLARGE_INTEGER timeout);
typedef DWORD(NTAPI *km_nt_thread_start)(void *parameter);
NTSTATUS NTAPI RtlCreateUserThread(HANDLE process, void *security_descriptor, BOOLEAN suspended,
                                   ULONG zero_bits, SIZE_T stack_reserve, SIZE_T stack_commit,
                                   km_nt_thread_start start, void *parameter, PHANDLE thread,
                                   void *client_id);
void NTAPI RtlInitUnicodeString(km_nt_unicode_string *string, PCWSTR source);

/* ANSI_STRING, as the loader takes export names. */
typedef struct km_nt_ansi_string {
    USHORT length;
    USHORT maximum_length;
    PCHAR buffer;
} km_nt_ansi_string;
NTSTATUS NTAPI LdrGetDllHandle(PCWSTR path, PULONG characteristics,
                               const km_nt_unicode_string *name, PVOID *module);
NTSTATUS NTAPI LdrGetProcedureAddress(PVOID module, const km_nt_ansi_string *name, ULONG ordinal,
                                      PVOID *address);
NTSTATUS NTAPI RtlMultiByteToUnicodeN(PWCH destination, ULONG destination_bytes,
                                      PULONG written_bytes, const CHAR *source, ULONG source_bytes);
NTSTATUS NTAPI RtlMultiByteToUnicodeSize(PULONG unicode_bytes, const CHAR *source,
                                         ULONG source_bytes);
NTSTATUS NTAPI NtYieldExecution(void);
NTSTATUS NTAPI NtDelayExecution(BOOLEAN alertable, const LARGE_INTEGER *interval);
NTSTATUS NTAPI NtQueryPerformanceCounter(PLARGE_INTEGER counter, PLARGE_INTEGER frequency);
NTSTATUS NTAPI NtTerminateProcess(HANDLE process, NTSTATUS status);
void NTAPI RtlRaiseException(PEXCEPTION_RECORD record);
PVOID NTAPI RtlAddVectoredExceptionHandler(ULONG first, PVECTORED_EXCEPTION_HANDLER handler);
#define KM_NT_SE_INCREASE_QUOTA_PRIVILEGE 5
NTSTATUS NTAPI RtlAdjustPrivilege(ULONG privilege, BOOLEAN enable, BOOLEAN current_thread,
                                  PBOOLEAN was_enabled);
ULONG NTAPI RtlNtStatusToDosError(NTSTATUS status);
ULONG NTAPI RtlGetProcessHeaps(ULONG count, HANDLE *heaps);
NTSTATUS NTAPI RtlQueryEnvironmentVariable_U(PWSTR environment, const km_nt_unicode_string *name,
                                             km_nt_unicode_string *value);
NTSTATUS NTAPI RtlSetEnvironmentVariable(PWSTR *environment, const km_nt_unicode_string *name,
                                         const km_nt_unicode_string *value);
BOOLEAN NTAPI RtlDosPathNameToNtPathName_U(PCWSTR dos_path, km_nt_unicode_string *nt_path,
                                           PWSTR *file_part, void *relative_name);
void NTAPI RtlFreeUnicodeString(km_nt_unicode_string *string);
NTSTATUS NTAPI NtCreateFile(PHANDLE file, ACCESS_MASK access,
                            const km_nt_object_attributes *attributes,
                            km_nt_io_status_block *io_status, PLARGE_INTEGER allocation_size,
                            ULONG file_attributes, ULONG share_access, ULONG disposition,
                            ULONG options, PVOID extended_attributes, ULONG extended_length);
NTSTATUS NTAPI NtWriteFile(HANDLE file, HANDLE event, PVOID apc_routine, PVOID apc_context,
                           km_nt_io_status_block *io_status, const void *buffer, ULONG length,
                           PLARGE_INTEGER offset, PULONG key);
NTSTATUS NTAPI LdrLockLoaderLock(ULONG flags, PULONG disposition, PULONG_PTR cookie);
NTSTATUS NTAPI LdrUnlockLoaderLock(ULONG flags, ULONG_PTR cookie);
#define KM_NT_LDR_ADDREF_DLL_PIN 1
NTSTATUS NTAPI LdrAddRefDll(ULONG flags, PVOID module);
NTSTATUS NTAPI LdrRegisterDllNotification(ULONG flags, PVOID callback, PVOID context,
                                          PVOID *cookie);
void NTAPI RtlSetLastWin32Error(DWORD error);
DWORD NTAPI RtlGetLastWin32Error(void);
BOOLEAN NTAPI RtlQueryPerformanceCounter(PLARGE_INTEGER counter);
BOOLEAN NTAPI RtlQueryPerformanceFrequency(PLARGE_INTEGER frequency);

#endif
