/*
 * The file-mapping calls under their exports, uncounted: for the FromApp forms (virtual_ex.c),
 * which are counted once as themselves.
 */
#ifndef KM_API_FILE_MAPPING_H
#define KM_API_FILE_MAPPING_H

#include "api/win32.h"

HANDLE km_file_mapping_create_w(HANDLE file, LPSECURITY_ATTRIBUTES security, DWORD protect,
                                DWORD size_high, DWORD size_low, LPCWSTR name, DWORD node);
HANDLE km_file_mapping_open_w(DWORD access, BOOL inherit, LPCWSTR name);
LPVOID km_file_mapping_map_view(HANDLE mapping, DWORD access, DWORD offset_high, DWORD offset_low,
                                SIZE_T size, LPVOID base, DWORD node);

#endif
