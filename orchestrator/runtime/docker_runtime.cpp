#include "orchestrator/runtime/docker_runtime.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <fstream>

#include "gateway/netns.hpp"
#include "orchestrator/control/names.hpp"
#include "orchestrator/docker/async_asio.hpp"
#include "orchestrator/runtime/confinement.hpp"

namespace svl::runtime {

namespace asio = boost::asio;
using asio::awaitable;
namespace names = control::names;

namespace {

// Runs one client call on the pool. The call is a named local before it is co_awaited: GCC 12
// miscompiles non-trivial temporaries inside a co_await expression (copied bitwise, destroyed
// twice), so this is the one place that pattern is written.
template <class F>
auto call(docker::AsyncClient& pool, F f) -> awaitable<std::invoke_result_t<F&, docker::Client&>> {
  auto result = co_await docker::async_call(pool, std::move(f), asio::use_awaitable);
  co_return result;
}

Error failed(const docker::Error& e) { return Error{DockerRuntime::fault_of(e), e.message.empty() ? e.describe() : e.message}; }

Status status_of(const docker::Status& s) { return s ? Status() : Status(failed(s.error())); }

}  // namespace

Fault DockerRuntime::fault_of(const docker::Error& e) {
  switch (e.code) {
    case docker::Errc::not_found: return Fault::not_found;
    // Docker answers 409 for a container that someone is removing: to the core it is gone.
    case docker::Errc::conflict:
      return e.message.find("marked for removal") != std::string::npos ? Fault::not_found : Fault::conflict;
    case docker::Errc::unreachable:
    case docker::Errc::timeout: return Fault::unavailable;
    case docker::Errc::cancelled: return Fault::cancelled;
    default: return Fault::failed;
  }
}

DockerRuntime::DockerRuntime(docker::AsyncClient& pool, DockerRuntimeOptions options)
    : pool_(pool), options_(std::move(options)) {}

DockerRuntime::~DockerRuntime() { stop_watching(); }

awaitable<Result<std::string>> DockerRuntime::create(docker::ContainerSpec spec) {
  auto make = [spec](docker::Client& c) { return c.create_container(spec); };
  auto created = co_await call(pool_, make);
  if (!created && created.error().code == docker::Errc::conflict) {
    // A container of that name left by a crash of ours, or one someone is removing: its name stays
    // taken until that removal ends, so a removal that did not take is waited out (bounded).
    auto drop = [n = spec.name](docker::Client& c) {
      auto removed = c.remove_container(n, {.force = true});
      if (!removed && removed.error().code != docker::Errc::not_found)
        (void)c.wait_container(n, std::chrono::seconds(10), docker::WaitCondition::removed);
      return removed;
    };
    (void)co_await call(pool_, drop);
    created = co_await call(pool_, make);
  }
  if (!created) co_return failed(created.error());
  co_return *created;
}

awaitable<Result<Sandbox>> DockerRuntime::create_sandbox(control::SandboxSpec s) {
  docker::ContainerSpec spec;
  spec.name = s.name;
  spec.image = options_.sandbox_image;
  spec.labels = s.labels;
  if (!options_.netns) spec.publish_port = s.port;
  spec.memory_bytes = 16 << 20;
  spec.pids_limit = 8;
  spec.stop_timeout_s = 1;
  confine_sandbox(spec, options_.network);
  auto created = co_await create(spec);
  if (!created) co_return created.error();
  const std::string id = *created;
  auto start = [id](docker::Client& c) { return c.start_container(id); };
  auto started = co_await call(pool_, start);
  std::optional<Error> failure;
  if (started) {
    auto inspect = [id](docker::Client& c) { return c.inspect_container(id); };
    auto info = co_await call(pool_, inspect);
    if (info) {
      if (auto reach = reach_of(*info, s.port); reach.known()) co_return Sandbox{id, std::move(reach)};
    }
    failure = !info               ? failed(info.error())
              : options_.netns ? Error{Fault::failed, "the sandbox's network namespace cannot be opened"}
                               : Error{Fault::failed, "sandbox has no published port"};
  } else {
    failure = failed(started.error());
  }
  std::vector<std::string> ids{id};
  (void)co_await remove(ids);
  co_return *failure;
}

control::Reach DockerRuntime::reach_of(const docker::ContainerInfo& info, int port) const {
  control::Reach reach;
  if (!options_.netns) {
    if (auto hp = info.host_port(port)) reach.host_port = static_cast<std::uint16_t>(*hp);
    return reach;
  }
  if (info.state.pid <= 0) return reach;
  // Its inode now, while the pid is surely the sandbox's: the gateway enters only that namespace.
  const std::string path = "/proc/" + std::to_string(info.state.pid) + "/ns/net";
  if (const auto inode = gateway::netns_inode(path)) reach.netns = path, reach.netns_inode = inode;
  return reach;
}

awaitable<Result<std::string>> DockerRuntime::create_replica(control::ReplicaSpec r) {
  docker::ContainerSpec spec;
  spec.name = r.name;
  spec.image = r.image;
  spec.env = r.env;
  spec.labels = r.labels;
  spec.network_mode = "container:" + r.home;
  // Before the create: from here on the sandbox may hold what a replica left in it.
  note(options_.claimed_dir, r.home, true);
  spec.memory_bytes = static_cast<std::int64_t>(r.memory_bytes);
  spec.nano_cpus = static_cast<std::int64_t>(std::llround(r.cpus * 1e9));
  spec.pids_limit = r.pids;
  spec.no_new_privileges = true;
  spec.stop_timeout_s = static_cast<int>(r.stop_grace.count());
  spec.init = r.init;
  spec.binds = r.binds;
  spec.user = r.user;
  if (!r.secrets.empty()) {
    if (!options_.secrets) co_return Error{Fault::failed, "this runtime cannot provide secrets"};
    // A docker::Result, as every call on the pool returns; the hook's failure reads as a failed create.
    auto prepare = [r, hook = options_.secrets, owners = owners_](docker::Client& c) -> docker::Result<secrets::Snapshot> {
      auto image = c.inspect_image(r.image);
      if (!image) return image.error();
      auto owner = owners->of(c, image->id, r.user.empty() ? image->user : r.user);
      if (!owner) return owner.error();
      auto snapshot = hook(r, *owner);
      if (!snapshot) return docker::Error{docker::Errc::invalid_argument, 0, snapshot.error().message};
      return std::move(*snapshot);
    };
    auto snapshot = co_await call(pool_, prepare);
    if (!snapshot) co_return failed(snapshot.error());
    if (!snapshot->files_dir.empty()) spec.binds.push_back(snapshot->files_dir + ":/run/secrets:ro");
    for (auto& [key, value] : snapshot->env) spec.env[key] = std::move(value);
  }
  confine_replica(spec, r.cap_add);
  auto created = co_await create(spec);
  co_return created;
}

awaitable<Status> DockerRuntime::start(std::string id) {
  auto f = [id](docker::Client& c) { return c.start_container(id); };
  co_return status_of(co_await call(pool_, f));
}

awaitable<Status> DockerRuntime::pause(std::string id) {
  auto f = [id](docker::Client& c) { return c.pause_container(id); };
  co_return status_of(co_await call(pool_, f));
}

awaitable<Status> DockerRuntime::unpause(std::string id) {
  auto f = [id](docker::Client& c) { return c.unpause_container(id); };
  co_return status_of(co_await call(pool_, f));
}

void DockerRuntime::note(const std::filesystem::path& dir, const std::string& id, bool on) {
  if (dir.empty() || id.empty() || id.find('/') != std::string::npos) return;
  std::error_code ec;
  if (on) {
    std::filesystem::create_directories(dir, ec);
    std::ofstream(dir / id).flush();
  } else {
    std::filesystem::remove(dir / id, ec);
  }
}

bool DockerRuntime::noted(const std::filesystem::path& dir, const std::string& id) {
  std::error_code ec;
  return !dir.empty() && std::filesystem::exists(dir / id, ec);
}

void DockerRuntime::note_stopping(const std::string& id, bool stopping) const { note(options_.stopping_dir, id, stopping); }

bool DockerRuntime::noted_stopping(const std::string& id) const { return noted(options_.stopping_dir, id); }

awaitable<Status> DockerRuntime::stop(std::string id, std::chrono::seconds grace, bool paused) {
  note_stopping(id, true);
  if (paused) {
    auto thaw = [id](docker::Client& c) { return c.unpause_container(id); };
    (void)co_await call(pool_, thaw);
  }
  auto f = [id, grace](docker::Client& c) { return c.stop_container(id, grace); };
  auto stopped = status_of(co_await call(pool_, f));
  if (stopped || stopped.error().fault == Fault::not_found) note_stopping(id, false);
  co_return stopped;
}

awaitable<Status> DockerRuntime::kill(std::string id) {
  auto f = [id](docker::Client& c) { return c.kill_container(id); };
  auto killed = status_of(co_await call(pool_, f));
  if (killed || (killed.error().fault != Fault::unavailable && killed.error().fault != Fault::cancelled))
    note_stopping(id, false);
  co_return killed;
}

awaitable<Status> DockerRuntime::remove(std::vector<std::string> ids) {
  Status outcome;
  for (const auto& id : ids) {
    if (id.empty()) continue;
    auto f = [id](docker::Client& c) { return c.remove_container(id, {.force = true}); };
    auto r = co_await call(pool_, f);
    if (r || r.error().code == docker::Errc::not_found) {
      note_stopping(id, false);
      note(options_.claimed_dir, id, false);
    } else if (outcome) {
      outcome = failed(r.error());
    }
  }
  co_return outcome;
}

awaitable<Result<std::vector<control::Observed>>> DockerRuntime::list() {
  auto f = [label = std::string(names::instance) + "=" + options_.instance](docker::Client& c) {
    docker::ListOptions opts;
    opts.label_filters = {label};
    return c.list_containers(opts);
  };
  auto listed = co_await call(pool_, f);
  if (!listed) co_return failed(listed.error());
  std::vector<control::Observed> out;
  for (const auto& c : *listed) {
    control::Observed o{c.id, c.names.empty() ? c.id : c.names.front(), c.labels, c.state, {}, "", false};
    if (noted_stopping(c.id)) {
      if (c.state == "running" || c.state == "paused") o.state = "stopping";  // a stop of ours was under way
      else note_stopping(c.id, false);
    }
    auto role = c.labels.find(names::role);
    auto port = c.labels.find(names::port);
    const bool spare = role != c.labels.end() && role->second == "pool";
    const bool sandbox = role != c.labels.end() && role->second == "sandbox" && port != c.labels.end();
    if (c.network_mode.starts_with("container:")) o.home = c.network_mode.substr(10);
    o.claimed = noted(options_.claimed_dir, c.id);
    if ((sandbox || spare) && c.state == "running" && on_network(c, options_.network)) {
      auto inspect = [id = c.id](docker::Client& cl) { return cl.inspect_container(id); };
      auto info = co_await call(pool_, inspect);
      if (info) o.reach = reach_of(*info, spare ? 0 : std::atoi(port->second.c_str()));
    }
    out.push_back(std::move(o));
  }
  co_return out;
}

awaitable<Result<std::string>> DockerRuntime::logs_tail(std::string id, int lines) {
  auto f = [id, lines](docker::Client& c) {
    docker::LogsOptions opts;
    opts.tail = lines;
    return c.logs(id, opts);
  };
  auto logs = co_await call(pool_, f);
  if (!logs) co_return failed(logs.error());
  std::string text;
  for (const auto& line : logs->lines) text += line.text + "\n";
  co_return text;
}

awaitable<Result<std::string>> DockerRuntime::image_id(std::string reference) {
  auto f = [reference](docker::Client& c) { return c.inspect_image(reference); };
  auto image = co_await call(pool_, f);
  if (!image) co_return failed(image.error());
  co_return image->id;
}

void DockerRuntime::watch(EventSink sink) {
  docker::EventWatcherOptions watch;
  watch.client = options_.events_client;
  watch.filter.labels = {std::string(names::instance) + "=" + options_.instance};
  auto shared = std::make_shared<EventSink>(std::move(sink));
  events_ = std::make_unique<docker::EventWatcher>(
      watch,
      [shared](const docker::Event& e) {
        control::RuntimeEvent out;
        out.id = e.id;
        out.function = e.attribute(names::function);
        out.exit_code = e.exit_code.value_or(-1);
        if (e.action == docker::EventAction::oom) out.kind = control::RuntimeEvent::Kind::oom;
        else if (e.action == docker::EventAction::die) out.kind = control::RuntimeEvent::Kind::exited;
        else if (e.action == docker::EventAction::destroy) out.kind = control::RuntimeEvent::Kind::destroyed;
        else return;
        shared->on_event(std::move(out));
      },
      [shared](bool reconnect) {
        if (reconnect) shared->on_resync();
      },
      [shared](const docker::Error& error) {
        if (fault_of(error) == Fault::unavailable) shared->on_lost(error.message);
      });
}

void DockerRuntime::stop_watching() { events_.reset(); }

}  // namespace svl::runtime
