# FindSOCI: Debian's SOCI 4.0.3 ships neither a CMake package nor a pkg-config file,
# so this module locates the headers and libraries and makes imported targets:
#   SOCI::Core, SOCI::SQLite3, SOCI::PostgreSQL
# Result variables: SOCI_FOUND, SOCI_INCLUDE_DIR, SOCI_<Component>_FOUND.

find_path(SOCI_INCLUDE_DIR NAMES soci/soci.h)
find_library(SOCI_CORE_LIBRARY NAMES soci_core)

set(_soci_components SQLite3 PostgreSQL)
set(_soci_lib_SQLite3 soci_sqlite3)
set(_soci_lib_PostgreSQL soci_postgresql)

foreach(_component IN LISTS _soci_components)
    find_library(SOCI_${_component}_LIBRARY NAMES ${_soci_lib_${_component}})
    if(SOCI_${_component}_LIBRARY)
        set(SOCI_${_component}_FOUND TRUE)
    endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI
    REQUIRED_VARS SOCI_CORE_LIBRARY SOCI_INCLUDE_DIR
    HANDLE_COMPONENTS)

if(SOCI_FOUND AND NOT TARGET SOCI::Core)
    add_library(SOCI::Core UNKNOWN IMPORTED)
    set_target_properties(SOCI::Core PROPERTIES
        IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
    foreach(_component IN LISTS _soci_components)
        if(SOCI_${_component}_FOUND)
            add_library(SOCI::${_component} UNKNOWN IMPORTED)
            set_target_properties(SOCI::${_component} PROPERTIES
                IMPORTED_LOCATION "${SOCI_${_component}_LIBRARY}"
                INTERFACE_LINK_LIBRARIES SOCI::Core)
        endif()
    endforeach()
endif()

mark_as_advanced(SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_SQLite3_LIBRARY SOCI_PostgreSQL_LIBRARY)
