#include "orchestrator/docker/client.hpp"

#include <cstdlib>
#include <optional>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "orchestrator/docker/api_json.hpp"
#include "orchestrator/docker/build_context.hpp"
#include "orchestrator/docker/endpoint.hpp"
#include "orchestrator/docker/http_transport.hpp"
#include "orchestrator/docker/stream_decoders.hpp"

namespace svl::docker {
namespace {

// Oldest daemon API this client can drive (NanoCpus, wait conditions ...).
constexpr std::string_view min_api_version = "1.30";
// Docker's own assumption for daemons whose /_ping has no API-Version header.
constexpr std::string_view fallback_api_version = "1.24";

std::string escape(std::string_view s) {
  char* out = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string result = out ? out : "";
  curl_free(out);
  return result;
}

// Builds "?a=1&b=2" with escaped values.
class Query {
public:
  Query& add(std::string_view key, std::string_view value) {
    out_ += out_.empty() ? '?' : '&';
    out_ += key;
    out_ += '=';
    out_ += escape(value);
    return *this;
  }
  Query& flag(std::string_view key, bool value) { return add(key, value ? "1" : "0"); }
  const std::string& str() const { return out_; }

private:
  std::string out_;
};

bool is_2xx(long status) { return status >= 200 && status < 300; }

std::string strip_newlines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

const char* wait_condition(WaitCondition c) {
  switch (c) {
    case WaitCondition::not_running: return "not-running";
    case WaitCondition::next_exit: return "next-exit";
    case WaitCondition::removed: return "removed";
  }
  return "not-running";
}

}  // namespace

std::string ClientOptions::default_host() {
  if (const char* env = std::getenv("DOCKER_HOST"); env && *env) return env;
  return "unix:///var/run/docker.sock";
}

struct Client::Impl {
  ClientOptions options;
  std::optional<Error> endpoint_error;  // bad host: every call fails with it
  std::unique_ptr<HttpTransport> transport;
  std::string version;  // negotiated; empty until the first successful ping

  explicit Impl(ClientOptions o) : options(std::move(o)) {
    if (options.host.empty()) options.host = ClientOptions::default_host();
    auto endpoint = parse_endpoint(options.host);
    if (!endpoint) {
      endpoint_error = endpoint.error();
      return;
    }
    transport = std::make_unique<HttpTransport>(std::move(endpoint.value()), options.connect_timeout);
  }

  template <class F>
  auto observe(std::string_view operation, F&& f) -> decltype(f()) {
    const auto start = std::chrono::steady_clock::now();
    auto result = f();
    if (options.observer) {
      const auto latency = std::chrono::steady_clock::now() - start;
      options.observer->on_call(operation, latency, result.ok() ? nullptr : &result.error());
    }
    return result;
  }

  // A request whose target is not versioned (/_ping).
  Result<HttpResponse> raw(HttpRequest request) {
    if (endpoint_error) return *endpoint_error;
    if (request.timeout.count() == 0 && !request.on_data) request.timeout = options.request_timeout;
    if (!request.stop.stop_possible()) request.stop = options.stop;
    return transport->perform(request);
  }

  // A request to /v<version><path>; negotiates the version on first use.
  Result<HttpResponse> call(std::string method, const std::string& path, const std::string* body = nullptr,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    HttpRequest request;
    request.method = std::move(method);
    request.body = body;
    request.timeout = timeout;
    return call(std::move(request), path);
  }

  Result<HttpResponse> call(HttpRequest request, const std::string& path) {
    auto v = negotiated();
    if (!v) return std::move(v).error();
    request.target = "/v" + v.value() + path;
    return raw(std::move(request));
  }

  // A call answered with no body worth reading (204, or 304 when `not_modified_ok`).
  Status empty_call(std::string method, const std::string& path, bool not_modified_ok,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    auto r = call(std::move(method), path, nullptr, timeout);
    if (!r) return std::move(r).error();
    if (is_2xx(r->status) || (not_modified_ok && r->status == 304)) return {};
    return api::http_error(r->status, r->body);
  }

  // GET returning a JSON document parsed by `parse`.
  template <class Parse>
  auto get_json(const std::string& path, Parse&& parse) -> decltype(parse(std::string_view{})) {
    auto r = call("GET", path);
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    return parse(r->body);
  }

  Result<PingInfo> ping() {
    HttpRequest request;
    request.target = "/_ping";
    auto r = raw(std::move(request));
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    if (strip_newlines(r->body) != "OK") return Error{Errc::malformed_reply, static_cast<int>(r->status), "unexpected /_ping body: " + r->body.substr(0, 200)};
    PingInfo info{r->header("api-version"), r->header("ostype")};
    std::string daemon = info.api_version.empty() ? std::string(fallback_api_version) : info.api_version;
    if (api::compare_versions(daemon, min_api_version) < 0)
      return Error{Errc::unsupported, 0, "docker daemon speaks API " + daemon + ", svl needs " + std::string(min_api_version)};
    version = api::compare_versions(daemon, options.max_api_version) < 0 ? daemon : options.max_api_version;
    return info;
  }

  Result<std::string> negotiated() {
    if (version.empty()) {
      auto p = ping();
      if (!p) return std::move(p).error();
    }
    return version;
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

const ClientOptions& Client::options() const noexcept { return impl_->options; }

Result<PingInfo> Client::ping() {
  return impl_->observe("ping", [&] { return impl_->ping(); });
}

Result<std::string> Client::api_version() { return impl_->negotiated(); }

Result<VersionInfo> Client::version() {
  return impl_->observe("version", [&] { return impl_->get_json("/version", api::parse_version); });
}

Result<std::vector<std::string>> Client::security_options() {
  return impl_->observe("info", [&] { return impl_->get_json("/info", api::parse_security_options); });
}

// ---- images -----------------------------------------------------------------------------

Result<BuildResult> Client::build_image(const BuildOptions& options, const BuildLineCallback& on_line,
                                        std::stop_token stop) {
  if (!options.context_tar.empty()) return build_image_from_tar({}, options, on_line, std::move(stop));
  auto tar = make_build_context(options.context_dir, options.dockerfile);
  if (!tar) {
    Error e = std::move(tar).error();
    if (impl_->options.observer) impl_->options.observer->on_call("image_build", {}, &e);
    return e;
  }
  return build_image_from_tar(std::move(tar.value()), options, on_line, std::move(stop));
}

Result<BuildResult> Client::build_image_from_tar(std::string tar, const BuildOptions& options,
                                                 const BuildLineCallback& on_line, std::stop_token stop) {
  return impl_->observe("image_build", [&]() -> Result<BuildResult> {
    Query q;
    q.add("dockerfile", options.dockerfile);
    for (const auto& t : options.tags) q.add("t", t);
    if (!options.build_args.empty()) q.add("buildargs", nlohmann::json(options.build_args).dump());
    if (!options.labels.empty()) q.add("labels", nlohmann::json(options.labels).dump());
    q.flag("nocache", options.no_cache).flag("pull", options.pull);
    q.flag("rm", options.remove_intermediate).flag("forcerm", options.remove_intermediate);

    BuildResult result;
    std::string last_step;               // "Step 2/3 : COPY x /x": named in the failure
    std::optional<Error> failure;
    LineSplitter splitter;
    auto on_message = [&](std::string_view line) -> bool {
      auto m = api::parse_build_message(line);
      if (!m) {
        failure = std::move(m).error();
        return false;
      }
      std::string text = !m->error.empty() ? "error: " + m->error : !m->stream.empty() ? m->stream : m->status;
      text = strip_newlines(text);
      if (!m->stream.empty() && m->stream.starts_with("Step ")) last_step = strip_newlines(m->stream);
      if (!m->image_id.empty()) result.image_id = m->image_id;
      if (!text.empty()) {
        if (on_line) on_line(text);
        result.lines.push_back(text);
      }
      if (!m->error.empty()) {
        failure = Error{Errc::build_failed, 200,
                        last_step.empty() ? strip_newlines(m->error) : last_step + ": " + strip_newlines(m->error)};
        return false;
      }
      return true;
    };

    HttpRequest request;
    request.method = "POST";
    request.body = &tar;
    if (tar.empty()) request.body_file = options.context_tar.string();
    request.content_type = "application/x-tar";
    request.timeout = options.timeout;
    request.stop = std::move(stop);
    request.on_data = [&](std::string_view bytes) { return splitter.feed(bytes, on_message); };
    auto r = impl_->call(std::move(request), "/build" + q.str());
    if (failure) return *failure;
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    if (!splitter.rest().empty()) {
      std::string rest = splitter.rest();
      on_message(rest);
      if (failure) return *failure;
    }
    if (result.image_id.empty()) {
      // Older daemons only say "Successfully built <short id>".
      for (const auto& l : result.lines)
        if (l.starts_with("Successfully built ")) result.image_id = l.substr(19);
    }
    if (result.image_id.empty())
      return Error{Errc::malformed_reply, static_cast<int>(r->status), "build stream ended without an image id"};
    return result;
  });
}

Result<ImageInfo> Client::inspect_image(const std::string& reference) {
  return impl_->observe("image_inspect",
                        [&] { return impl_->get_json("/images/" + reference + "/json", api::parse_image_inspect); });
}

Result<std::string> Client::read_image_file(const std::string& image, const std::string& path, const Labels& labels) {
  ContainerSpec spec;
  spec.image = image;
  spec.labels = labels;
  spec.cmd = {"/nonexistent"};  // never started: an image without a command is still readable
  auto id = create_container(spec);
  if (!id) return std::move(id).error();
  auto read = impl_->observe("container_archive", [&]() -> Result<std::string> {
    auto r = impl_->call("GET", "/containers/" + *id + "/archive?path=" + escape(path));
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    return first_file_of_tar(r->body);
  });
  (void)remove_container(*id, RemoveOptions{.force = true});
  return read;
}

Status Client::remove_image(const std::string& reference, bool force) {
  return impl_->observe("image_remove", [&] {
    return impl_->empty_call("DELETE", "/images/" + reference + Query().flag("force", force).str(), false);
  });
}

// ---- containers -------------------------------------------------------------------------

Result<std::string> Client::create_container(const ContainerSpec& spec) {
  return impl_->observe("container_create", [&]() -> Result<std::string> {
    const std::string body = api::container_create_body(spec);
    std::string path = "/containers/create";
    if (!spec.name.empty()) path += Query().add("name", spec.name).str();
    auto r = impl_->call("POST", path, &body);
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    return api::parse_create(r->body);
  });
}

Status Client::start_container(const std::string& id) {
  return impl_->observe("container_start",
                        [&] { return impl_->empty_call("POST", "/containers/" + id + "/start", true); });
}

Status Client::stop_container(const std::string& id, std::chrono::seconds grace) {
  return impl_->observe("container_stop", [&] {
    // Docker answers only once the container is gone: allow the grace period on top.
    auto timeout = impl_->options.request_timeout + std::chrono::duration_cast<std::chrono::milliseconds>(grace);
    return impl_->empty_call("POST", "/containers/" + id + "/stop" + Query().add("t", std::to_string(grace.count())).str(),
                             true, timeout);
  });
}

Status Client::kill_container(const std::string& id, std::string_view signal) {
  return impl_->observe("container_kill", [&] {
    return impl_->empty_call("POST", "/containers/" + id + "/kill" + Query().add("signal", signal).str(), false);
  });
}

Status Client::remove_container(const std::string& id, RemoveOptions options) {
  return impl_->observe("container_remove", [&] {
    Query q;
    q.flag("force", options.force).flag("v", options.volumes);
    return impl_->empty_call("DELETE", "/containers/" + id + q.str(), false);
  });
}

Status Client::pause_container(const std::string& id) {
  return impl_->observe("container_pause",
                        [&] { return impl_->empty_call("POST", "/containers/" + id + "/pause", false); });
}

Status Client::unpause_container(const std::string& id) {
  return impl_->observe("container_unpause",
                        [&] { return impl_->empty_call("POST", "/containers/" + id + "/unpause", false); });
}

Result<ContainerInfo> Client::inspect_container(const std::string& id) {
  return impl_->observe("container_inspect",
                        [&] { return impl_->get_json("/containers/" + id + "/json", api::parse_container_inspect); });
}

Result<std::vector<ContainerSummary>> Client::list_containers(const ListOptions& options) {
  return impl_->observe("container_list", [&] {
    Query q;
    q.flag("all", options.all);
    std::map<std::string, std::vector<std::string>> f;
    f["label"] = options.label_filters;
    f["status"] = options.status_filters;
    q.add("filters", api::filters(f));
    return impl_->get_json("/containers/json" + q.str(), api::parse_container_list);
  });
}

// ---- networks ---------------------------------------------------------------------------

Result<NetworkInfo> Client::inspect_network(const std::string& name) {
  return impl_->observe("network_inspect",
                        [&] { return impl_->get_json("/networks/" + escape(name), api::parse_network_inspect); });
}

Result<std::string> Client::create_network(const NetworkSpec& spec) {
  return impl_->observe("network_create", [&]() -> Result<std::string> {
    const std::string body = api::network_create_body(spec);
    auto r = impl_->call("POST", "/networks/create", &body);
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    return api::parse_create(r->body, "network create");
  });
}

Status Client::remove_network(const std::string& name) {
  return impl_->observe("network_remove", [&] { return impl_->empty_call("DELETE", "/networks/" + escape(name), false); });
}

Result<WaitResult> Client::wait_container(const std::string& id, std::chrono::milliseconds timeout,
                                          WaitCondition condition) {
  return impl_->observe("container_wait", [&]() -> Result<WaitResult> {
    auto r = impl_->call("POST", "/containers/" + id + "/wait" + Query().add("condition", wait_condition(condition)).str(),
                         nullptr, timeout);
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    return api::parse_wait(r->body);
  });
}

// ---- logs -------------------------------------------------------------------------------

namespace {

std::string logs_query(const LogsOptions& options, bool follow) {
  Query q;
  q.flag("stdout", options.out).flag("stderr", options.err).flag("timestamps", options.timestamps);
  q.flag("follow", follow);
  if (options.since) q.add("since", std::to_string(*options.since));
  q.add("tail", options.tail ? std::to_string(*options.tail) : std::string("all"));
  return q.str();
}

Error truncated_logs() { return Error{Errc::malformed_reply, 200, "log stream cut inside a frame"}; }

}  // namespace

Result<Logs> Client::logs(const std::string& id, const LogsOptions& options) {
  return impl_->observe("container_logs", [&]() -> Result<Logs> {
    auto r = impl_->call("GET", "/containers/" + id + "/logs" + logs_query(options, false), nullptr, options.timeout);
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    Logs logs;
    LogDemuxer demux;
    LogLineAssembler lines;
    auto on_line = [&](const LogLine& l) {
      logs.lines.push_back(l);
      return true;
    };
    auto status = demux.feed(r->body, [&](LogStream s, std::string_view payload) {
      (s == LogStream::out ? logs.out : logs.err).append(payload);
      return lines.feed(s, payload, on_line);
    });
    if (status == LogDemuxer::Status::malformed)
      return Error{Errc::malformed_reply, 200, "log stream has an unknown frame type (TTY container?)"};
    if (demux.mid_frame()) return truncated_logs();
    lines.flush(on_line);
    return logs;
  });
}

Status Client::follow_logs(const std::string& id, const LogsOptions& options, const LogLineCallback& on_line,
                           std::stop_token stop) {
  return impl_->observe("container_logs_follow", [&]() -> Status {
    LogDemuxer demux;
    LogLineAssembler lines;
    bool malformed = false;
    bool consumer_stopped = false;
    auto deliver = [&](const LogLine& l) {
      if (!on_line(l)) consumer_stopped = true;
      return !consumer_stopped;
    };
    HttpRequest request;
    request.stop = std::move(stop);
    request.on_data = [&](std::string_view bytes) {
      auto s = demux.feed(bytes, [&](LogStream st, std::string_view payload) { return lines.feed(st, payload, deliver); });
      if (s == LogDemuxer::Status::malformed) malformed = true;
      return s == LogDemuxer::Status::ok;
    };
    auto r = impl_->call(std::move(request), "/containers/" + id + "/logs" + logs_query(options, true));
    if (malformed) return Error{Errc::malformed_reply, 200, "log stream has an unknown frame type (TTY container?)"};
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    if (consumer_stopped) return {};
    if (demux.mid_frame()) return truncated_logs();
    lines.flush(deliver);
    return {};
  });
}

// ---- events -----------------------------------------------------------------------------

Status Client::events(const EventFilter& filter, const EventCallback& on_event, std::stop_token stop) {
  return impl_->observe("events", [&]() -> Status {
    Query q;
    q.add("filters", api::filters({{"label", filter.labels}, {"type", filter.types}, {"event", filter.events}}));
    if (filter.since) q.add("since", *filter.since);
    if (filter.until) q.add("until", *filter.until);
    LineSplitter splitter;
    std::optional<Error> failure;
    HttpRequest request;
    request.stop = std::move(stop);
    request.on_data = [&](std::string_view bytes) {
      return splitter.feed(bytes, [&](std::string_view line) {
        auto e = api::parse_event(line);
        if (!e) {
          failure = std::move(e).error();
          return false;
        }
        return on_event(e.value());
      });
    };
    auto r = impl_->call(std::move(request), "/events" + q.str());
    if (failure) return *failure;
    if (!r) return std::move(r).error();
    if (!is_2xx(r->status)) return api::http_error(r->status, r->body);
    if (r->ended_by_consumer) return {};
    if (!splitter.rest().empty()) return Error{Errc::malformed_reply, 200, "event stream cut inside an event"};
    if (!filter.until) return Error{Errc::transport, 200, "event stream ended by the daemon"};
    return {};
  });
}

}  // namespace svl::docker
