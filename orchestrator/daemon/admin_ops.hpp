#pragma once
// The admin operations (deploy, remove, rollback, scale, wait for ready), serialised per
// function: two operations on one name never interleave, and a deploy of a name that is being
// removed waits until its containers are gone. Registry first, then the core: a function the
// registry does not hold never serves.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include <boost/asio/steady_timer.hpp>
#include <map>

#include "orchestrator/daemon/admin_requests.hpp"
#include "orchestrator/daemon/controller.hpp"
#include "orchestrator/daemon/secret_store.hpp"
#include "orchestrator/secrets/secret_files.hpp"

namespace svl::orchestrator {

// What a deploy (svl up) gets back.
struct DeployOutcome {
  long revision = 0;
  bool created = false;  // false: the spec and image were unchanged, no new revision
  std::vector<std::string> warnings{};  // deployed, but the user should know (a domain without a certificate)
};

// Errors the admin API maps to HTTP statuses; the message names the problem.
struct ControlError {
  unsigned status;
  std::string message;
  nlohmann::json details = nullptr;
};

class AdminOps {
public:
  // Reads the dev leases from the registry and starts watching them lapse.
  // secrets, files: without them a spec that names [secrets] is refused.
  AdminOps(boost::asio::io_context& ctl, Controller& controller, Registry& registry, runtime::ContainerRuntime& runtime,
           const Clock& clock, SecretStore* secrets = nullptr, const secrets::SecretFiles* files = nullptr);
  // No more lease checks (the daemon stops).
  void stop();

  boost::asio::awaitable<std::variant<DeployOutcome, ControlError>> deploy(DeployRequest request);
  boost::asio::awaitable<std::optional<ControlError>> wait_ready(std::string name, long revision,
                                                                 std::chrono::milliseconds timeout);
  boost::asio::awaitable<std::optional<ControlError>> remove(std::string name);
  boost::asio::awaitable<std::variant<long, ControlError>> rollback(std::string name, std::optional<long> revision);
  boost::asio::awaitable<std::variant<nlohmann::json, ControlError>> set_scale(std::string name, std::optional<long> min,
                                                                               std::optional<long> max);
  // svl dev: renews its lease; restarts the replicas' processes after a save below a mount.
  std::variant<nlohmann::json, ControlError> renew(const std::string& name, const LeaseRequest& lease);
  std::optional<ControlError> restart(const std::string& name);
  // svl secret set --roll: a new revision of every function whose current revision names the
  // secret (same spec and image, the secrets' current versions). Returns function -> revision.
  boost::asio::awaitable<std::variant<std::map<std::string, long>, ControlError>> roll(std::string secret);

private:
  // Holds the name's turn for the lifetime of the guard.
  struct Turn {
    AdminOps* self;
    std::string name;
    ~Turn() { self->busy_.erase(name); }
  };
  boost::asio::awaitable<void> take_turn(const std::string& name);
  boost::asio::awaitable<void> pause(std::chrono::milliseconds d);
  // Once a second: a dev function whose lease lapsed (svl dev was killed) is removed.
  boost::asio::awaitable<void> watch_leases();
  void track(const FunctionRecord& f);
  // Stores (spec, image) with the secrets' current versions as the function's current revision,
  // and hands it to the core. The caller holds the name's turn.
  std::variant<PutRevisionOutcome, ControlError> commit(const FunctionSpec& spec, const std::string& image_id,
                                                        const std::string& source_dir, PutRevisionOptions options);

  boost::asio::io_context& ctl_;
  Controller& controller_;
  Registry& registry_;
  runtime::ContainerRuntime& runtime_;
  const Clock& clock_;
  SecretStore* secrets_;
  const secrets::SecretFiles* files_;
  std::set<std::string> busy_;
  std::map<std::string, WallTime> leases_;  // dev function -> when its lease lapses
  boost::asio::steady_timer lease_timer_;
  bool stopped_ = false;
};

}  // namespace svl::orchestrator
