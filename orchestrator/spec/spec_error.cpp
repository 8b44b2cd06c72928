#include "orchestrator/spec/spec_error.hpp"

#include "common/error_category.hpp"

namespace svl::orchestrator {
namespace {

const char* message(SpecErrc e) noexcept {
  switch (e) {
    case SpecErrc::syntax: return "syntax error";
    case SpecErrc::unknown_key: return "unknown key";
    case SpecErrc::wrong_type: return "wrong type";
    case SpecErrc::bad_value: return "bad value";
    case SpecErrc::out_of_range: return "value out of range";
    case SpecErrc::missing_key: return "missing key";
    case SpecErrc::conflict: return "conflicting keys";
    case SpecErrc::unreadable: return "file cannot be read";
  }
  return "unknown spec error";
}

}  // namespace

const std::error_category& spec_category() noexcept { return svl::enum_category<SpecErrc, "svl.spec", message>(); }

std::error_code make_error_code(SpecErrc e) noexcept { return {static_cast<int>(e), spec_category()}; }

std::string SpecError::to_string() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ":" + std::to_string(line);
      if (column > 0) out += ":" + std::to_string(column);
    }
    out += ": ";
  }
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

std::string to_string(const std::vector<SpecError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.to_string();
  }
  return out;
}

}  // namespace svl::orchestrator
