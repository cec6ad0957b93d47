# Turns a Wine spec file into a module-definition (.def) file, as `winebuild --def` does for the
# subset of the syntax this project uses: "@ stdcall|cdecl [-flags] Name(arg types)". Of the flags,
# -arch=win32|win64|i386|x86_64 (a comma-separated list) keeps an export to those architectures.
# On i686 a stdcall name is decorated with the byte size of its arguments (Name@N), which is
# what callers compiled with windows.h import. Run with -DSPEC= -DDEF= -DDLL= -DARCH=i686|x86_64.
# It lets the build run where winebuild is not installed (Windows, MSYS2).
# With -DIDS=path it also writes a C header that numbers the exports (KM_EXPORT_<Name>) and names
# them (KM_EXPORT_NAMES), for the DLL's per-export call counts and its calls into the system's
# own implementation of the same export.

cmake_policy(SET CMP0057 NEW)
file(STRINGS ${SPEC} lines)
set(exports "")
set(ids "")
set(names "")
foreach(line IN LISTS lines)
    string(REGEX REPLACE "#.*" "" line "${line}")
    if(NOT line MATCHES "^[ \t]*@[ \t]+([a-z]+)[ \t]+((-[^ \t]+[ \t]+)*)([A-Za-z_][A-Za-z0-9_]*)\\(([^)]*)\\)")
        continue()
    endif()
    set(convention ${CMAKE_MATCH_1})
    set(flags "${CMAKE_MATCH_2}")
    set(name ${CMAKE_MATCH_4})
    set(args ${CMAKE_MATCH_5})
    if(flags MATCHES "-arch=([^ \t]+)")
        string(REPLACE "," ";" arches "${CMAKE_MATCH_1}")
        if(ARCH STREQUAL "i686")
            set(names_of_this_arch win32 i386)
        else()
            set(names_of_this_arch win64 x86_64)
        endif()
        set(kept FALSE)
        foreach(arch IN LISTS arches)
            if(arch IN_LIST names_of_this_arch)
                set(kept TRUE)
            endif()
        endforeach()
        if(NOT kept)
            continue()
        endif()
    endif()
    string(APPEND ids "    KM_EXPORT_${name},\n")
    string(APPEND names "        \"${name}\", \\\n")
    if(convention STREQUAL "stdcall" AND ARCH STREQUAL "i686")
        separate_arguments(arg_list UNIX_COMMAND "${args}")
        set(bytes 0)
        foreach(arg IN LISTS arg_list)
            if(arg STREQUAL "int64" OR arg STREQUAL "double")
                math(EXPR bytes "${bytes} + 8")
            elseif(arg STREQUAL "int128")
                math(EXPR bytes "${bytes} + 16")
            else()
                math(EXPR bytes "${bytes} + 4")
            endif()
        endforeach()
        string(APPEND exports "  ${name}@${bytes}\n")
    else()
        string(APPEND exports "  ${name}\n")
    endif()
endforeach()

file(WRITE ${DEF} "; Generated from ${SPEC}; do not edit.\n\nLIBRARY ${DLL}\n\nEXPORTS\n${exports}")

if(IDS)
    file(WRITE ${IDS} "/* Generated from ${SPEC}; do not edit. */\n"
        "#ifndef KM_EXPORT_IDS_H\n#define KM_EXPORT_IDS_H\n\n"
        "typedef enum km_export_id {\n${ids}    KM_EXPORT_COUNT\n} km_export_id;\n\n"
        "#define KM_EXPORT_NAMES \\\n    { \\\n${names}    }\n\n#endif\n")
endif()
