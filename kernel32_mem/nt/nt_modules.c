#include "nt/nt_modules.h"

#include "nt/ntdll.h"

/* The head of PEB_LDR_DATA and of a loader entry, as the DDK lays them out on both
 * architectures; natural alignment gives the documented offsets. */
typedef struct loader_data {
    ULONG length;
    BOOLEAN initialized;
    PVOID ss_handle;
    LIST_ENTRY in_load_order;
} loader_data;

typedef struct loader_entry {
    LIST_ENTRY in_load_order;
    LIST_ENTRY in_memory_order;
    LIST_ENTRY in_initialization_order;
    PVOID base;
    PVOID entry_point;
    ULONG image_size;
    km_nt_unicode_string full_name;
    km_nt_unicode_string base_name;
} loader_entry;

/* LDR_DLL_LOADED_NOTIFICATION_DATA, and the reason that announces a load. */
typedef struct load_notification {
    ULONG flags;
    const km_nt_unicode_string *full_name;
    const km_nt_unicode_string *base_name;
    PVOID base;
    ULONG image_size;
} load_notification;
#define LOAD_NOTIFICATION_LOADED 1

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool equal_ascii_nocase(const char *a, const char *b)
{
    while (*a && lower(*a) == lower(*b))
        a++, b++;
    return lower(*a) == lower(*b);
}

static bool starts_with_nocase(const char *text, const char *prefix)
{
    while (*prefix && lower(*text) == lower(*prefix))
        text++, prefix++;
    return *prefix == 0;
}

static bool wide_equal_nocase(const WCHAR *a, size_t length, const char *b)
{
    size_t i = 0;
    for (; i < length && b[i]; i++) {
        if (a[i] > 0x7f || lower((char)a[i]) != lower(b[i]))
            return false;
    }
    return i == length && b[i] == 0;
}

/* The file name at the end of a path. */
static const char *file_name_of(const char *path)
{
    const char *name = path;
    for (const char *c = path; *c; c++) {
        if (*c == '\\' || *c == '/' || *c == ':')
            name = c + 1;
    }
    return name;
}

static bool is_system_dll_name(const char *name)
{
    return equal_ascii_nocase(name, "kernel32.dll") || equal_ascii_nocase(name, "kernelbase.dll") ||
           starts_with_nocase(name, "api-ms-win-") || starts_with_nocase(name, "ext-ms-win-");
}

static const IMAGE_IMPORT_DESCRIPTOR *import_directory(void *module)
{
    const unsigned char *base = module;
    const IMAGE_DOS_HEADER *dos = module;
    if (dos->e_magic != IMAGE_DOS_SIGNATURE)
        return NULL;
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
    if (nt->Signature != IMAGE_NT_SIGNATURE ||
        nt->OptionalHeader.NumberOfRvaAndSizes <= IMAGE_DIRECTORY_ENTRY_IMPORT)
        return NULL;
    const IMAGE_DATA_DIRECTORY *directory =
        &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    if (!directory->VirtualAddress || !directory->Size)
        return NULL;
    return (const IMAGE_IMPORT_DESCRIPTOR *)(base + directory->VirtualAddress);
}

/* Writes the pointer-sized value into a slot of a (possibly read-only) import address table. */
static bool write_slot(void **slot, void *value)
{
    void *page = slot;
    SIZE_T size = sizeof(*slot);
    ULONG old;
    if (NtProtectVirtualMemory(KM_NT_CURRENT_PROCESS, &page, &size, PAGE_READWRITE, &old) != 0)
        return false;
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
    page = slot;
    size = sizeof(*slot);
    NtProtectVirtualMemory(KM_NT_CURRENT_PROCESS, &page, &size, old, &old);
    return true;
}

static size_t redirect_descriptor(unsigned char *base, const IMAGE_IMPORT_DESCRIPTOR *descriptor,
                                  km_nt_import_target target, void *context)
{
    /* Without a separate lookup table the names were in the address table, now overwritten. */
    if (!descriptor->OriginalFirstThunk)
        return 0;
    const IMAGE_THUNK_DATA *lookup =
        (const IMAGE_THUNK_DATA *)(base + descriptor->OriginalFirstThunk);
    void **slots = (void **)(base + descriptor->FirstThunk);
    size_t redirected = 0;
    for (size_t i = 0; lookup[i].u1.AddressOfData; i++) {
        if (IMAGE_SNAP_BY_ORDINAL(lookup[i].u1.Ordinal))
            continue;
        const IMAGE_IMPORT_BY_NAME *by_name =
            (const IMAGE_IMPORT_BY_NAME *)(base + lookup[i].u1.AddressOfData);
        void *address = target((const char *)by_name->Name, context);
        if (address && slots[i] != address && write_slot(&slots[i], address))
            redirected++;
    }
    return redirected;
}

size_t km_nt_redirect_imports(void *module, km_nt_import_target target, void *context)
{
    const IMAGE_IMPORT_DESCRIPTOR *descriptor = import_directory(module);
    size_t redirected = 0;
    for (; descriptor && descriptor->Name; descriptor++) {
        const char *dll = (const char *)module + descriptor->Name;
        if (is_system_dll_name(dll))
            redirected += redirect_descriptor(module, descriptor, target, context);
    }
    return redirected;
}

bool km_nt_module_imports_from(void *module, const char *file_name)
{
    const IMAGE_IMPORT_DESCRIPTOR *descriptor = import_directory(module);
    for (; descriptor && descriptor->Name; descriptor++) {
        if (equal_ascii_nocase(file_name_of((const char *)module + descriptor->Name), file_name))
            return true;
    }
    return false;
}

static km_nt_module module_of(void *base, const km_nt_unicode_string *name)
{
    return (km_nt_module){base, name->buffer, name->length / sizeof(WCHAR)};
}

void km_nt_for_each_module(void (*visit)(const km_nt_module *module, void *context), void *context)
{
    ULONG_PTR cookie = 0;
    LdrLockLoaderLock(0, NULL, &cookie);
    const loader_data *data = *(loader_data *const *)(km_nt_peb() + KM_NT_PEB_LOADER_DATA);
    const LIST_ENTRY *head = &data->in_load_order;
    for (const LIST_ENTRY *link = head->Flink; link != head; link = link->Flink) {
        const loader_entry *entry = (const loader_entry *)link;
        km_nt_module module = module_of(entry->base, &entry->base_name);
        visit(&module, context);
    }
    LdrUnlockLoaderLock(0, cookie);
}

typedef struct load_watch {
    void (*visit)(const km_nt_module *module, void *context);
    void *context;
} load_watch;

static void CALLBACK on_module_load(ULONG reason, const load_notification *data, void *context)
{
    if (reason != LOAD_NOTIFICATION_LOADED)
        return;
    const load_watch *watch = context;
    km_nt_module module = module_of(data->base, data->base_name);
    watch->visit(&module, watch->context);
}

bool km_nt_watch_module_loads(void (*visit)(const km_nt_module *module, void *context),
                              void *context)
{
    /* One watch for the life of the process: the DLL is never unloaded while it serves memory. */
    static load_watch watch;
    static void *cookie;
    watch = (load_watch){visit, context};
    return LdrRegisterDllNotification(0, (void *)on_module_load, &watch, &cookie) == 0;
}

void km_nt_pin_module(void *module)
{
    LdrAddRefDll(KM_NT_LDR_ADDREF_DLL_PIN, module);
}

bool km_nt_is_system_module(const km_nt_module *module)
{
    return wide_equal_nocase(module->name, module->name_length, "ntdll.dll") ||
           wide_equal_nocase(module->name, module->name_length, "kernel32.dll") ||
           wide_equal_nocase(module->name, module->name_length, "kernelbase.dll");
}
