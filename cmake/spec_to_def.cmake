# Turns a Wine spec file into a module-definition (.def) file, as `winebuild --def` does for the
# subset of the syntax this project uses: "@ stdcall|cdecl [-flags] Name(arg types)".
# On i686 a stdcall name is decorated with the byte size of its arguments (Name@N), which is
# what callers compiled with windows.h import. Run with -DSPEC= -DDEF= -DDLL= -DARCH=i686|x86_64.
# It lets the build run where winebuild is not installed (Windows, MSYS2).

file(STRINGS ${SPEC} lines)
set(exports "")
foreach(line IN LISTS lines)
    string(REGEX REPLACE "#.*" "" line "${line}")
    if(NOT line MATCHES "^[ \t]*@[ \t]+([a-z]+)[ \t]+((-[^ \t]+[ \t]+)*)([A-Za-z_][A-Za-z0-9_]*)\\(([^)]*)\\)")
        continue()
    endif()
    set(convention ${CMAKE_MATCH_1})
    set(name ${CMAKE_MATCH_4})
    set(args ${CMAKE_MATCH_5})
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
