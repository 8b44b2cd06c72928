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

#include "orchestrator/daemon/controller.hpp"

namespace svl::orchestrator {

// What a deploy (svl up) gets back.
struct DeployOutcome {
  long revision = 0;
  bool created = false;  // false: the spec and image were unchanged, no new revision
};

// Errors the admin API maps to HTTP statuses; the message names the problem.
struct ControlError {
  unsigned status;
  std::string message;
  nlohmann::json details = nullptr;
};

class AdminOps {
public:
  AdminOps(boost::asio::io_context& ctl, Controller& controller, Registry& registry, runtime::ContainerRuntime& runtime,
           const Clock& clock);

  boost::asio::awaitable<std::variant<DeployOutcome, ControlError>> deploy(FunctionSpec spec, std::string image,
                                                                           std::string source_dir, bool force);
  boost::asio::awaitable<std::optional<ControlError>> wait_ready(std::string name, long revision,
                                                                 std::chrono::milliseconds timeout);
  boost::asio::awaitable<std::optional<ControlError>> remove(std::string name);
  boost::asio::awaitable<std::variant<long, ControlError>> rollback(std::string name, std::optional<long> revision);
  boost::asio::awaitable<std::variant<nlohmann::json, ControlError>> set_scale(std::string name, std::optional<long> min,
                                                                               std::optional<long> max);

private:
  // Holds the name's turn for the lifetime of the guard.
  struct Turn {
    AdminOps* self;
    std::string name;
    ~Turn() { self->busy_.erase(name); }
  };
  boost::asio::awaitable<void> take_turn(const std::string& name);
  boost::asio::awaitable<void> pause(std::chrono::milliseconds d);

  boost::asio::io_context& ctl_;
  Controller& controller_;
  Registry& registry_;
  runtime::ContainerRuntime& runtime_;
  const Clock& clock_;
  std::set<std::string> busy_;
};

}  // namespace svl::orchestrator
