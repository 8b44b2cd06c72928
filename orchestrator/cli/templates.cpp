// Scaffolding from the embedded templates: lookup, name checks, placeholder filling, writing.
#include "orchestrator/cli/templates.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>

namespace svl::cli {

namespace fs = std::filesystem;

const Template* find_template(std::string_view name) {
  const auto all = embedded_templates();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Template& t) { return t.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::string template_names() {
  std::string names;
  for (const auto& t : embedded_templates()) {
    if (!names.empty()) names += ", ";
    names += t.name;
  }
  return names;
}

std::string function_name_error(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 63) return "must be 1 to 63 characters long";
  if (!std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-'; }))
    return "may only use lowercase letters a-z, digits 0-9 and '-'";
  if (!alnum(name.front()) || !alnum(name.back()))
    return "must start and end with a letter or digit (it becomes a host name: NAME.localhost)";
  return {};
}

std::string fill_in(std::string_view text, std::string_view name) {
  constexpr std::string_view placeholder = "{{name}}";
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0;;) {
    const auto hit = text.find(placeholder, pos);
    out.append(text.substr(pos, hit - pos));
    if (hit == std::string_view::npos) return out;
    out.append(name);
    pos = hit + placeholder.size();
  }
}

namespace {

std::string describe(const fs::path& path, const std::error_code& ec) {
  return path.string() + ": " + ec.message();
}

// Removes what a failed scaffold wrote (dir was empty or absent before); best effort, the
// original error is what gets reported.
void undo(const fs::path& dir, bool created_dir) {
  std::error_code ignored;
  if (created_dir) {
    fs::remove_all(dir, ignored);
    return;
  }
  for (const auto& entry : fs::directory_iterator(dir, ignored)) fs::remove_all(entry.path(), ignored);
}

}  // namespace

ScaffoldResult scaffold(const Template& tmpl, std::string_view name, const fs::path& dir) {
  ScaffoldResult result;
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  bool created_dir = false;
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      result.error = dir.string() + " exists and is not a directory";
      return result;
    }
    if (!fs::is_empty(dir, ec) || ec) {
      result.error = ec ? describe(dir, ec)
                        : dir.string() + " already exists and is not empty; choose another directory or empty it first";
      return result;
    }
  } else {
    created_dir = fs::create_directories(dir, ec);
    if (ec) {
      result.error = describe(dir, ec);
      return result;
    }
  }

  for (const auto& file : tmpl.files) {
    const fs::path target = dir / fs::path(std::string(file.path));
    fs::create_directories(target.parent_path(), ec);
    const std::string contents = fill_in(file.contents, name);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!ec && out) out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!ec && out) out.close();
    if (ec || !out) {
      result.error = ec ? describe(target, ec) : target.string() + ": cannot write the file";
      undo(dir, created_dir);
      result.written.clear();
      return result;
    }
    result.written.emplace_back(file.path);
  }
  return result;
}

}  // namespace svl::cli
