#pragma once
// Which certificate serves which server name, as pure choices (no OpenSSL here). A certificate
// directory holds NAME.crt + NAME.key; the file stem `_.example.com` stands for `*.example.com`
// (a '*' is awkward in file names) and `default` covers every name nothing else does.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svl::tls {

inline constexpr std::string_view default_stem = "default";

// The server name a file stem stands for: "_.example.com" -> "*.example.com"; "default" -> "".
std::string name_of_stem(std::string_view stem);

// Whether `pattern` (a name or "*.suffix", as in a certificate's SAN) covers `host`: case-
// insensitive, a wildcard covers exactly one leftmost label (RFC 6125 6.4.3), never a bare suffix.
bool covers(std::string_view pattern, std::string_view host);

// The certificate to use for `sni` among candidates given by the names each covers: an exact
// name first, then a wildcard, then the default (index `default_index`), else none. No SNI (an
// empty name, or an IP literal, which SNI may not carry) gets the default.
struct Candidate {
  std::vector<std::string> names;  // from its SANs (or the stem when it has none)
};
std::optional<std::size_t> pick(const std::vector<Candidate>& candidates, std::optional<std::size_t> default_index,
                                std::string_view sni);

}  // namespace svl::tls
