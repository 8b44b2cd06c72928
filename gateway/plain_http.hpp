#pragma once
// What the plain-HTTP port does before routing when HTTPS is on: serve an ACME HTTP-01 challenge
// from the webroot certbot writes to, or send the client to https. Pure string logic.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace svl::gateway {

inline constexpr std::string_view acme_prefix = "/.well-known/acme-challenge/";

// A request target under acme_prefix: the challenge file to answer with, or `error` when the
// token is not one (ACME tokens are base64url: no dot, slash or percent, so `..` and encoded
// escapes never name a file outside the webroot). nullopt: not an ACME request.
struct AcmeChallenge {
  std::filesystem::path file;  // webroot/.well-known/acme-challenge/TOKEN
  std::string error;
};
std::optional<AcmeChallenge> acme_challenge(std::string_view target, const std::filesystem::path& webroot);

// Where a plain request for `host` (its Host value or absolute-form authority, port and all) and
// `target` goes on https: the same host and path at `tls_port` (no port shown for 443).
std::string https_location(std::string_view host, std::string_view target, std::uint16_t tls_port);

}  // namespace svl::gateway
