#include "orchestrator/daemon/domain_checks.hpp"

#include <cctype>

namespace svl::orchestrator {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "NAME" when `domain` is NAME.<base> with NAME one label: the gateway routes it to function NAME.
std::string function_label(const std::string& domain, const std::string& base) {
  if (base.empty() || domain.size() <= base.size() + 1) return "";
  const auto at = domain.size() - base.size();
  if (domain[at - 1] != '.' || domain.compare(at, std::string::npos, base) != 0) return "";
  std::string label = domain.substr(0, at - 1);
  return label.find('.') == std::string::npos ? label : "";
}

}  // namespace

std::vector<std::string> custom_domain_clashes(const std::string& function, const std::vector<std::string>& domains,
                                               const std::map<std::string, std::vector<std::string>>& deployed,
                                               const std::vector<std::string>& base_domains) {
  std::vector<std::string> clashes;
  for (const auto& domain : domains) {
    std::string clash;
    for (const auto& [other, theirs] : deployed) {
      if (other == function) continue;
      for (const auto& d : theirs)
        if (d == domain) clash = "custom domain " + domain + " is already used by function '" + other + "'";
      if (!clash.empty()) break;
    }
    for (const auto& raw_base : base_domains) {
      if (!clash.empty()) break;
      const std::string base = lower(raw_base);
      const std::string label = function_label(domain, base);
      if (label.empty() || label == function) continue;  // its own NAME.<base> is merely redundant
      if (deployed.count(label))
        clash = "custom domain " + domain + " is the address of function '" + label + "' (NAME." + base + ")";
      else
        clash = "custom domain " + domain + " is the address a function named '" + label + "' would get (NAME." + base +
                "); use a domain outside " + base + ", or name the function '" + label + "'";
    }
    if (!clash.empty()) clashes.push_back(std::move(clash));
  }
  return clashes;
}

std::vector<std::string> certificate_warnings(const std::vector<std::string>& domains,
                                              const std::function<bool(const std::string&)>& covers) {
  std::vector<std::string> warnings;
  if (!covers) return warnings;
  for (const auto& domain : domains)
    if (!covers(domain))
      warnings.push_back("no certificate covers " + domain + " (add " + domain + ".crt/.key to the certs directory)");
  return warnings;
}

}  // namespace svl::orchestrator
