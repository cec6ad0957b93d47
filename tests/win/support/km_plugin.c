/*
 * A DLL that knows nothing of kernel32_mem: linked with the system kernel32 alone, loaded at run
 * time by a test. It mixes the Local and Heap functions on one block, as Windows allows (a fixed
 * block is a process-heap block), and reads an HGLOBAL it is given.
 */
#include <windows.h>

/* LocalAlloc, then HeapSize, HeapReAlloc and HeapFree on the process heap: the number of steps
 * that behaved as Windows documents (4 when all did). */
__declspec(dllexport) int km_plugin_mix_local_and_heap(void)
{
    int steps = 0;
    char *block = LocalAlloc(LMEM_FIXED, 100);
    steps += block != NULL;
    if (!block)
        return steps;
    block[0] = 'k';
    steps += HeapSize(GetProcessHeap(), 0, block) == 100;
    char *grown = HeapReAlloc(GetProcessHeap(), 0, block, 200);
    steps += grown && grown[0] == 'k';
    steps += HeapFree(GetProcessHeap(), 0, grown ? grown : block) != 0;
    return steps;
}

/* The first byte of a moveable block, read as any module would: GlobalLock, GlobalUnlock. */
__declspec(dllexport) int km_plugin_first_byte(HGLOBAL memory)
{
    const unsigned char *data = GlobalLock(memory);
    if (!data)
        return -1;
    int first = data[0];
    GlobalUnlock(memory);
    return first;
}
