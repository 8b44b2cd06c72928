#pragma once
// Docker Engine API JSON <-> svl types (no I/O: tested with canned replies).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/docker/result.hpp"
#include "orchestrator/docker/types.hpp"

namespace svl::docker::api {

// An HTTP error reply -> Error: 404 not_found, 409 conflict, other 4xx bad_request, 5xx server_error;
// the message is Docker's "message" field (or the raw body when it is not JSON).
Error http_error(long status, std::string_view body);

// {"label":["a=b"],"type":["container"]} for the `filters` query parameter.
std::string filters(const std::map<std::string, std::vector<std::string>>& filters);

std::string container_create_body(const ContainerSpec& spec);

Result<VersionInfo> parse_version(std::string_view body);
// GET /info: its SecurityOptions ("name=rootless", "name=seccomp,profile=default", ...).
Result<std::vector<std::string>> parse_security_options(std::string_view body);
// The new container's (or network's) id.
Result<std::string> parse_create(std::string_view body, std::string_view what = "container create");
Result<ContainerInfo> parse_container_inspect(std::string_view body);
Result<std::vector<ContainerSummary>> parse_container_list(std::string_view body);
Result<ImageInfo> parse_image_inspect(std::string_view body);
std::string network_create_body(const NetworkSpec& spec);
Result<NetworkInfo> parse_network_inspect(std::string_view body);
Result<WaitResult> parse_wait(std::string_view body);
Result<Event> parse_event(std::string_view line);

// One line of the build progress stream.
struct BuildMessage {
  std::string stream;    // "Step 1/3 : FROM scratch\n"
  std::string status;    // pull/progress status
  std::string error;     // "error" (or errorDetail.message)
  std::string image_id;  // aux.ID
};
Result<BuildMessage> parse_build_message(std::string_view line);

// Compares "major.minor" numerically ("1.9" < "1.41"). Returns <0, 0 or >0.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace svl::docker::api
