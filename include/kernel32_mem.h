/*
 * kernel32_mem: the kernel32 memory exports, reimplemented over ntdll.dll.
 *
 * A program needs no declarations of its own to use it: it includes <windows.h> as usual and
 * links the import library libkernel32_mem.dll.a ahead of kernel32, so that the memory
 * functions listed in spec/kernel32_mem.spec resolve into kernel32_mem.dll. This header only
 * names the version, for a program that wants to report what it runs on.
 */
#ifndef KERNEL32_MEM_H
#define KERNEL32_MEM_H

#define KERNEL32_MEM_VERSION_MAJOR 0
#define KERNEL32_MEM_VERSION_MINOR 1
#define KERNEL32_MEM_VERSION_PATCH 0

#endif
