// `svl new NAME [--template T] [DIR]`: start a function from an embedded template.
// `svl templates`: list the templates.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <string>

#include "orchestrator/cli/command.hpp"
#include "orchestrator/cli/templates.hpp"

namespace svl::cli {

namespace {

// The default asks for nothing but Docker: a net/http server, built into a small static image.
constexpr std::string_view default_template = "go";

struct NewOptions {
  std::string name;
  std::string template_name{default_template};
  std::string dir;
};

int run_new(const NewOptions& options) {
  if (const auto why = function_name_error(options.name); !why.empty()) {
    std::cerr << "svl new: invalid function name '" << options.name << "': " << why << "\n";
    return 1;
  }
  const Template* tmpl = find_template(options.template_name);
  if (tmpl == nullptr) {
    std::cerr << "svl new: unknown template '" << options.template_name << "'; available: " << template_names()
              << " (see `svl templates`)\n";
    return 1;
  }
  const std::string dir = options.dir.empty() ? options.name : options.dir;
  const auto result = scaffold(*tmpl, options.name, dir);
  if (!result.error.empty()) {
    std::cerr << "svl new: " << result.error << "\n";
    return 1;
  }
  std::cout << "Created function '" << options.name << "' from template '" << tmpl->name << "' in " << dir << "/\n";
  for (const auto& path : result.written) std::cout << "  " << path << "\n";
  std::cout << "\nNext:\n  cd " << dir << "\n";
  if (tmpl->name == "static") std::cout << "  cp /path/to/your/static/binary server   # see README.md\n";
  std::cout << "  svl up\n";
  return 0;
}

int run_templates() {
  std::size_t width = 0;
  for (const auto& t : embedded_templates()) width = std::max(width, t.name.size());
  for (const auto& t : embedded_templates())
    std::cout << std::left << std::setw(static_cast<int>(width + 2)) << t.name << t.description << "\n";
  return 0;
}

}  // namespace

void add_new_command(CLI::App& app, Run& run) {
  auto options = std::make_shared<NewOptions>();
  auto* create = app.add_subcommand("new", "Create a function folder from a template (see `svl templates`)");
  create->add_option("name", options->name, "Function name: 1-63 of a-z, 0-9 and '-'")->required();
  create->add_option("dir", options->dir, "Folder to create (default: ./NAME); must be absent or empty");
  create->add_option("-t,--template", options->template_name, "Template to start from")
      ->default_str(std::string(default_template));
  create->callback([&run, options] { run = [options] { return run_new(*options); }; });

  auto* list = app.add_subcommand("templates", "List the templates `svl new` can start from");
  list->callback([&run] { run = [] { return run_templates(); }; });
}

}  // namespace svl::cli
