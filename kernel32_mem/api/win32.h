/*
 * The one way the api layer includes windows.h. Its headers declare every kernel32 export as
 * dllimport; this DLL defines those functions, so the import attribute is switched off here.
 */
#ifndef KM_API_WIN32_H
#define KM_API_WIN32_H

#define WINBASEAPI
#include <windows.h>

#endif
