#include "orchestrator/daemon/admin_ops.hpp"

#include "orchestrator/daemon/daemon_log.hpp"
#include "orchestrator/daemon/domain_checks.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace svl::orchestrator {

namespace asio = boost::asio;
using asio::awaitable;
using namespace std::chrono_literals;

namespace {
constexpr auto kStartGrace = 30s;

// The HTTP status a registry refusal of a deploy or a lease answers with.
unsigned status_of(const std::error_code& code) {
  if (code == RegistryErrc::not_found) return 404;
  if (code == RegistryErrc::name_taken || code == RegistryErrc::lease_held) return 409;
  if (code == RegistryErrc::invalid) return 400;
  return 500;
}
}  // namespace

AdminOps::AdminOps(asio::io_context& ctl, Controller& controller, Registry& registry, runtime::ContainerRuntime& runtime,
                   const Clock& clock, SecretStore* secrets, const secrets::SecretFiles* files)
    : ctl_(ctl),
      controller_(controller),
      registry_(registry),
      runtime_(runtime),
      clock_(clock),
      secrets_(secrets),
      files_(files),
      lease_timer_(ctl) {
  // A daemon that was down longer than a lease does not remove a dev function whose svl dev
  // still runs: every lease gets a grace from start-up to be renewed in.
  if (auto functions = registry_.list_functions())
    for (const auto& f : *functions)
      if (f.lease) leases_[f.name] = std::max(f.lease->expires_at, std::chrono::system_clock::now() + kStartGrace);
  asio::co_spawn(ctl_, watch_leases(), asio::detached);
}

void AdminOps::stop() {
  stopped_ = true;
  lease_timer_.cancel();
}

void AdminOps::track(const FunctionRecord& f) {
  if (f.lease) leases_[f.name] = f.lease->expires_at;
  else leases_.erase(f.name);
}

awaitable<void> AdminOps::watch_leases() {
  while (!stopped_) {
    lease_timer_.expires_after(1s);
    boost::system::error_code ec;
    co_await lease_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    const auto now = std::chrono::system_clock::now();
    std::vector<std::string> lapsed;
    for (const auto& [name, expires] : leases_)
      if (expires <= now) lapsed.push_back(name);
    for (const auto& name : lapsed) {
      leases_.erase(name);
      auto f = registry_.get_function(name);  // renewed or taken over meanwhile?
      if (f && f->lease && f->lease->live(now)) {
        track(*f);
        continue;
      }
      if (!f || !f->lease) continue;
      log("dev function " + name + ": svl dev's lease lapsed; removing it");
      asio::co_spawn(ctl_, remove(name), asio::detached);
    }
  }
}

std::variant<nlohmann::json, ControlError> AdminOps::renew(const std::string& name, const LeaseRequest& lease) {
  const auto expires = std::chrono::system_clock::now() + lease.length;
  auto held = registry_.hold_lease(name, DevLease{lease.session, expires});
  if (!held) {
    return ControlError{status_of(held.error().code), held.error().message};
  }
  track(*held);
  return nlohmann::json{{"name", name}, {"lease_seconds", lease.length.count()}};
}

std::optional<ControlError> AdminOps::restart(const std::string& name) {
  control::Steps out;
  if (!controller_.core().restart(name, clock_.now(), out)) return ControlError{404, "function " + name + " does not exist"};
  controller_.run(std::move(out));
  return std::nullopt;
}

awaitable<void> AdminOps::pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(ctl_, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

awaitable<void> AdminOps::take_turn(const std::string& name) {
  // Admin operations are rare and short: waiting in 2 ms steps keeps this simple.
  while (busy_.count(name) || controller_.core().removing(name)) co_await pause(2ms);
  busy_.insert(name);
}

awaitable<std::variant<DeployOutcome, ControlError>> AdminOps::deploy(DeployRequest request) {
  const FunctionSpec& spec = request.spec;
  const std::string& image = request.image;
  const std::string name = spec.name;
  co_await take_turn(name);
  Turn turn{this, name};
  auto image_id = co_await runtime_.image_id(image);
  if (!image_id) {
    if (image_id.error().fault == control::Fault::not_found)
      co_return ControlError{400, "image: " + image + " does not exist in the local Docker engine (build it first, e.g. with `svl up`)"};
    co_return ControlError{503, "image: cannot inspect " + image + ": " + image_id.error().message};
  }
  // Checked after the last wait, so no other deploy can take a domain between the check and the
  // store (everything here runs on the control thread).
  std::map<std::string, std::vector<std::string>> deployed;
  for (const auto& [other, f] : controller_.core().functions()) deployed[other] = f->spec().custom_domains;
  if (auto clashes = custom_domain_clashes(name, spec.custom_domains, deployed, controller_.options().domains);
      !clashes.empty()) {
    std::string message;
    for (const auto& c : clashes) message += (message.empty() ? "" : "; ") + c;
    co_return ControlError{409, message, nlohmann::json{{"clashes", clashes}}};
  }
  PutRevisionOptions options{request.force, std::nullopt};
  if (request.dev) options.lease = DevLease{request.dev->session, std::chrono::system_clock::now() + request.dev->length};
  auto put = commit(spec, *image_id, request.source_dir, std::move(options));
  if (auto* e = std::get_if<ControlError>(&put)) co_return *e;
  const auto& done = std::get<PutRevisionOutcome>(put);
  co_return DeployOutcome{done.revision, done.created,
                          certificate_warnings(spec.custom_domains, controller_.options().certificate_covers)};
}

std::variant<PutRevisionOutcome, ControlError> AdminOps::commit(const FunctionSpec& spec, const std::string& image_id,
                                                                const std::string& source_dir,
                                                                PutRevisionOptions options) {
  const std::string& name = spec.name;
  if (!spec.secrets.empty()) {
    if (!secrets_) return ControlError{400, "secrets: this daemon keeps no secrets"};
    auto versions = secrets_->versions(spec.secrets);
    if (!versions) return ControlError{versions.error().status, versions.error().message};
    options.secret_versions = std::move(*versions);
  }
  auto put = registry_.put_revision(name, spec, image_id, source_dir, options);
  if (!put) {
    const auto& e = put.error();
    return ControlError{status_of(e.code), e.message};
  }
  auto record = registry_.get_function(name);
  if (!record) return ControlError{500, "registry: " + record.error().message};
  auto& core = controller_.core();
  control::Steps out;
  track(*record);
  auto config = config_of(*record);
  const auto* known = core.find(name);
  if (!known) core.load(std::move(config), false, clock_.now(), out);
  else if (put->created || known->revision() != put->revision || known->config().dev != config.dev)
    core.apply(std::move(config), clock_.now(), out);
  core.deployed(name, clock_.now(), out);
  controller_.run(std::move(out));
  return *put;
}

awaitable<std::variant<std::map<std::string, long>, ControlError>> AdminOps::roll(std::string secret) {
  std::map<std::string, long> rolled;
  if (!secrets_) co_return rolled;
  for (const auto& name : secrets_->users_of(secret)) {
    co_await take_turn(name);
    Turn turn{this, name};
    auto record = registry_.get_function(name);
    if (!record) continue;  // removed meanwhile
    PutRevisionOptions options{true, std::nullopt};  // the same folder; a dev lease is left as it is
    auto put = commit(record->current.spec, record->current.image_id, record->current.source_dir, std::move(options));
    if (auto* e = std::get_if<ControlError>(&put)) co_return ControlError{e->status, "function " + name + ": " + e->message};
    rolled[name] = std::get<PutRevisionOutcome>(put).revision;
  }
  co_return rolled;
}

awaitable<std::optional<ControlError>> AdminOps::wait_ready(std::string name, long revision,
                                                             std::chrono::milliseconds timeout) {
  const auto deadline = clock_.now() + timeout;
  for (;;) {
    const auto* f = controller_.core().find(name);
    if (!f) co_return ControlError{404, "function " + name + " does not exist"};
    const long want = revision ? revision : f->revision();
    if (f->replicas().ready(want) > 0) co_return std::nullopt;
    const auto& failure = f->failure();
    const bool failed = failure.revision == want && (f->replicas().serving_or_starting(want) == 0 || f->revision() != want);
    // The failed replica's log tail is still being read: answer with it, not without it.
    if (failed && (failure.logs_pending == 0 || clock_.now() >= deadline)) {
      nlohmann::json details{{"logs", failure.logs}, {"revision", want}, {"serving_revision", f->revision()}};
      std::string message = failure.message;
      if (f->revision() != want) message += "; revision " + std::to_string(f->revision()) + " keeps serving";
      co_return ControlError{503, message, details};
    }
    if (!failed && f->replicas().serving_or_starting(want) == 0 && want == f->revision() &&
        !f->crash_loop().backing_off(clock_.now())) {
      control::Steps out;
      controller_.core().timer(name, clock_.now(), out);  // nothing woke it yet: ask for capacity
      if (out.empty()) controller_.core().demand(name, clock_.now(), out);
      controller_.run(std::move(out));
    }
    if (clock_.now() >= deadline)
      co_return ControlError{504, "function " + name + " revision " + std::to_string(want) +
                                      " did not become ready within " + std::to_string(timeout.count()) + " ms"};
    co_await pause(10ms);
  }
}

awaitable<std::optional<ControlError>> AdminOps::remove(std::string name) {
  co_await take_turn(name);
  Turn turn{this, name};
  if (!controller_.core().find(name)) co_return ControlError{404, "function " + name + " does not exist"};
  // The registry row goes first: if that fails nothing changed; once it is gone the function no
  // longer serves (the core unroutes it in the same step), and a crash before its containers are
  // removed leaves strays that the next start removes.
  if (auto st = registry_.delete_function(name); !st) co_return ControlError{500, "registry: " + st.error().message};
  leases_.erase(name);
  control::Steps out;
  controller_.core().remove(name, clock_.now(), out);
  controller_.run(std::move(out));
  const auto deadline = clock_.now() + 60s;
  while (controller_.core().removing(name) && clock_.now() < deadline) co_await pause(5ms);
  if (files_) files_->remove_function(name);  // its containers are gone: nothing mounts them now
  co_return std::nullopt;
}

awaitable<std::variant<long, ControlError>> AdminOps::rollback(std::string name, std::optional<long> revision) {
  co_await take_turn(name);
  Turn turn{this, name};
  auto& core = controller_.core();
  const auto* f = core.find(name);
  if (!f) co_return ControlError{404, "function " + name + " does not exist"};
  auto back = registry_.rollback(name, revision);
  if (!back) co_return ControlError{back.error().code == RegistryErrc::not_found ? 404u : 400u, back.error().message};
  control::Steps out;
  core.apply(config_of(*back), clock_.now(), out);
  core.deployed(name, clock_.now(), out);
  controller_.run(std::move(out));
  co_return back->current.number;
}

awaitable<std::variant<nlohmann::json, ControlError>> AdminOps::set_scale(std::string name, std::optional<long> min,
                                                                          std::optional<long> max) {
  co_await take_turn(name);
  Turn turn{this, name};
  auto& core = controller_.core();
  const auto* f = core.find(name);
  if (!f) co_return ControlError{404, "function " + name + " does not exist"};
  // The function's own bounds, not a scheduled window's: an override written now outlives the window.
  const long new_min = min.value_or(f->config().min_override.value_or(f->spec().scale.min));
  const long new_max = max.value_or(f->config().max_override.value_or(f->spec().scale.max));
  if (new_min < 0) co_return ControlError{400, "min: must be 0 or more"};
  if (new_max < 1) co_return ControlError{400, "max: must be 1 or more"};
  if (new_min > new_max)
    co_return ControlError{400, "min: " + std::to_string(new_min) + " is above max " + std::to_string(new_max)};
  if (auto st = registry_.set_scale(name, new_min, new_max); !st)
    co_return ControlError{st.error().code == RegistryErrc::invalid ? 400u : 500u, st.error().message};
  auto config = f->config();
  config.min_override = new_min;
  config.max_override = new_max;
  control::Steps out;
  core.apply(std::move(config), clock_.now(), out);
  core.deployed(name, clock_.now(), out);  // min replicas start now
  controller_.run(std::move(out));
  nlohmann::json reply{{"name", name}, {"min", new_min}, {"max", new_max}};
  if (!f->windows().empty())
    reply["note"] = "svl scale's min " + std::to_string(new_min) + " and max " + std::to_string(new_max) +
                    " win over the function's [[scale.schedule]] windows until the overrides are cleared";
  co_return reply;
}

}  // namespace svl::orchestrator
