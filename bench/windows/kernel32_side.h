/*
 * One kernel32 as the Windows suite calls it: kernel32_mem.dll or the system's kernel32,
 * every function found by name in that module, so that one program measures both.
 */
#ifndef KM_BENCH_KERNEL32_SIDE_H
#define KM_BENCH_KERNEL32_SIDE_H

#include "bench.h"

#include <windows.h>

typedef struct kernel32_side {
    HMODULE module;
    HANDLE heap; /* the run's own heap, between begin and end */
    HANDLE(WINAPI *HeapCreate)(DWORD, SIZE_T, SIZE_T);
    BOOL(WINAPI *HeapDestroy)(HANDLE);
    LPVOID(WINAPI *HeapAlloc)(HANDLE, DWORD, SIZE_T);
    LPVOID(WINAPI *HeapReAlloc)(HANDLE, DWORD, LPVOID, SIZE_T);
    BOOL(WINAPI *HeapFree)(HANDLE, DWORD, LPVOID);
    /* NULL where it must not be called: Wine 8's is a stub that ends the process. */
    BOOL(WINAPI *HeapSummary)(HANDLE, DWORD, LPHEAP_SUMMARY);
    HGLOBAL(WINAPI *GlobalAlloc)(UINT, SIZE_T);
    HGLOBAL(WINAPI *GlobalReAlloc)(HGLOBAL, SIZE_T, UINT);
    LPVOID(WINAPI *GlobalLock)(HGLOBAL);
    BOOL(WINAPI *GlobalUnlock)(HGLOBAL);
    HGLOBAL(WINAPI *GlobalFree)(HGLOBAL);
    LPVOID(WINAPI *VirtualAlloc)(LPVOID, SIZE_T, DWORD, DWORD);
    BOOL(WINAPI *VirtualFree)(LPVOID, SIZE_T, DWORD);
    HANDLE(WINAPI *CreateFileMappingW)(HANDLE, LPSECURITY_ATTRIBUTES, DWORD, DWORD, DWORD,
                                       LPCWSTR);
    LPVOID(WINAPI *MapViewOfFile)(HANDLE, DWORD, DWORD, DWORD, SIZE_T);
    BOOL(WINAPI *UnmapViewOfFile)(LPCVOID);
} kernel32_side;

/* Fills side from module; false (saying which) when an export is missing. */
BOOL kernel32_side_load(kernel32_side *side, HMODULE module);

/* A heap allocator over the side: a heap of its own per run, whose committed bytes are
 * HeapSummary's where the side has one. */
bench_allocator kernel32_side_heap_allocator(const char *name, kernel32_side *side, double speed);

/* moveable, virtual, mapping: workloads of kernel32 exports, for kernel32 sides only. */
extern const bench_workload kernel32_workloads[];
extern const size_t kernel32_workload_count;

#endif
