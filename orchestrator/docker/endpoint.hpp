#pragma once
// Where the daemon is: a unix socket or a TCP address, from "unix://..." / "tcp://..." (DOCKER_HOST).
#include <string>
#include <string_view>

#include "orchestrator/docker/result.hpp"

namespace svl::docker {

struct Endpoint {
  std::string unix_socket;  // non-empty for unix://
  std::string base_url;     // "http://localhost" for a socket, "http://host:port" for tcp://
};

Result<Endpoint> parse_endpoint(std::string_view host);

}  // namespace svl::docker
