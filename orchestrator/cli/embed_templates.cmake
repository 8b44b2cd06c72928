# cmake -DTEMPLATES_DIR=<templates/> -DOUTPUT=<file.cpp> -P embed_templates.cmake
# Writes a C++ source defining svl::cli::embedded_templates() (see templates.hpp): one entry per
# folder of TEMPLATES_DIR, its description from the folder's `.svl-template` file, and every
# other file's path and bytes (as \xNN escapes, so any content, binary included, survives).
cmake_minimum_required(VERSION 3.25)
if(NOT TEMPLATES_DIR OR NOT OUTPUT)
  message(FATAL_ERROR "usage: cmake -DTEMPLATES_DIR=... -DOUTPUT=... -P embed_templates.cmake")
endif()

file(GLOB template_dirs LIST_DIRECTORIES true RELATIVE ${TEMPLATES_DIR} ${TEMPLATES_DIR}/*)
list(SORT template_dirs)

set(data "")
set(tables "")
set(entries "")
set(index 0)
foreach(name IN LISTS template_dirs)
  if(NOT IS_DIRECTORY ${TEMPLATES_DIR}/${name})
    continue()
  endif()
  if(NOT EXISTS ${TEMPLATES_DIR}/${name}/.svl-template)
    message(FATAL_ERROR "templates/${name}/.svl-template (the one-line description) is missing")
  endif()
  file(READ ${TEMPLATES_DIR}/${name}/.svl-template description)
  string(STRIP "${description}" description)
  string(REPLACE "\\" "\\\\" description "${description}")
  string(REPLACE "\"" "\\\"" description "${description}")

  file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${TEMPLATES_DIR}/${name} ${TEMPLATES_DIR}/${name}/*)
  list(FILTER files EXCLUDE REGEX "(^|/)(node_modules|__pycache__|\\.git)/")
  list(REMOVE_ITEM files .svl-template)
  list(SORT files)
  set(rows "")
  foreach(path IN LISTS files)
    file(READ ${TEMPLATES_DIR}/${name}/${path} hex HEX)
    string(LENGTH "${hex}" hex_length)
    math(EXPR size "${hex_length} / 2")
    # 64 bytes per source line keeps the generated file readable by the compiler and by people.
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
    string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){64})" "\\1\"\n    \"" escaped "${escaped}")
    string(APPEND data "// ${name}/${path}\nconstexpr char file_${index}[] =\n    \"${escaped}\";\n")
    string(APPEND rows "    {\"${path}\", {file_${index}, ${size}}},\n")
    math(EXPR index "${index} + 1")
  endforeach()
  string(MAKE_C_IDENTIFIER "${name}" id)
  string(APPEND tables "constexpr TemplateFile files_${id}[] = {\n${rows}};\n")
  string(APPEND entries "    {\"${name}\", \"${description}\", files_${id}},\n")
endforeach()

set(source "// Generated from templates/ by orchestrator/cli/embed_templates.cmake: do not edit.
#include \"orchestrator/cli/templates.hpp\"

namespace svl::cli {
namespace {

${data}
${tables}
constexpr Template templates[] = {
${entries}};

}  // namespace

std::span<const Template> embedded_templates() { return templates; }

}  // namespace svl::cli
")
# Only touch the output when it changed, so an unrelated re-run recompiles nothing.
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} previous)
  if(previous STREQUAL source)
    return()
  endif()
endif()
file(WRITE ${OUTPUT} "${source}")
