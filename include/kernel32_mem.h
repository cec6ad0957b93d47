/*
 * kernel32_mem: the kernel32 memory exports, reimplemented over ntdll.dll.
 *
 * A program needs no declarations of its own to use it: it includes <windows.h> as usual and
 * links the import library libkernel32_mem.dll.a ahead of kernel32, so that the memory
 * functions listed in spec/kernel32_mem.spec resolve into kernel32_mem.dll. This header names
 * the version, for a program that wants to report what it runs on, and declares kernel32_mem's
 * own extensions, which no kernel32 has.
 */
#ifndef KERNEL32_MEM_H
#define KERNEL32_MEM_H

#define KERNEL32_MEM_VERSION_MAJOR 0
#define KERNEL32_MEM_VERSION_MINOR 1
#define KERNEL32_MEM_VERSION_PATCH 0

#ifdef _WIN32
#include <stddef.h>

/* Writes a snapshot of a heap (or, for a NULL heap, of every heap of kernel32_mem's and of the
 * Global/Local handle table) as JSON to the file at path, replacing it; the README's
 * "Inspecting a heap" gives the schema. Nonzero on success; otherwise 0, with the last error
 * ERROR_INVALID_PARAMETER (no path), ERROR_INVALID_HANDLE (not a heap of kernel32_mem's),
 * ERROR_NOT_ENOUGH_MEMORY, or the file's error. */
__declspec(dllimport) int __stdcall KmHeapSnapshot(void *heap, const wchar_t *path);
#endif

#endif
