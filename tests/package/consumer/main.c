#include <windows.h>

#include <kernel32_mem.h>
#include <stdio.h>

int main(void)
{
    void *block = VirtualAlloc(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    printf("kernel32_mem %d.%d: VirtualAlloc gave %p\n", KERNEL32_MEM_VERSION_MAJOR,
           KERNEL32_MEM_VERSION_MINOR, block);
    return block && VirtualFree(block, 0, MEM_RELEASE) ? 0 : 1;
}
