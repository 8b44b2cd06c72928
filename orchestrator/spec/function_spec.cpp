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

std::string secret_name_problem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 63) return "is longer than 63 characters";
  auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; };
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
    return "must start with a-z or 0-9";
  for (char c : name)
    if (!allowed(c)) return "has a character other than a-z, 0-9, '.', '_' and '-'";
  return "";
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

std::string custom_domain_problem(std::string_view d) {
  if (d.empty()) return "must not be empty";
  if (d.find("://") != std::string_view::npos) return "no scheme: write the host name alone, e.g. \"api.example.com\"";
  if (d.find('/') != std::string_view::npos) return "no path: write the host name alone, e.g. \"api.example.com\"";
  if (d.find(':') != std::string_view::npos) return "no port: the gateway's own ports serve every domain";
  if (d.find('*') != std::string_view::npos) return "wildcards are not supported: list each host name";
  if (d.back() == '.') return "no trailing dot: write it as \"" + std::string(d.substr(0, d.size() - 1)) + "\"";
  if (d.size() > 253) return "too long: a host name has at most 253 characters";
  bool upper = false;
  for (char c : d) upper = upper || (c >= 'A' && c <= 'Z');
  if (upper) {
    std::string lower(d);
    for (auto& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return "must be lower case: write \"" + lower + "\"";
  }
  std::string_view last;
  for (std::string_view rest = d;;) {
    const auto dot = rest.find('.');
    const auto label = rest.substr(0, dot);
    if (label.empty()) return "has an empty label (two dots in a row, or a leading dot)";
    if (label.size() > 63) return "label \"" + std::string(label) + "\" is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-')
      return "label \"" + std::string(label) + "\" starts or ends with '-'";
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return "label \"" + std::string(label) + "\" has a character other than a-z, 0-9 and '-'";
    last = label;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  // A name whose last label is all digits is an IPv4 address (RFC 1123 2.1); Host routing by an
  // address would catch every request sent to it.
  if (last.find_first_not_of("0123456789") == std::string_view::npos) return "is an IP address, not a host name";
  return "";
}

}  // namespace svl::orchestrator
