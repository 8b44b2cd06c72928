// [[scale.schedule]] and [[cron]] in svl.toml (issue 18): defaults, the JSON form and hash,
// and errors that name the file, line, key and the cron field at fault.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"
#include "orchestrator/spec/spec_schedule.hpp"

using namespace std::chrono_literals;
using namespace svl::orchestrator;

namespace {

constexpr std::string_view kMinimal = "name = \"hello\"\nimage = \"hello:latest\"\n";

SpecResult parse(std::string_view tail) { return parse_spec(std::string(kMinimal) + std::string(tail), "svl.toml"); }

// All errors, one per line, as svl up prints them.
std::string errors_of(std::string_view tail) {
  auto r = parse(tail);
  REQUIRE_FALSE(r);
  return to_string(r.errors);
}

}  // namespace

TEST_CASE("spec schedule: a window and a trigger with every key, and their defaults") {
  auto r = parse(R"(
[scale]
max = 4

[[scale.schedule]]
start = "0 8 * * MON-FRI"
end = "0 18 * * MON-FRI"
timezone = "Europe/Berlin"
min = 2
max = 3

[[scale.schedule]]
start = "@daily"
end = "0 1 * * *"
min = 1

[[cron]]
schedule = "*/14 * * * *"
path = "/tasks/cleanup"

[[cron]]
schedule = "*/10 * * * * *"
timezone = "America/New_York"
path = "/report?full=1"
method = "put"
body = '{"all": true}'
headers = { Content-Type = "application/json", X-Token = "t" }
timeout = "5m"
concurrency = "replace"
private = false
catch_up = true
)");
  REQUIRE_MESSAGE(r, to_string(r.errors));
  const FunctionSpec& s = *r.spec;
  REQUIRE(s.scale.schedule.size() == 2);
  CHECK(s.scale.schedule[0] == ScheduleWindowSpec{"0 8 * * MON-FRI", "0 18 * * MON-FRI", "Europe/Berlin", 2, 3});
  CHECK(s.scale.schedule[1] == ScheduleWindowSpec{"@daily", "0 1 * * *", "UTC", 1, std::nullopt});
  REQUIRE(s.cron.size() == 2);
  const CronSpec& plain = s.cron[0];
  CHECK(plain.schedule == "*/14 * * * *");
  CHECK(plain.timezone == "UTC");
  CHECK(plain.method == "POST");
  CHECK_FALSE(plain.body.has_value());
  CHECK(plain.headers.empty());
  CHECK_FALSE(plain.timeout.has_value());
  CHECK(plain.concurrency == svl::schedule::Concurrency::forbid);
  CHECK(plain.private_path);
  CHECK_FALSE(plain.catch_up);
  const CronSpec& full = s.cron[1];
  CHECK(full.method == "PUT");
  CHECK(full.body == std::optional<std::string>("{\"all\": true}"));
  CHECK(full.headers.at("Content-Type") == "application/json");
  CHECK(full.timeout == std::optional<std::chrono::milliseconds>(5min));
  CHECK(full.concurrency == svl::schedule::Concurrency::replace);
  CHECK_FALSE(full.private_path);
  CHECK(full.catch_up);

  // The JSON form reads back to the same spec and hash.
  const auto json = to_json(s);
  CHECK(json["scale"]["schedule"][1].count("max") == 0);
  CHECK(json["cron"][0].count("body") == 0);
  CHECK(json["cron"][1]["timeout"] == "5m");
  auto back = spec_from_json(nlohmann::json::parse(canonical_json(s)));
  REQUIRE_MESSAGE(back, to_string(back.errors));
  CHECK(*back.spec == s);
  CHECK(spec_hash(*back.spec) == spec_hash(s));

  // And into svl::schedule: the window is open on a Wednesday at 10:00 in Berlin.
  auto windows = capacity_windows(s.scale);
  REQUIRE(windows.ok());
  const auto wednesday = std::chrono::sys_days{std::chrono::year{2026} / 1 / 7} + 9h;
  CHECK(svl::schedule::in_force(*windows, wednesday).window == 0u);
  auto every = cron_schedule(s.cron[1]);
  REQUIRE(every.ok());
  CHECK(every->next(wednesday) == wednesday + 10s);
}

TEST_CASE("spec schedule: specs without them keep their JSON and hash") {
  auto r = parse("");
  REQUIRE(r);
  const auto json = to_json(*r.spec);
  CHECK(json.count("cron") == 0);
  CHECK(json["scale"].count("schedule") == 0);
  auto with = parse("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\n");
  REQUIRE(with);
  CHECK(spec_hash(*with.spec) != spec_hash(*r.spec));
  auto empty = parse("cron = []\n");  // an empty array is no trigger at all
  REQUIRE(empty);
  CHECK(spec_hash(*empty.spec) == spec_hash(*r.spec));
}

TEST_CASE("spec schedule: errors name the file, line, key and the field at fault") {
  CHECK(errors_of("[[scale.schedule]]\nstart = \"61 * * * *\"\nend = \"0 18 * * *\"\nmin = 1\n") ==
        "svl.toml:4:9: scale.schedule[0].start: \"61 * * * *\": minute 61 is out of range 0-59");
  CHECK(errors_of("[[cron]]\nschedule = \"* * 30 2 *\"\npath = \"/x\"\n") ==
        "svl.toml:4:12: cron[0].schedule: \"* * 30 2 *\": never fires: day-of-month 30 never occurs in February");
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\ntimezone = \"Europe/Berln\"\npath = \"/x\"\n") ==
        "svl.toml:5:12: cron[0].timezone: unknown time zone \"Europe/Berln\": use an IANA name such as "
        "\"Europe/Berlin\"");
  CHECK(errors_of("[[scale.schedule]]\nend = \"0 18 * * *\"\nmin = 1\n") ==
        "svl.toml:3:1: scale.schedule[0].start: end without start: the cron schedule that opens the window, e.g. "
        "start = \"0 8 * * 1-5\"");
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\nmethod = \"FETCH\"\n") ==
        "svl.toml:6:10: cron[0].method: \"FETCH\" is not a method: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
  CHECK(errors_of("[[scale.schedule]]\nstart = \"@daily\"\nend = \"@hourly\"\nmin = 3\nmax = 2\n") ==
        "svl.toml:7:7: scale.schedule[0].max: min (3) is larger than max (2)");
  CHECK(errors_of("[scale]\nmax = 2\n[[scale.schedule]]\nstart = \"@daily\"\nend = \"@hourly\"\nmin = 3\n") ==
        "svl.toml:8:7: scale.schedule[0].min: 3 is larger than scale.max (2): raise scale.max, or set max in this "
        "window");
}

TEST_CASE("spec schedule: every other mistake in a window") {
  CHECK(errors_of("[[scale.schedule]]\nmin = 1\n") ==
        "svl.toml:3:1: scale.schedule[0].start: required: the cron schedule that opens the window, e.g. start = "
        "\"0 8 * * 1-5\"\n"
        "svl.toml:3:1: scale.schedule[0].end: required: the cron schedule that closes the window, e.g. end = "
        "\"0 18 * * 1-5\"");
  CHECK(errors_of("[[scale.schedule]]\nstart = \"@daily\"\nend = \"@daily\"\nmin = 1\n") ==
        "svl.toml:5:7: scale.schedule[0].end: the same schedule as start: the window would never close");
  CHECK(errors_of("[[scale.schedule]]\nstart = \"@daily\"\nend = \"@hourly\"\n") ==
        "svl.toml:3:1: scale.schedule[0].min: required: the replicas kept ready while the window is open, e.g. min = 2");
  CHECK(errors_of("[[scale.schedule]]\nstart = \"@daily\"\nend = \"@hourly\"\nmin = 1\nmins = 2\n").find(
            "scale.schedule[0].mins: unknown key (did you mean \"min\"?)") != std::string::npos);
  CHECK(errors_of("[scale]\nschedule = \"0 8 * * *\"\n").find("scale.schedule: expected an array of tables "
                                                             "([[scale.schedule]]), got a string") != std::string::npos);
  CHECK(errors_of("[scale]\nschedule = [1]\n").find("scale.schedule[0]: expected a table, got an integer") !=
        std::string::npos);
  CHECK(errors_of("[[scale.schedule]]\nstart = \"0 8 * *\"\nend = \"@hourly\"\nmin = 1\n").find(
            "scale.schedule[0].start: \"0 8 * *\": expected 5 fields") != std::string::npos);
  // Each window is checked; the key names which.
  CHECK(errors_of("[[scale.schedule]]\nstart = \"@daily\"\nend = \"@hourly\"\nmin = 1\n"
                  "[[scale.schedule]]\nstart = \"@daily\"\nend = \"0 25 * * *\"\nmin = 1\n") ==
        "svl.toml:9:7: scale.schedule[1].end: \"0 25 * * *\": hour 25 is out of range 0-23");
}

TEST_CASE("spec schedule: every other mistake in a trigger") {
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\n") ==
        "svl.toml:3:1: cron[0].path: required: the path svl calls, e.g. path = \"/tasks/cleanup\"");
  CHECK(errors_of("[[cron]]\npath = \"/x\"\n") ==
        "svl.toml:3:1: cron[0].schedule: required: when to call, as cron, e.g. schedule = \"*/14 * * * *\"");
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"tasks\"\n").find(
            "cron[0].path: \"tasks\" is not a request path") != std::string::npos);
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\nconcurrency = \"queue\"\n") ==
        "svl.toml:6:15: cron[0].concurrency: \"queue\" is not a concurrency policy: use \"forbid\", \"allow\" or "
        "\"replace\"");
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\nheaders = { X-Svl-Cron = \"me\" }\n") ==
        "svl.toml:6:13: cron[0].headers.X-Svl-Cron: svl sets X-Svl-Cron itself");
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\nheaders = { \"a b\" = \"c\" }\n").find(
            "cron[0].headers.\"a b\": \"a b\" is not a header name") != std::string::npos);
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\nheaders = { X = \"a\\nb\" }\n").find(
            "cron[0].headers.X: must not contain a line break") != std::string::npos);
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\ntimeout = \"0s\"\n").find(
            "cron[0].timeout: must be longer than 0s") != std::string::npos);
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\nprivate = \"yes\"\n").find(
            "cron[0].private: expected a boolean") != std::string::npos);
  CHECK(errors_of("[[cron]]\nschedule = \"@hourly\"\npath = \"/x\"\ncatchup = true\n").find(
            "cron[0].catchup: unknown key (did you mean \"catch_up\"?)") != std::string::npos);
  CHECK(errors_of("[cron]\nschedule = \"@hourly\"\n").find("cron: expected an array of tables ([[cron]]), got a table") !=
        std::string::npos);
}

TEST_CASE("spec schedule: the admin API's JSON goes through the same checks, naming the entry") {
  auto json = nlohmann::json::parse(R"({"name": "hello", "image": "hello:latest",
    "cron": [{"schedule": "@hourly", "path": "/x"}, {"schedule": "@hourly", "path": "/y", "method": "FETCH"}],
    "scale": {"schedule": [{"start": "@daily", "end": "0 0 31 4 *", "min": 1}]}})");
  auto r = spec_from_json(json);
  REQUIRE_FALSE(r);
  CHECK(to_string(r.errors) ==
        "scale.schedule[0].end: \"0 0 31 4 *\": never fires: day-of-month 31 never occurs in April\n"
        "cron[1].method: \"FETCH\" is not a method: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
  auto null_entry = spec_from_json(nlohmann::json::parse(R"({"name": "hello", "image": "x", "cron": [null]})"));
  REQUIRE_FALSE(null_entry);
  CHECK(null_entry.errors[0].key == "cron[0]");
}
