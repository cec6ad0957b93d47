#include "nt/nt_probe.h"

#include "nt/nt_virtual.h"
#include "nt/ntdll.h"

/* Each probe returns 1; a fault in one of the instructions named *_access resumes at
 * km_probe_faulted, which returns 0. None touches the stack before its access, so the landing
 * returns to the probe's caller. */
#if defined(__x86_64__)
__asm__(".text\n"
        "km_probe_read_byte:\n"
        "km_probe_read_access:\n"
        "    movb (%rcx), %al\n"
        "    movl $1, %eax\n"
        "    ret\n"
        "km_probe_write_byte:\n"
        "km_probe_write_load_access:\n"
        "    movb (%rcx), %al\n"
        "km_probe_write_store_access:\n"
        "    movb %al, (%rcx)\n"
        "    movl $1, %eax\n"
        "    ret\n"
        "km_probe_faulted:\n"
        "    xorl %eax, %eax\n"
        "    ret\n");
#define KM_PROBE_SYMBOL(name) #name
#else
__asm__(".text\n"
        "_km_probe_read_byte:\n"
        "    movl 4(%esp), %ecx\n"
        "_km_probe_read_access:\n"
        "    movb (%ecx), %al\n"
        "    movl $1, %eax\n"
        "    ret\n"
        "_km_probe_write_byte:\n"
        "    movl 4(%esp), %ecx\n"
        "_km_probe_write_load_access:\n"
        "    movb (%ecx), %al\n"
        "_km_probe_write_store_access:\n"
        "    movb %al, (%ecx)\n"
        "    movl $1, %eax\n"
        "    ret\n"
        "_km_probe_faulted:\n"
        "    xorl %eax, %eax\n"
        "    ret\n");
#define KM_PROBE_SYMBOL(name) "_" #name
#endif

int km_probe_read_byte(const volatile void *address) __asm__(KM_PROBE_SYMBOL(km_probe_read_byte));
int km_probe_write_byte(volatile void *address) __asm__(KM_PROBE_SYMBOL(km_probe_write_byte));
extern const char km_probe_read_access[] __asm__(KM_PROBE_SYMBOL(km_probe_read_access));
extern const char km_probe_write_load_access[] __asm__(KM_PROBE_SYMBOL(km_probe_write_load_access));
extern const char km_probe_write_store_access[] __asm__(KM_PROBE_SYMBOL(km_probe_write_store_access));
extern const char km_probe_faulted[] __asm__(KM_PROBE_SYMBOL(km_probe_faulted));

static bool is_probe_access(const void *address)
{
    return address == km_probe_read_access || address == km_probe_write_load_access ||
           address == km_probe_write_store_access;
}

static LONG NTAPI resume_faulted_probe(EXCEPTION_POINTERS *pointers)
{
    const EXCEPTION_RECORD *record = pointers->ExceptionRecord;
    if (record->ExceptionCode != STATUS_ACCESS_VIOLATION &&
        record->ExceptionCode != STATUS_GUARD_PAGE_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    if (!is_probe_access(record->ExceptionAddress))
        return EXCEPTION_CONTINUE_SEARCH;
#if defined(__x86_64__)
    pointers->ContextRecord->Rip = (ULONG_PTR)km_probe_faulted;
#else
    pointers->ContextRecord->Eip = (ULONG_PTR)km_probe_faulted;
#endif
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* Adds the handler once; a thread that finds another adding it waits until it is in place, so
 * that no probe runs unprotected. */
static void ensure_handler(void)
{
    enum { ABSENT, ADDING, PRESENT };
    static volatile LONG state = ABSENT;
    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == PRESENT)
        return;
    LONG expected = ABSENT;
    if (__atomic_compare_exchange_n(&state, &expected, ADDING, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        RtlAddVectoredExceptionHandler(1, resume_faulted_probe);
        __atomic_store_n(&state, PRESENT, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != PRESENT)
        NtYieldExecution();
}

bool km_nt_probe_read(const volatile void *address)
{
    ensure_handler();
    return km_probe_read_byte(address) != 0;
}

bool km_nt_probe_write(volatile void *address)
{
    ensure_handler();
    return km_probe_write_byte(address) != 0;
}

bool km_nt_is_untouchable_stack(const void *address)
{
    const unsigned char *teb = km_nt_teb();
    uintptr_t limit = *(const uintptr_t *)(teb + KM_NT_TEB_STACK_LIMIT);
    uintptr_t bottom = *(const uintptr_t *)(teb + KM_NT_TEB_DEALLOCATION_STACK);
    if ((uintptr_t)address < bottom || (uintptr_t)address >= limit)
        return false;
    MEMORY_BASIC_INFORMATION info;
    SIZE_T written;
    if (km_nt_virtual_query(KM_NT_SELF, address, &info, sizeof(info), &written) != 0)
        return true;
    return info.State != MEM_COMMIT || (info.Protect & PAGE_GUARD);
}
