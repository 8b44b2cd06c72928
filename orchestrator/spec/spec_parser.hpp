#pragma once
// svl.toml -> FunctionSpec. Every problem is collected (not just the first) and names the
// file, line, column and dotted key. JSON from the admin API goes through the very same
// checks, so both paths accept and reject exactly the same specs.
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "orchestrator/spec/function_spec.hpp"
#include "orchestrator/spec/spec_error.hpp"

namespace svl::orchestrator {

struct SpecResult {
  std::optional<FunctionSpec> spec;  // set exactly when errors is empty
  std::vector<SpecError> errors;     // sorted by line, then column

  explicit operator bool() const { return spec.has_value(); }
};

// source_name is what errors call the file, e.g. "svl.toml" or "fn/svl.toml".
SpecResult parse_spec(std::string_view toml_text, std::string_view source_name = "svl.toml");

// Reads and parses a file; a missing or unreadable file is one SpecErrc::unreadable error.
SpecResult load_spec_file(const std::filesystem::path& path);

// The admin API's form (see to_json in spec_json.hpp). Errors have no file or line;
// their key names the offending field, e.g. "scale.max".
SpecResult spec_from_json(const nlohmann::json& json);

}  // namespace svl::orchestrator
