# Embeds the project templates (templates/<name>/**) into the svl binary, so `svl new` needs no
# files next to it. At build time embed_templates.cmake writes one C++ source holding every
# file's path and bytes; it is regenerated when any template file changes, and the glob is
# re-checked on every build (CONFIGURE_DEPENDS) so added or removed files are picked up.
set(svl_templates_dir ${PROJECT_SOURCE_DIR}/templates)
file(GLOB_RECURSE svl_template_files CONFIGURE_DEPENDS LIST_DIRECTORIES false ${svl_templates_dir}/*)
list(FILTER svl_template_files EXCLUDE REGEX "/(node_modules|__pycache__|\\.git)/")

set(svl_templates_source ${CMAKE_CURRENT_BINARY_DIR}/embedded_templates.cpp)
add_custom_command(
  OUTPUT ${svl_templates_source}
  COMMAND ${CMAKE_COMMAND} -DTEMPLATES_DIR=${svl_templates_dir} -DOUTPUT=${svl_templates_source}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/embed_templates.cmake
  DEPENDS ${svl_template_files} ${CMAKE_CURRENT_SOURCE_DIR}/embed_templates.cmake
  COMMENT "Embedding templates/ into svl"
  VERBATIM)

# The rule lives in this folder but svl_orchestrator is defined in the parent: a custom target
# carries the rule, and the library waits for it.
add_custom_target(svl_embedded_templates DEPENDS ${svl_templates_source})
add_dependencies(svl_orchestrator svl_embedded_templates)
set_source_files_properties(${svl_templates_source} DIRECTORY ${PROJECT_SOURCE_DIR}/orchestrator PROPERTIES GENERATED TRUE)
target_sources(svl_orchestrator PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/templates.cpp
  ${svl_templates_source}
)
