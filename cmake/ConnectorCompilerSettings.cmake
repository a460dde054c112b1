# Warnings, sanitizers and ccache for every target of the project.

find_program(CONNECTOR_CCACHE ccache)
if(CONNECTOR_CCACHE)
    set(CMAKE_C_COMPILER_LAUNCHER "${CONNECTOR_CCACHE}")
    set(CMAKE_CXX_COMPILER_LAUNCHER "${CONNECTOR_CCACHE}")
endif()

add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
# GCC 12 reports false -Wrestrict positives for `"text" + std::string` in optimised
# builds (GCC bug 105329); the warning is noise there, so it is off for that compiler.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    add_compile_options(-Wno-restrict)
endif()
if(CONNECTOR_WERROR)
    add_compile_options(-Werror)
endif()

if(CONNECTOR_SANITIZE)
    string(REPLACE ";" "," _connector_sanitizers "${CONNECTOR_SANITIZE}")
    add_compile_options(-fsanitize=${_connector_sanitizers} -fno-omit-frame-pointer
                        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_connector_sanitizers})
    if("undefined" IN_LIST CONNECTOR_SANITIZE)
        # UBSan's vptr check needs the RTTI of every polymorphic class it sees, and
        # Debian's SOCI does not export it for its internal statement classes.
        add_compile_options(-fno-sanitize=vptr)
        add_link_options(-fno-sanitize=vptr)
    endif()
endif()

if(CONNECTOR_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "CONNECTOR_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
    endif()
    # Coverage instrumentation for every library; only fuzz targets link the fuzzer main.
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Embeds a text file into a generated .cpp as `extern const std::string_view NAME`.
function(connector_embed_text_file output_cpp variable_name namespace input_file)
    add_custom_command(
        OUTPUT "${output_cpp}"
        COMMAND "${CMAKE_COMMAND}" -DINPUT=${input_file} -DOUTPUT=${output_cpp}
                -DVARIABLE=${variable_name} -DNAMESPACE=${namespace}
                -P "${PROJECT_SOURCE_DIR}/cmake/EmbedTextFile.cmake"
        DEPENDS "${input_file}" "${PROJECT_SOURCE_DIR}/cmake/EmbedTextFile.cmake"
        COMMENT "Embedding ${input_file}"
        VERBATIM)
endfunction()
