# Script mode: writes OUTPUT, a C++ file defining http_api::kWebFiles, the files of
# INPUTS ("|"-separated paths) by their base names, for the server to answer under /ui/.
string(REPLACE "|" ";" _inputs "${INPUTS}")
set(_table "")
set(_bodies "")
set(_index 0)
foreach(_input IN LISTS _inputs)
    file(READ "${_input}" _content)
    string(FIND "${_content}" ")embedded\"" _clash)
    if(NOT _clash EQUAL -1)
        message(FATAL_ERROR "${_input} contains the raw-string delimiter )embedded\"")
    endif()
    get_filename_component(_name "${_input}" NAME)
    string(APPEND _bodies "const char file_${_index}[] = R\"embedded(${_content})embedded\";\n")
    string(APPEND _table "    {\"${_name}\", {file_${_index}, sizeof file_${_index} - 1}},\n")
    math(EXPR _index "${_index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp"
    "// Generated from adapters/http/web/; do not edit.\n"
    "#include \"web_files.hpp\"\n"
    "namespace http_api {\nnamespace {\n${_bodies}}  // namespace\n"
    "const WebFile kWebFiles[] = {\n${_table}};\n"
    "const std::size_t kWebFileCount = ${_index};\n}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
