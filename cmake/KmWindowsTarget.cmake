# Facts about the Windows target that the DLL, its tests and its package all use.

if(CMAKE_SIZEOF_VOID_P EQUAL 8)
    set(KM_ARCH x86_64)
    set(KM_WINEBUILD_ARCH -m64)
else()
    set(KM_ARCH i686)
    set(KM_WINEBUILD_ARCH -m32)
endif()
set(KM_TRIPLE ${KM_ARCH}-w64-mingw32)

find_program(KM_DLLTOOL NAMES ${KM_TRIPLE}-dlltool dlltool REQUIRED)
find_program(KM_OBJDUMP NAMES ${KM_TRIPLE}-objdump objdump REQUIRED)
# Optional: where it exists, a test checks that our spec-to-def generator agrees with it.
find_program(KM_WINEBUILD NAMES winebuild)

# Under Linux, Windows programs run under Wine: ctest and add_test prepend the emulator.
if(CMAKE_CROSSCOMPILING AND CMAKE_HOST_UNIX AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
    find_program(KM_WINE NAMES wine)
    if(KM_WINE)
        set(CMAKE_CROSSCOMPILING_EMULATOR ${KM_WINE})
    endif()
endif()
