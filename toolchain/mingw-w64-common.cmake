# Shared by both mingw-w64 toolchain files; KM_TRIPLE names the target.
# Debian installs two thread models; the win32 one needs no winpthread DLL at run time.
find_program(KM_MINGW_GCC NAMES ${KM_TRIPLE}-gcc-win32 ${KM_TRIPLE}-gcc REQUIRED)
find_program(KM_MINGW_GXX NAMES ${KM_TRIPLE}-g++-win32 ${KM_TRIPLE}-g++)
set(CMAKE_C_COMPILER ${KM_MINGW_GCC})
if(KM_MINGW_GXX)
    set(CMAKE_CXX_COMPILER ${KM_MINGW_GXX})
endif()
set(CMAKE_RC_COMPILER ${KM_TRIPLE}-windres)
set(CMAKE_DLLTOOL ${KM_TRIPLE}-dlltool)
set(CMAKE_OBJDUMP ${KM_TRIPLE}-objdump)

set(CMAKE_FIND_ROOT_PATH /usr/${KM_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages installed anywhere (a consumer's CMAKE_PREFIX_PATH) are found, not only under the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
