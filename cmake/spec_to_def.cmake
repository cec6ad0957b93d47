# Turns a Wine spec file into a module-definition (.def) file, as `winebuild --def` does for the
# subset of the syntax this project uses: "@ stdcall|cdecl [-flags] Name(arg types)".
# On i686 a stdcall name is decorated with the byte size of its arguments (Name@N), which is
# what callers compiled with windows.h import. Run with -DSPEC= -DDEF= -DDLL= -DARCH=i686|x86_64.
# It lets the build run where winebuild is not installed (Windows, MSYS2).
# With -DIDS=path it also writes a C header that numbers the exports (KM_EXPORT_<Name>) and names
# them (KM_EXPORT_NAMES), for the DLL's per-export call counts and its calls into the system's
# own implementation of the same export.

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
    set(name ${CMAKE_MATCH_4})
    set(args ${CMAKE_MATCH_5})
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
