# Script mode: writes OUTPUT, a C++ file defining NAMESPACE::VARIABLE as the text of INPUT.
file(READ "${INPUT}" _content)
string(FIND "${_content}" ")embedded\"" _clash)
if(NOT _clash EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )embedded\"")
endif()
file(WRITE "${OUTPUT}.tmp"
    "// Generated from ${INPUT}; do not edit.\n"
    "#include <string_view>\n"
    "namespace ${NAMESPACE} {\n"
    "extern const std::string_view ${VARIABLE};\n"
    "const std::string_view ${VARIABLE} = R\"embedded(${_content})embedded\";\n"
    "}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
