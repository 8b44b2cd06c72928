#include "orchestrator/docker/endpoint.hpp"

namespace svl::docker {

Result<Endpoint> parse_endpoint(std::string_view host) {
  constexpr std::string_view unix_scheme = "unix://";
  constexpr std::string_view tcp_scheme = "tcp://";
  constexpr std::string_view http_scheme = "http://";
  if (host.starts_with(unix_scheme)) {
    std::string path(host.substr(unix_scheme.size()));
    if (path.empty() || path.front() != '/')
      return Error{Errc::invalid_argument, 0, "unix socket path must be absolute: " + std::string(host)};
    return Endpoint{path, "http://localhost"};
  }
  std::string_view rest;
  if (host.starts_with(tcp_scheme)) rest = host.substr(tcp_scheme.size());
  else if (host.starts_with(http_scheme)) rest = host.substr(http_scheme.size());
  else return Error{Errc::invalid_argument, 0, "unsupported docker host (want unix:// or tcp://): " + std::string(host)};
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos)
    return Error{Errc::invalid_argument, 0, "bad docker host: " + std::string(host)};
  // Docker's default TCP port when none is given.
  std::string authority(rest);
  if (authority.find(':') == std::string::npos || authority.back() == ']') authority += ":2375";
  return Endpoint{"", "http://" + authority};
}

}  // namespace svl::docker
