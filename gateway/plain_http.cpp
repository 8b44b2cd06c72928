#include "gateway/plain_http.hpp"

#include <boost/url/parse.hpp>

namespace svl::gateway {

namespace {

bool base64url(std::string_view token) {
  if (token.empty() || token.size() > 256) return false;
  for (const char c : token)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

// The path of an origin-form or absolute-form target, without its query.
std::string_view path_of(std::string_view target) {
  if (!target.empty() && target.front() != '/') {
    const auto u = boost::urls::parse_absolute_uri(target);
    if (!u) return {};
    target = u->encoded_path();
  }
  return target.substr(0, target.find('?'));
}

}  // namespace

std::optional<AcmeChallenge> acme_challenge(std::string_view target, const std::filesystem::path& webroot) {
  const auto path = path_of(target);
  if (!path.starts_with(acme_prefix)) return std::nullopt;
  const auto token = path.substr(acme_prefix.size());
  AcmeChallenge out;
  if (!base64url(token))
    out.error = "not an ACME challenge token: '" + std::string(token.substr(0, 64)) + "'";
  else
    out.file = webroot / ".well-known" / "acme-challenge" / std::string(token);
  return out;
}

std::string https_location(std::string_view host, std::string_view target, std::uint16_t tls_port) {
  std::string_view path = target;
  if (!target.empty() && target.front() != '/' && target != "*") {  // absolute-form: its own authority
    if (const auto u = boost::urls::parse_absolute_uri(target)) {
      host = u->encoded_host_and_port();
      const auto rest = u->encoded_resource();  // path, query and fragment
      path = rest.empty() ? std::string_view("/") : std::string_view(rest.data(), rest.size());
    }
  }
  if (path.empty() || path.front() != '/') path = "/";
  // Host without its port; an IPv6 literal keeps its brackets.
  std::string_view name = host;
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos)
    name = host.substr(0, colon);
  std::string out = "https://";
  out += name;
  if (tls_port != 443) out += ":" + std::to_string(tls_port);
  out += path;
  return out;
}

}  // namespace svl::gateway
