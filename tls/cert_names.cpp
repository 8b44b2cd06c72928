#include "tls/cert_names.hpp"

#include <algorithm>
#include <cctype>

namespace svl::tls {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string name_of_stem(std::string_view stem) {
  if (stem == default_stem) return {};
  if (stem.starts_with("_.")) return "*" + std::string(stem.substr(1));
  return std::string(stem);
}

bool covers(std::string_view pattern, std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);  // an absolute name is the same name
  if (!pattern.starts_with("*.")) return iequal(pattern, host);
  const auto dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;  // "*.a.b" never covers "a.b"
  return iequal(pattern.substr(1), host.substr(dot));
}

std::optional<std::size_t> pick(const std::vector<Candidate>& candidates, std::optional<std::size_t> default_index,
                                std::string_view sni) {
  if (sni.empty()) return default_index;
  std::optional<std::size_t> wildcard;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    for (const auto& n : candidates[i].names) {
      if (!covers(n, sni)) continue;
      if (!n.starts_with("*.")) return i;
      if (!wildcard) wildcard = i;
    }
  return wildcard ? wildcard : default_index;
}

}  // namespace svl::tls
