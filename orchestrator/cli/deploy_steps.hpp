#pragma once
// The steps `svl up` and `svl dev` share: build the folder's image, register it with the daemon,
// wait until its replica answers.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::cli {

// What went wrong, ready to print after "svl up: " or "svl dev: ".
struct Failure {
  explicit Failure(std::string m, long http_status = 0) : message(std::move(m)), status(http_status) {}
  std::string message;
  long status;  // the daemon's answer, when it refused
};

// The image to run: spec.image, or the id of the image built from [build] (progress on stderr
// unless quiet: every line when piped, one self-overwriting line on a terminal). Built by this
// machine's Docker, or with `on_daemon` by the daemon's (a remote context: POST /v1/builds).
svl::Result<std::string, Failure> build_image(const std::filesystem::path& dir, const orchestrator::FunctionSpec& spec,
                                              const std::string& docker_host, bool quiet, AdminClient* on_daemon = nullptr);

struct Deployed {
  long revision = 0;
  bool created = false;
  std::vector<std::string> warnings{};  // the daemon deployed it but says so (a domain without a certificate)
};

// Each warning on its own line, prefixed "warning: ".
void print_warnings(std::ostream& out, const std::vector<std::string>& warnings);

// PUT /v1/functions/NAME. `dev`: null, or svl dev's lease ({"session", "lease_seconds"}).
svl::Result<Deployed, Failure> put_function(AdminClient& admin, const orchestrator::FunctionSpec& spec,
                                            const std::string& image, const std::filesystem::path& dir, bool force,
                                            const nlohmann::json& dev = nullptr);

// Waits for the revision to have a ready replica; the status JSON. A
// failure carries the replica's last log lines.
svl::Result<nlohmann::json, Failure> wait_ready(AdminClient& admin, const orchestrator::FunctionSpec& spec, long revision);

}  // namespace svl::cli
