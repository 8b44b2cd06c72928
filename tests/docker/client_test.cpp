// docker::Client against FakeDockerServer: error mapping, timeouts, broken replies, negotiation.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "orchestrator/docker/client.hpp"
#include "tests/docker/fake_docker_server.hpp"

using namespace svl::docker;
using svl::docker::testing::FakeDockerServer;
using svl::docker::testing::FakeReply;
using svl::docker::testing::RecordedRequest;
using svl::docker::testing::frame;
using Handler = FakeDockerServer::Handler;

namespace {

ClientOptions options_for(const FakeDockerServer& server, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  ClientOptions o;
  o.host = server.host();
  o.request_timeout = timeout;
  return o;
}

const char* inspect_json = R"({
  "Id": "c0ffee", "Name": "/fn-1", "Image": "sha256:abc", "Created": "2026-01-01T00:00:00Z",
  "RestartCount": 0,
  "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false,
            "OOMKilled": false, "Dead": false, "Pid": 42, "ExitCode": 0, "Error": "",
            "StartedAt": "2026-01-01T00:00:01Z", "FinishedAt": "0001-01-01T00:00:00Z"},
  "Config": {"Image": "svl-test-server:1", "Labels": {"svl.managed": "true"}, "User": "1000"},
  "HostConfig": {"NetworkMode": "container:abc", "Memory": 268435456, "NanoCpus": 500000000,
                 "PidsLimit": 256, "Privileged": false, "ReadonlyRootfs": true, "Init": true,
                 "SecurityOpt": ["no-new-privileges"]},
  "Mounts": [{"Type": "bind", "Source": "/srv/data", "Destination": "/data"}],
  "NetworkSettings": {"Ports": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "49153"}], "9000/tcp": null}}
})";

}  // namespace

TEST_CASE("ping negotiates the daemon's version when it is older than ours") {
  FakeDockerServer server(
      [](const RecordedRequest& r) -> std::optional<FakeReply> {
        if (r.path().ends_with("/containers/x/json")) return FakeReply::json(200, inspect_json);
        return std::nullopt;
      },
      "1.40");
  Client client(options_for(server));
  auto info = client.inspect_container("x");
  REQUIRE(info.ok());
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].target == "/_ping");
  CHECK(requests[1].target == "/v1.40/containers/x/json");
  CHECK(client.api_version().value() == "1.40");
}

TEST_CASE("a newer daemon is spoken to at our maximum version") {
  FakeDockerServer server([](const RecordedRequest&) { return std::optional<FakeReply>{}; }, "1.45");
  Client client(options_for(server));
  auto ping = client.ping();
  REQUIRE(ping.ok());
  CHECK(ping->api_version == "1.45");
  CHECK(client.api_version().value() == "1.41");
}

TEST_CASE("a daemon older than the minimum is refused") {
  FakeDockerServer server([](const RecordedRequest&) { return std::optional<FakeReply>{}; }, "1.24");
  Client client(options_for(server));
  auto r = client.list_containers();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::unsupported);
}

TEST_CASE("HTTP errors map to codes and keep Docker's message") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/missing/json")) return FakeReply::error(404, "No such container: missing");
    if (r.path().ends_with("/containers/busy/pause")) return FakeReply::error(409, "Container busy is already paused");
    if (r.path().ends_with("/containers/create")) return FakeReply::error(400, "invalid reference format");
    if (r.path().ends_with("/containers/boom/start")) return FakeReply::error(500, "driver failed programming external connectivity");
    if (r.path().ends_with("/containers/plain/stop")) {
      FakeReply reply;
      reply.status = 503;
      reply.content_type = "text/plain";
      reply.body = "daemon overloaded\n";
      return reply;
    }
    return std::nullopt;
  });
  Client client(options_for(server));

  auto missing = client.inspect_container("missing");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::not_found);
  CHECK(missing.error().http_status == 404);
  CHECK(missing.error().message == "No such container: missing");
  CHECK(missing.error().error_code() == make_error_code(Errc::not_found));

  auto busy = client.pause_container("busy");
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().code == Errc::conflict);
  CHECK(busy.error().message == "Container busy is already paused");

  ContainerSpec spec;
  spec.image = "UPPER";
  auto bad = client.create_container(spec);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::bad_request);

  auto boom = client.start_container("boom");
  REQUIRE_FALSE(boom.ok());
  CHECK(boom.error().code == Errc::server_error);
  CHECK(boom.error().message == "driver failed programming external connectivity");

  auto plain = client.stop_container("plain", std::chrono::seconds(1));
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().code == Errc::server_error);
  CHECK(plain.error().message == "daemon overloaded");
}

TEST_CASE("start and stop of a container already in that state succeed (304)") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.method == "POST" && (r.path().ends_with("/start") || r.path().ends_with("/stop")))
      return FakeReply::json(304, "");
    return std::nullopt;
  });
  Client client(options_for(server));
  CHECK(client.start_container("a").ok());
  CHECK(client.stop_container("a", std::chrono::seconds(3)).ok());
  CHECK(server.requests().back().target == "/v1.41/containers/a/stop?t=3");
}

TEST_CASE("malformed JSON is reported, not guessed at") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/a/json")) return FakeReply::json(200, "{\"Id\": \"a\", \"State\": ");
    if (r.path().ends_with("/containers/b/json")) return FakeReply::json(200, "[1,2]");
    if (r.path().ends_with("/containers/json")) return FakeReply::json(200, "{\"not\": \"a list\"}");
    if (r.path().ends_with("/version")) return FakeReply::json(200, "{}");
    return std::nullopt;
  });
  Client client(options_for(server));
  auto a = client.inspect_container("a");
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == Errc::malformed_reply);
  auto b = client.inspect_container("b");
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().code == Errc::malformed_reply);
  auto list = client.list_containers();
  REQUIRE_FALSE(list.ok());
  CHECK(list.error().code == Errc::malformed_reply);
  auto version = client.version();
  REQUIRE_FALSE(version.ok());
  CHECK(version.error().code == Errc::malformed_reply);
}

TEST_CASE("a daemon that never answers hits the bounded timeout") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/json")) {
      FakeReply reply;
      reply.hang = true;
      return reply;
    }
    return std::nullopt;
  });
  Client client(options_for(server, std::chrono::milliseconds(150)));
  REQUIRE(client.ping().ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = client.list_containers();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::timeout);
  CHECK(elapsed >= std::chrono::milliseconds(140));
  CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("a socket that does not exist is 'unreachable'") {
  ClientOptions o;
  o.host = "unix:///nonexistent/svl/docker.sock";
  Client client(o);
  auto r = client.ping();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::unreachable);
  auto list = client.list_containers();
  REQUIRE_FALSE(list.ok());
  CHECK(list.error().code == Errc::unreachable);

  ClientOptions tcp;
  tcp.host = "tcp://127.0.0.1:1";  // nothing listens on port 1
  auto refused = Client(tcp).ping();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::unreachable);
}

TEST_CASE("a bad DOCKER_HOST is an invalid_argument error, not a crash") {
  ClientOptions o;
  o.host = "ssh://somewhere";
  Client client(o);
  auto r = client.ping();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::invalid_argument);
}

TEST_CASE("the connection is reused across calls") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/json")) return FakeReply::json(200, "[]");
    return std::nullopt;
  });
  Client client(options_for(server));
  for (int i = 0; i < 5; ++i) REQUIRE(client.list_containers().ok());
  CHECK(server.requests().size() == 6);  // ping + 5
  CHECK(server.connections() == 1);
}

TEST_CASE("container create sends limits, loopback port publishing and network mode") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/create")) return FakeReply::json(201, R"({"Id":"new1","Warnings":[]})");
    return std::nullopt;
  });
  Client client(options_for(server));
  ContainerSpec spec;
  spec.name = "fn-a-1";
  spec.image = "svl-test-server:x";
  spec.labels = {{"svl.managed", "true"}};
  spec.env = {{"PORT", "8080"}};
  spec.cmd = {"--flag"};
  spec.publish_port = 8080;
  spec.memory_bytes = 64 << 20;
  spec.nano_cpus = 500'000'000;
  spec.pids_limit = 64;
  auto id = client.create_container(spec);
  REQUIRE(id.ok());
  CHECK(id.value() == "new1");
  auto req = server.requests().back();
  CHECK(req.target == "/v1.41/containers/create?name=fn-a-1");
  auto body = nlohmann::json::parse(req.body);
  CHECK(body["Image"] == "svl-test-server:x");
  CHECK(body["Env"] == nlohmann::json::array({"PORT=8080"}));
  CHECK(body["Cmd"] == nlohmann::json::array({"--flag"}));
  CHECK(body["Labels"]["svl.managed"] == "true");
  CHECK(body["ExposedPorts"].contains("8080/tcp"));
  auto binding = body["HostConfig"]["PortBindings"]["8080/tcp"][0];
  CHECK(binding["HostIp"] == "127.0.0.1");
  CHECK(binding["HostPort"] == "");
  CHECK(body["HostConfig"]["Memory"] == 64 << 20);
  CHECK(body["HostConfig"]["NanoCpus"] == 500'000'000);
  CHECK(body["HostConfig"]["PidsLimit"] == 64);
  CHECK(body["HostConfig"]["SecurityOpt"] == nlohmann::json::array({"no-new-privileges"}));
  CHECK_FALSE(body["HostConfig"].contains("Init"));  // unset: dockerd's default

  spec.init = true;
  REQUIRE(client.create_container(spec).ok());
  CHECK(nlohmann::json::parse(server.requests().back().body)["HostConfig"]["Init"] == true);
  spec.init = false;
  REQUIRE(client.create_container(spec).ok());
  CHECK(nlohmann::json::parse(server.requests().back().body)["HostConfig"]["Init"] == false);

  ContainerSpec joiner;
  joiner.image = "svl-test-server:x";
  joiner.network_mode = "container:abc";
  REQUIRE(client.create_container(joiner).ok());
  auto body2 = nlohmann::json::parse(server.requests().back().body);
  CHECK(body2["HostConfig"]["NetworkMode"] == "container:abc");
  CHECK_FALSE(body2["HostConfig"].contains("PortBindings"));
}

TEST_CASE("container inspect reads state, labels, network mode and the published port") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/c0ffee/json")) return FakeReply::json(200, inspect_json);
    return std::nullopt;
  });
  Client client(options_for(server));
  auto info = client.inspect_container("c0ffee");
  REQUIRE(info.ok());
  CHECK(info->name == "fn-1");
  CHECK(info->image == "svl-test-server:1");
  CHECK(info->state.status == "running");
  CHECK(info->state.running);
  CHECK(info->state.pid == 42);
  CHECK(info->labels.at("svl.managed") == "true");
  CHECK(info->network_mode == "container:abc");
  CHECK(info->host_port(8080) == 49153);
  CHECK_FALSE(info->host_port(9000).has_value());
  CHECK(info->user == "1000");
  CHECK(info->memory_bytes == 268435456);
  CHECK(info->nano_cpus == 500000000);
  CHECK(info->pids_limit == 256);
  CHECK_FALSE(info->privileged);
  CHECK(info->read_only_rootfs);
  CHECK(info->init);
  CHECK(info->security_opt == std::vector<std::string>{"no-new-privileges"});
  CHECK(info->mount_sources == std::vector<std::string>{"/srv/data"});
}

TEST_CASE("list sends label filters and all=1") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/containers/json"))
      return FakeReply::json(200, R"json([{"Id":"a","Names":["/x"],"Image":"i","State":"exited","Status":"Exited (0)",
                                        "Created":5,"Labels":{"svl.test":"r1"},"HostConfig":{"NetworkMode":"container:sb"}}])json");
    return std::nullopt;
  });
  Client client(options_for(server));
  ListOptions o;
  o.label_filters = {"svl.test=r1"};
  auto list = client.list_containers(o);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).names.at(0) == "x");
  CHECK(list->at(0).state == "exited");
  CHECK(list->at(0).labels.at("svl.test") == "r1");
  CHECK(list->at(0).network_mode == "container:sb");
  auto target = server.requests().back().target;
  CHECK(target.find("all=1") != std::string::npos);
  // filters={"label":["svl.test=r1"]}, escaped
  CHECK(target.find("filters=%7B%22label%22%3A%5B%22svl.test%3Dr1%22%5D%7D") != std::string::npos);
}

TEST_CASE("logs are demultiplexed into stdout and stderr") {
  std::string body = frame(1, "out one\nout ") + frame(2, "err one\n") + frame(1, "two\n") + frame(2, "tail");
  FakeDockerServer server([&](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/logs")) {
      FakeReply reply = FakeReply::json(200, body);
      reply.content_type = "application/vnd.docker.raw-stream";
      return reply;
    }
    return std::nullopt;
  });
  Client client(options_for(server));
  LogsOptions o;
  o.tail = 10;
  auto logs = client.logs("c", o);
  REQUIRE(logs.ok());
  CHECK(logs->out == "out one\nout two\n");
  CHECK(logs->err == "err one\ntail");
  REQUIRE(logs->lines.size() == 4);
  CHECK(logs->lines[0].text == "out one");
  CHECK(logs->lines[1].stream == LogStream::err);
  CHECK(logs->lines[2].text == "out two");
  CHECK(logs->lines[3].text == "tail");
  CHECK(server.requests().back().target.find("tail=10") != std::string::npos);
}

TEST_CASE("a log stream cut inside a frame is an error") {
  std::string cut = frame(1, "complete\n") + frame(2, "incomplete payload").substr(0, 12);
  FakeDockerServer server([&](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/a/logs")) return FakeReply::json(200, cut);
    if (r.path().ends_with("/b/logs")) {
      // Announces more bytes than it sends, then closes.
      FakeReply reply;
      reply.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nContent-Length: 100\r\n\r\n" +
                  frame(1, "short\n");
      return reply;
    }
    return std::nullopt;
  });
  Client client(options_for(server));
  auto a = client.logs("a");
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == Errc::malformed_reply);
  auto b = client.logs("b");
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().code == Errc::malformed_reply);
}

TEST_CASE("follow_logs delivers lines as they arrive and stops when asked") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/logs")) {
      FakeReply reply;
      reply.chunks = {frame(1, "line 1\nli"), frame(1, "ne 2\n"), frame(2, "oops\n")};
      reply.hang_after_chunks = true;  // the container keeps running
      return reply;
    }
    return std::nullopt;
  });
  Client client(options_for(server));

  std::vector<LogLine> seen;
  auto r = client.follow_logs("c", {}, [&](const LogLine& l) {
    seen.push_back(l);
    return seen.size() < 3;
  });
  CHECK(r.ok());
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].text == "line 2");
  CHECK(seen[2].stream == LogStream::err);
  CHECK(server.requests().back().target.find("follow=1") != std::string::npos);

  // Cancelled from another thread while the stream is idle.
  std::stop_source stop;
  std::atomic<int> lines{0};
  std::jthread canceller;
  const auto start = std::chrono::steady_clock::now();
  auto cancelled = client.follow_logs("c", {}, [&](const LogLine&) {
    if (++lines == 3) canceller = std::jthread([&] { stop.request_stop(); });
    return true;
  }, stop.get_token());
  REQUIRE_FALSE(cancelled.ok());
  CHECK(cancelled.error().code == Errc::cancelled);
  CHECK(lines == 3);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("image build streams progress, returns the id, and reports the failing step") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (!r.path().ends_with("/build")) return std::nullopt;
    FakeReply reply;
    if (r.target.find("t=good") != std::string::npos) {
      reply.chunks = {R"({"stream":"Step 1/2 : FROM scratch\n"})" "\n",
                      R"({"stream":"Step 2/2 : COPY server /server\n"})" "\n" R"({"aux":{"ID":"sha256:feed"}})",
                      "\n" R"({"stream":"Successfully built feed\n"})" "\n"};
    } else if (r.target.find("t=bad") != std::string::npos) {
      reply.chunks = {R"({"stream":"Step 1/2 : FROM scratch\n"})" "\n",
                      R"({"stream":"Step 2/2 : COPY missing /x\n"})" "\n",
                      R"({"errorDetail":{"message":"COPY failed: file not found in build context"},"error":"COPY failed: file not found in build context"})" "\n"};
    } else if (r.target.find("t=cut") != std::string::npos) {
      reply.chunks = {R"({"stream":"Step 1/2 : FROM scratch\n"})" "\n"};
      reply.cut_stream = true;
    } else {
      reply.chunks = {R"({"stream":"Step 1/2 : FROM scratch\n"})" "\n"};  // ends without a result
    }
    return reply;
  });
  Client client(options_for(server));
  BuildOptions o;
  o.tags = {"good"};
  o.build_args = {{"A", "1"}};
  std::vector<std::string> lines;
  auto good = client.build_image_from_tar("tar bytes", o, [&](std::string_view l) { lines.emplace_back(l); });
  REQUIRE(good.ok());
  CHECK(good->image_id == "sha256:feed");
  CHECK(lines == std::vector<std::string>{"Step 1/2 : FROM scratch", "Step 2/2 : COPY server /server",
                                          "Successfully built feed"});
  auto req = server.requests().back();
  CHECK(req.body == "tar bytes");
  CHECK(req.target.find("buildargs=%7B%22A%22%3A%221%22%7D") != std::string::npos);

  o.tags = {"bad"};
  auto bad = client.build_image_from_tar("tar", o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::build_failed);
  CHECK(bad.error().message == "Step 2/2 : COPY missing /x: COPY failed: file not found in build context");

  o.tags = {"cut"};
  auto cut = client.build_image_from_tar("tar", o);
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().code == Errc::malformed_reply);

  o.tags = {"unfinished"};
  auto unfinished = client.build_image_from_tar("tar", o);
  REQUIRE_FALSE(unfinished.ok());
  CHECK(unfinished.error().code == Errc::malformed_reply);
}

TEST_CASE("events are parsed from a stream split at arbitrary points") {
  const std::string die = R"({"status":"die","id":"abc","Type":"container","Action":"die","Actor":{"ID":"abc",)"
                          R"("Attributes":{"exitCode":"137","name":"x","svl.test":"r1"}},"time":1700000000,"timeNano":1700000000000000001})";
  const std::string start = R"({"Type":"container","Action":"start","Actor":{"ID":"def","Attributes":{}},"timeNano":1700000000000000002})";
  FakeDockerServer server([&](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (!r.path().ends_with("/events")) return std::nullopt;
    FakeReply reply;
    std::string all = die + "\n" + start + "\n";
    reply.chunks = {all.substr(0, 17), all.substr(17, 200), all.substr(217)};
    reply.hang_after_chunks = true;
    return reply;
  });
  Client client(options_for(server));
  EventFilter filter;
  filter.labels = {"svl.test=r1"};
  std::vector<Event> events;
  auto r = client.events(filter, [&](const Event& e) {
    events.push_back(e);
    return events.size() < 2;
  });
  CHECK(r.ok());
  REQUIRE(events.size() == 2);
  CHECK(events[0].action == EventAction::die);
  CHECK(events[0].id == "abc");
  CHECK(events[0].exit_code == 137);
  CHECK(events[0].attribute("svl.test") == "r1");
  CHECK(events[0].time_nano == 1700000000000000001);
  CHECK(events[1].action == EventAction::start);
  CHECK_FALSE(events[1].exit_code.has_value());
  auto target = server.requests().back().target;
  CHECK(target.find("%22type%22%3A%5B%22container%22%5D") != std::string::npos);
}

TEST_CASE("wait returns the exit status and a timeout is bounded") {
  FakeDockerServer server([](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (r.path().ends_with("/done/wait")) return FakeReply::json(200, R"({"StatusCode":3,"Error":null})");
    if (r.path().ends_with("/running/wait")) {
      FakeReply reply;
      reply.hang = true;
      return reply;
    }
    return std::nullopt;
  });
  Client client(options_for(server));
  auto done = client.wait_container("done", std::chrono::seconds(5));
  REQUIRE(done.ok());
  CHECK(done->status_code == 3);
  auto running = client.wait_container("running", std::chrono::milliseconds(100));
  REQUIRE_FALSE(running.ok());
  CHECK(running.error().code == Errc::timeout);
}

TEST_CASE("the observer sees every call and its error") {
  struct Recorder : Observer {
    std::vector<std::pair<std::string, bool>> calls;
    void on_call(std::string_view op, std::chrono::nanoseconds, const Error* e) override {
      calls.emplace_back(std::string(op), e == nullptr);
    }
  };
  auto recorder = std::make_shared<Recorder>();
  FakeDockerServer server([](const RecordedRequest&) -> std::optional<FakeReply> { return std::nullopt; });
  ClientOptions o = options_for(server);
  o.observer = recorder;
  Client client(o);
  REQUIRE_FALSE(client.inspect_container("nope").ok());
  REQUIRE(recorder->calls.size() == 1);
  CHECK(recorder->calls[0].first == "container_inspect");
  CHECK_FALSE(recorder->calls[0].second);
}
