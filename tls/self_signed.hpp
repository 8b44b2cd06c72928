#pragma once
// The remote admin API's own certificate: made once, self-signed, and trusted by its SHA-256
// fingerprint (ssh-style pinning, docs/remote.md) rather than by a CA.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct x509_st;

namespace svl::tls {

// Writes a new P-256 key (mode 0600) and a certificate for it, valid ten years, naming `names`
// (DNS names; ones that parse as IP addresses become IP SANs). Throws std::runtime_error naming
// the file on failure; neither file is left half written.
void write_self_signed(const std::filesystem::path& crt, const std::filesystem::path& key,
                       const std::vector<std::string>& names);

// "SHA256:" and the lower-case hex SHA-256 of the certificate's DER, as `openssl x509
// -fingerprint -sha256` prints it but without colons.
std::string fingerprint(const x509_st* cert);
// The fingerprint of the first certificate of a PEM file; throws std::runtime_error naming it.
std::string fingerprint_of_file(const std::filesystem::path& crt);
// A fingerprint as a user may type it (SHA256: prefix optional, colons and case free) in the
// form fingerprint() gives, or nullopt when it is not 32 bytes of hex.
std::optional<std::string> normalize_fingerprint(std::string_view text);

}  // namespace svl::tls
