#pragma once
// Project templates for `svl new`: embedded in the binary at build time (templates.cmake
// generates embedded_templates() from templates/<name>/**), and the scaffolding that copies
// one into a folder with the function's name filled in wherever "{{name}}" appears.
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace svl::cli {

struct TemplateFile {
  std::string_view path;      // relative to the template's root, '/'-separated
  std::string_view contents;  // the file's bytes
};

struct Template {
  std::string_view name;
  std::string_view description;  // one line, from templates/<name>/.svl-template
  std::span<const TemplateFile> files;
};

// Every embedded template, sorted by name (generated source).
std::span<const Template> embedded_templates();

// nullptr when there is no template of that name.
const Template* find_template(std::string_view name);

// "cpp, go, node, ..." for error messages.
std::string template_names();

// An empty string when `name` can name a function (1-63 of [a-z0-9-], starting and ending with a
// letter or digit so it is a valid host name label), otherwise the reason it cannot.
std::string function_name_error(std::string_view name);

// The template text with every "{{name}}" replaced by `name`.
std::string fill_in(std::string_view text, std::string_view name);

struct ScaffoldResult {
  std::vector<std::string> written;  // template paths, in order
  std::string error;                 // empty on success
};

// Writes `tmpl` into `dir` (created if absent) for a function called `name`. Refuses a `dir` that
// is a file or a non-empty directory, and writes nothing then. If a write fails half way, the
// files written so far are removed again (and `dir`, if this call created it).
ScaffoldResult scaffold(const Template& tmpl, std::string_view name, const std::filesystem::path& dir);

}  // namespace svl::cli
