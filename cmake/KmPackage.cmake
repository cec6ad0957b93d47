# `cmake --install` lays out the DLL, its import library and a CMake package, so that a consumer
# writes find_package(kernel32_mem) and links kernel32_mem::kernel32_mem.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# km_sideload.exe finds kernel32_mem.dll beside itself.
install(TARGETS kernel32_mem km_sideload RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${KM_IMPLIB} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/kernel32_mem.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(KM_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kernel32_mem)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/kernel32_memConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/kernel32_memConfig.cmake
    INSTALL_DESTINATION ${KM_PACKAGE_DIR}
    PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kernel32_memConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kernel32_memConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/kernel32_memConfigVersion.cmake
        DESTINATION ${KM_PACKAGE_DIR})
