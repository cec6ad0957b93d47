/* Reading and patching the suspended child's main image (see remote_image.h). The PEB holds the
 * image base (ImageBaseAddress, the third pointer-sized field of the PEB on both x86 and x64), so
 * no assumption is made about where ASLR put the image. */
#include "remote_image.h"

#include <stdlib.h>
#include <string.h>
#include <winternl.h>

#include "pe_image.h"

#define SL_PAGE 4096u
#define SL_GRANULE 65536u
/* A data directory RVA is 32 bits; staying under 2 GiB also keeps every RVA positive. */
#define SL_RVA_REACH 0x7fffffffu
#define SL_IMAGE_MAX (1u << 30)

static bool read_exact(HANDLE proc, uintptr_t addr, void *buf, size_t len)
{
    SIZE_T got = 0;
    return ReadProcessMemory(proc, (LPCVOID)addr, buf, len, &got) && got == len;
}

static bool image_base(HANDLE proc, uintptr_t *base, sl_err *err)
{
    PROCESS_BASIC_INFORMATION pbi;
    ULONG len = 0;
    NTSTATUS status =
        NtQueryInformationProcess(proc, ProcessBasicInformation, &pbi, sizeof pbi, &len);
    if (status < 0)
        return sl_fail(err, "cannot query the child process (status 0x%08lX)",
                       (unsigned long)status);
    uintptr_t field = (uintptr_t)pbi.PebBaseAddress + 2 * sizeof(void *);
    if (!read_exact(proc, field, base, sizeof *base) || *base == 0)
        return sl_fail(err, "cannot read the child's image base from its PEB: %s",
                       sl_win_text(GetLastError()));
    return true;
}

/* Copies [addr, addr+len) a 64 KiB chunk at a time, falling back to single pages where a chunk
 * fails; a page that cannot be read (a guard page, say) is left zero. */
static void read_tolerant(HANDLE proc, uintptr_t addr, uint8_t *buf, size_t len)
{
    for (size_t off = 0; off < len; off += SL_GRANULE) {
        size_t chunk = len - off < SL_GRANULE ? len - off : SL_GRANULE;
        if (read_exact(proc, addr + off, buf + off, chunk))
            continue;
        for (size_t p = off; p < off + chunk; p += SL_PAGE) {
            size_t n = off + chunk - p < SL_PAGE ? off + chunk - p : SL_PAGE;
            if (!read_exact(proc, addr + p, buf + p, n))
                memset(buf + p, 0, n);
        }
    }
}

bool sl_remote_image_read(HANDLE proc, sl_remote_image *img, sl_err *err)
{
    memset(img, 0, sizeof *img);
    if (!image_base(proc, &img->base, err))
        return false;
    uint8_t head[SL_PAGE];
    if (!read_exact(proc, img->base, head, sizeof head))
        return sl_fail(err, "cannot read the child's image headers: %s",
                       sl_win_text(GetLastError()));
    /* The first page holds the headers in both layouts; parse them to learn SizeOfImage. */
    sl_image hdr;
    if (!sl_image_parse(&hdr, head, sizeof head, SL_LAYOUT_FILE, "the child's image", err))
        return false;
    if (hdr.size_of_image < sizeof head || hdr.size_of_image > SL_IMAGE_MAX)
        return sl_fail(err, "the child's image has an implausible SizeOfImage 0x%lX",
                       (unsigned long)hdr.size_of_image);
    img->size = hdr.size_of_image;
    img->copy = malloc(img->size);
    if (!img->copy)
        return sl_fail(err, "out of memory");
    read_tolerant(proc, img->base, img->copy, img->size);
    return true;
}

void sl_remote_image_free(sl_remote_image *img)
{
    free(img->copy);
    memset(img, 0, sizeof *img);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

bool sl_remote_alloc_near(HANDLE proc, const sl_remote_image *img, size_t size, uintptr_t *where,
                          sl_err *err)
{
    uint64_t limit = (uint64_t)img->base + SL_RVA_REACH; /* the block must end below this */
    uint64_t addr = align_up((uint64_t)img->base + img->size, SL_GRANULE);
    while (addr + size <= limit) {
        MEMORY_BASIC_INFORMATION mbi;
        if ((uint64_t)(uintptr_t)addr != addr ||
            !VirtualQueryEx(proc, (LPCVOID)(uintptr_t)addr, &mbi, sizeof mbi))
            break; /* past the end of the user address space */
        uint64_t region_end = (uint64_t)(uintptr_t)mbi.BaseAddress + mbi.RegionSize;
        if (mbi.State == MEM_FREE) {
            uint64_t start = align_up(addr, SL_GRANULE);
            if (start + size <= region_end && start + size <= limit) {
                void *got = VirtualAllocEx(proc, (LPVOID)(uintptr_t)start, size,
                                           MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
                if (got) {
                    *where = (uintptr_t)got;
                    return true;
                }
            }
        }
        if (region_end <= addr)
            break;
        addr = align_up(region_end, SL_GRANULE);
    }
    return sl_fail(err, "no free memory within 2 GiB above the child's image for its imports");
}

bool sl_remote_patch_header(HANDLE proc, const sl_remote_image *img, uint32_t offset,
                            const void *data, size_t len, sl_err *err)
{
    LPVOID at = (LPVOID)(img->base + offset);
    DWORD old = 0, ignored;
    if (!VirtualProtectEx(proc, at, len, PAGE_READWRITE, &old))
        return sl_fail(err, "cannot make the child's image header writable: %s",
                       sl_win_text(GetLastError()));
    SIZE_T put = 0;
    bool ok = WriteProcessMemory(proc, at, data, len, &put) && put == len;
    DWORD code = GetLastError();
    VirtualProtectEx(proc, at, len, old, &ignored);
    if (!ok)
        return sl_fail(err, "cannot write the child's image header: %s", sl_win_text(code));
    return true;
}
