// Pure pieces of the client: stream decoders, JSON mapping, endpoints, error codes.
#include <doctest/doctest.h>

#include <string>
#include <system_error>
#include <vector>

#include "orchestrator/docker/api_json.hpp"
#include "tests/docker/fake_docker_server.hpp"
#include "orchestrator/docker/endpoint.hpp"
#include "orchestrator/docker/error.hpp"
#include "orchestrator/docker/stream_decoders.hpp"

using namespace svl::docker;
using svl::docker::testing::frame;

namespace {

}  // namespace

TEST_CASE("the log demuxer gives the same lines however the bytes are split") {
  const std::string big(70000, 'x');  // payload size needs all four length bytes... and more than 64 KiB
  const std::string input = frame(1, "a\nb") + frame(2, "e1\n") + frame(1, "c\n") + frame(2, big + "\n");
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{9}, input.size()}) {
    LogDemuxer demux;
    LogLineAssembler assembler;
    std::vector<LogLine> lines;
    auto collect = [&](const LogLine& l) {
      lines.push_back(l);
      return true;
    };
    bool all_ok = true;
    for (std::size_t i = 0; i < input.size(); i += piece) {
      auto status = demux.feed(std::string_view(input).substr(i, piece), [&](LogStream s, std::string_view p) {
        return assembler.feed(s, p, collect);
      });
      all_ok = all_ok && status == LogDemuxer::Status::ok;
    }
    REQUIRE(all_ok);
    CHECK_FALSE(demux.mid_frame());
    assembler.flush(collect);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].text == "a");
    CHECK(lines[0].stream == LogStream::out);
    CHECK(lines[1].text == "e1");
    CHECK(lines[1].stream == LogStream::err);
    CHECK(lines[2].text == "bc");
    CHECK(lines[3].text.size() == big.size());
  }
}

TEST_CASE("the log demuxer flags a cut frame and an unknown stream") {
  LogDemuxer demux;
  auto ignore = [](LogStream, std::string_view) { return true; };
  CHECK(demux.feed(frame(1, "hello").substr(0, 10), ignore) == LogDemuxer::Status::ok);
  CHECK(demux.mid_frame());
  LogDemuxer header_only;
  CHECK(header_only.feed(frame(1, "hello").substr(0, 5), ignore) == LogDemuxer::Status::ok);
  CHECK(header_only.mid_frame());
  LogDemuxer tty;
  CHECK(tty.feed("plain text from a TTY container\n", ignore) == LogDemuxer::Status::malformed);
}

TEST_CASE("the line splitter keeps partial lines across pieces and strips CR") {
  LineSplitter s;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  };
  CHECK(s.feed("{\"a\":", collect));
  CHECK(s.feed("1}\r\n\n{\"b\"", collect));
  CHECK(s.feed(":2}\n{\"c", collect));
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(s.rest() == "{\"c");
}

TEST_CASE("HTTP errors keep Docker's message") {
  auto e = api::http_error(404, R"({"message":"No such image: x:y"})");
  CHECK(e.code == Errc::not_found);
  CHECK(e.message == "No such image: x:y");
  CHECK(api::http_error(409, "{}").code == Errc::conflict);
  CHECK(api::http_error(409, "{}").message == "{}");
  CHECK(api::http_error(401, "").code == Errc::bad_request);
  CHECK(api::http_error(401, "").message == "HTTP 401");
  CHECK(api::http_error(502, "bad gateway").code == Errc::server_error);
}

TEST_CASE("image inspect and wait replies are parsed, nulls read as empty") {
  auto image = api::parse_image_inspect(R"({"Id":"sha256:1","RepoTags":["a:b"],"Size":12,
    "Config":{"Labels":null,"Entrypoint":["/server"],"Cmd":null,"ExposedPorts":{"8080/tcp":{}}}})");
  REQUIRE(image.ok());
  CHECK(image->repo_tags == std::vector<std::string>{"a:b"});
  CHECK(image->labels.empty());
  CHECK(image->entrypoint == std::vector<std::string>{"/server"});
  CHECK(image->exposed_ports == std::vector<std::string>{"8080/tcp"});
  auto wait = api::parse_wait(R"({"StatusCode":137,"Error":{"Message":"x"}})");
  REQUIRE(wait.ok());
  CHECK(wait->status_code == 137);
  CHECK(wait->error == "x");
  CHECK_FALSE(api::parse_wait("{}").ok());
  CHECK_FALSE(api::parse_event("not json").ok());
}

TEST_CASE("an event's time in seconds too large for nanoseconds is left unknown, not overflowed") {
  auto event = api::parse_event(R"({"status":"start","id":"c0ffee","time":1700000000})");
  REQUIRE(event.ok());
  CHECK(event->time_nano == 1700000000'000000000);
  // Found by fuzz/docker_streams_fuzz.cpp: seconds * 1e9 was a signed overflow.
  auto huge = api::parse_event(R"({"status":"start","id":"c0ffee","time":150000000456789})");
  REQUIRE(huge.ok());
  CHECK(huge->time_nano == 0);
  CHECK(huge->id == "c0ffee");
}

TEST_CASE("a number field sent as a float out of int64's range reads as 0") {
  // Found by fuzz/docker_streams_fuzz.cpp: the float was converted to int64 (undefined behaviour).
  auto event = api::parse_event(R"({"status":"start","id":"c0ffee","time":1e300,"timeNano":-1e300})");
  REQUIRE(event.ok());
  CHECK(event->time_nano == 0);
  auto fine = api::parse_event(R"({"status":"start","id":"c0ffee","timeNano":1.5e18})");
  REQUIRE(fine.ok());
  CHECK(fine->time_nano == 1'500'000'000'000'000'000);
}

TEST_CASE("event actions are classified, exec and health actions are 'other'") {
  CHECK(parse_event_action("oom") == EventAction::oom);
  CHECK(parse_event_action("destroy") == EventAction::destroy);
  CHECK(parse_event_action("exec_create: sh -c x") == EventAction::other);
  CHECK(std::string(to_string(EventAction::unpause)) == "unpause");
}

TEST_CASE("versions compare numerically") {
  CHECK(api::compare_versions("1.9", "1.41") < 0);
  CHECK(api::compare_versions("1.41", "1.41") == 0);
  CHECK(api::compare_versions("2.0", "1.99") > 0);
}

TEST_CASE("DOCKER_HOST forms") {
  auto u = parse_endpoint("unix:///var/run/docker.sock");
  REQUIRE(u.ok());
  CHECK(u->unix_socket == "/var/run/docker.sock");
  auto t = parse_endpoint("tcp://127.0.0.1:2376");
  REQUIRE(t.ok());
  CHECK(t->unix_socket.empty());
  CHECK(t->base_url == "http://127.0.0.1:2376");
  CHECK(parse_endpoint("tcp://dockerhost")->base_url == "http://dockerhost:2375");
  CHECK(parse_endpoint("unix://relative.sock").error().code == Errc::invalid_argument);
  CHECK(parse_endpoint("npipe:////./pipe/docker_engine").error().code == Errc::invalid_argument);
}

TEST_CASE("Errc converts to std::error_code in its own category") {
  std::error_code ec = Errc::conflict;
  CHECK(ec.category().name() == std::string("svl.docker"));
  CHECK(ec.message() == "conflict");
  CHECK(ec == make_error_code(Errc::conflict));
  CHECK(ec != make_error_code(Errc::not_found));
  Error e{Errc::timeout, 0, "Operation timed out"};
  CHECK(e.describe() == "timeout: Operation timed out");
}
