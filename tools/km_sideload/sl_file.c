/* File reading, safe replacement and identity checks (see sl_file.h for why whole files). */
#include "sl_file.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>

/* Large enough for any real program or DLL; refuses to slurp a disk image by mistake. */
#define SL_FILE_MAX ((uint64_t)1 << 30)

bool sl_file_read(const wchar_t *path, const char *what, uint8_t **data, size_t *size, sl_err *err)
{
    HANDLE h =
        CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return sl_fail(err, "cannot open %s %s: %s", what, sl_u8(path),
                       sl_win_text(GetLastError()));
    LARGE_INTEGER len;
    if (!GetFileSizeEx(h, &len) || (uint64_t)len.QuadPart > SL_FILE_MAX) {
        CloseHandle(h);
        return sl_fail(err, "cannot read %s %s: unknown size or larger than 1 GiB", what,
                       sl_u8(path));
    }
    size_t total = (size_t)len.QuadPart;
    uint8_t *buf = malloc(total ? total : 1);
    size_t done = 0;
    while (buf && done < total) {
        DWORD chunk = total - done > (1u << 24) ? (1u << 24) : (DWORD)(total - done), got = 0;
        if (!ReadFile(h, buf + done, chunk, &got, NULL) || got == 0)
            break;
        done += got;
    }
    DWORD code = GetLastError();
    CloseHandle(h);
    if (!buf || done != total) {
        free(buf);
        return sl_fail(err, "cannot read %s %s: %s", what, sl_u8(path),
                       buf ? sl_win_text(code) : "out of memory");
    }
    *data = buf;
    *size = total;
    return true;
}

static bool write_all(HANDLE h, const uint8_t *data, size_t size)
{
    while (size > 0) {
        DWORD chunk = size > (1u << 24) ? (1u << 24) : (DWORD)size, put = 0;
        if (!WriteFile(h, data, chunk, &put, NULL) || put == 0)
            return false;
        data += put;
        size -= put;
    }
    return true;
}

bool sl_file_write_replace(const wchar_t *path, const void *data, size_t size, sl_err *err)
{
    size_t n = wcslen(path);
    wchar_t *tmp = malloc((n + 5) * sizeof *tmp);
    if (!tmp)
        return sl_fail(err, "out of memory");
    memcpy(tmp, path, n * sizeof *tmp);
    memcpy(tmp + n, L".tmp", 5 * sizeof *tmp);

    bool ok = false;
    HANDLE h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        sl_fail(err, "cannot create %s: %s", sl_u8(tmp), sl_win_text(GetLastError()));
    } else {
        bool written = write_all(h, data, size);
        DWORD code = GetLastError();
        CloseHandle(h);
        if (!written)
            sl_fail(err, "cannot write %s: %s", sl_u8(tmp), sl_win_text(code));
        else if (!MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
            sl_fail(err, "cannot move %s to %s: %s", sl_u8(tmp), sl_u8(path),
                    sl_win_text(GetLastError()));
        else
            ok = true;
        if (!ok)
            DeleteFileW(tmp);
    }
    free(tmp);
    return ok;
}

wchar_t *sl_full_path(const wchar_t *path)
{
    DWORD need = GetFullPathNameW(path, 0, NULL, NULL);
    wchar_t *full = need ? malloc(need * sizeof *full) : NULL;
    if (full && GetFullPathNameW(path, need, full, NULL) >= need) {
        free(full);
        full = NULL;
    }
    return full;
}

static bool file_identity(const wchar_t *path, BY_HANDLE_FILE_INFORMATION *info)
{
    /* No access rights needed to ask for the identity; share everything so open files work. */
    HANDLE h = CreateFileW(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    bool ok = GetFileInformationByHandle(h, info);
    CloseHandle(h);
    return ok;
}

bool sl_same_file(const wchar_t *a, const wchar_t *b)
{
    wchar_t *fa = sl_full_path(a), *fb = sl_full_path(b);
    bool same = fa && fb && CompareStringOrdinal(fa, -1, fb, -1, TRUE) == CSTR_EQUAL;
    free(fa);
    free(fb);
    if (same)
        return true;
    BY_HANDLE_FILE_INFORMATION ia, ib;
    if (!file_identity(a, &ia) || !file_identity(b, &ib))
        return false;
    return ia.dwVolumeSerialNumber == ib.dwVolumeSerialNumber &&
           ia.nFileIndexHigh == ib.nFileIndexHigh && ia.nFileIndexLow == ib.nFileIndexLow;
}
