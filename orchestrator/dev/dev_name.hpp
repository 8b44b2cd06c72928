#pragma once
// The name `svl dev` deploys a folder under, so that the production function stays untouched.
#include <string>
#include <string_view>

namespace svl::dev {

// "<name>-dev"; when that would not fit a DNS label (63), the name is cut and a hash of the
// whole name keeps long names that share a prefix apart: "<cut>-<8 hex>-dev".
// `name` is a valid function name (orchestrator::is_valid_function_name); so is the result.
std::string dev_function_name(std::string_view name);

}  // namespace svl::dev
