#pragma once
// Internal to orchestrator/spec: turns a parsed TOML table into a FunctionSpec, checking
// every key. Both svl.toml and the admin API's JSON (converted to a table) come through here.
#include <optional>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "orchestrator/spec/function_spec.hpp"
#include "orchestrator/spec/spec_error.hpp"

#include <string>

namespace svl::orchestrator::detail {

// The dotted key an error names, each part written as TOML would write it: bare when it can
// be, else quoted, so even an empty or dotted key is named ("" or env."a.b").
std::string dotted(std::string_view prefix, std::string_view key);

// Appends every problem found to errors; returns the spec only when none was found.
std::optional<FunctionSpec> read_spec(const toml::table& root, std::string_view file, std::vector<SpecError>& errors);

}  // namespace svl::orchestrator::detail
