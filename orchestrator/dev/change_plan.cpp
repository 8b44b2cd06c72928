#include "orchestrator/dev/change_plan.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>

namespace svl::dev {
namespace {

constexpr std::array<std::string_view, 13> kRebuildFiles = {
    "svl.toml",     ".env",         ".dockerignore",    "Dockerfile",    "package.json",
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "tsconfig.json", "requirements.txt",
    "pyproject.toml", "go.mod",     "go.sum"};

bool rebuilds(const std::string& path, const orchestrator::FunctionSpec& spec) {
  const std::string file = std::filesystem::path(path).filename().string();
  if (std::find(kRebuildFiles.begin(), kRebuildFiles.end(), file) != kRebuildFiles.end()) return true;
  if (spec.build && path == (std::filesystem::path(spec.build->context) / spec.build->dockerfile).lexically_normal().string())
    return true;
  for (const auto& [folder, target] : spec.dev.mount) {
    std::string under = std::filesystem::path(folder).lexically_normal().string();  // "./src/" -> "src/", "./" -> "."
    if (under == ".") return false;                                                    // the whole folder
    if (under.back() != '/') under += '/';
    if (path.rfind(under, 0) == 0) return false;
  }
  return true;
}

}  // namespace

ChangePlan plan_changes(const std::vector<std::string>& paths, const orchestrator::FunctionSpec& spec) {
  if (paths.empty()) return ChangePlan::none;
  return rebuild_reason(paths, spec).empty() ? ChangePlan::restart : ChangePlan::rebuild;
}

std::string rebuild_reason(const std::vector<std::string>& paths, const orchestrator::FunctionSpec& spec) {
  for (const auto& p : paths)
    if (rebuilds(p, spec)) return p;
  return {};
}

}  // namespace svl::dev
