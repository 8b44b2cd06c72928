#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

std::string_view to_string(ScalePolicy policy) {
  switch (policy) {
    case ScalePolicy::adaptive: return "adaptive";
    case ScalePolicy::hybrid: return "hybrid";
    case ScalePolicy::fixed: return "fixed";
  }
  return "adaptive";
}

std::optional<ScalePolicy> scale_policy_from_string(std::string_view text) {
  if (text == "adaptive") return ScalePolicy::adaptive;
  if (text == "hybrid") return ScalePolicy::hybrid;
  if (text == "fixed") return ScalePolicy::fixed;
  return std::nullopt;
}

std::vector<std::string> container_environment(const FunctionSpec& spec) {
  std::map<std::string, std::string> merged = spec.env;
  merged["PORT"] = std::to_string(spec.port);  // validation rejects PORT in [env]
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [key, value] : merged) out.push_back(key + "=" + value);
  return out;
}

bool is_valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace svl::orchestrator
