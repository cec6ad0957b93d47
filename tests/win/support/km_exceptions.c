/* Catching what HEAP_GENERATE_EXCEPTIONS raises: a vectored handler records the code and jumps
 * back to the caller, since the exception is not continuable.
 *
 * The handler is added once and never removed: leaving a handler by a jump skips the
 * dispatcher's bookkeeping for it, and Wine's ntdll then mishandles a later removal. While no
 * call is under watch the handler passes every exception on. */
#include "km_test.h"

static void *landing[5];
static volatile LONG watching;
static volatile DWORD raised_code;

static LONG CALLBACK record_and_leave(EXCEPTION_POINTERS *pointers)
{
    if (!InterlockedExchange(&watching, 0))
        return EXCEPTION_CONTINUE_SEARCH;
    raised_code = pointers->ExceptionRecord->ExceptionCode;
    __builtin_longjmp(landing, 1);
}

DWORD km_exception_raised_by(void *(*call)(HANDLE heap, SIZE_T argument), HANDLE heap,
                             SIZE_T argument)
{
    static void *handler;
    if (!handler)
        handler = AddVectoredExceptionHandler(1, record_and_leave);
    assert_non_null(handler);
    raised_code = 0;
    if (__builtin_setjmp(landing) == 0) {
        InterlockedExchange(&watching, 1);
        void *result = call(heap, argument);
        InterlockedExchange(&watching, 0);
        /* A call that raises nothing must say it failed, or the test learns nothing. */
        assert_null(result);
    }
    return raised_code;
}
