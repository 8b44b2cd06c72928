// The registry against a real SQLite file in a temporary folder.
#include <doctest/doctest.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "orchestrator/registry/registry.hpp"
#include "orchestrator/registry/schema.hpp"
#include "orchestrator/registry/sqlite.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "tests/common/temp_dir.hpp"

using namespace std::chrono_literals;
using svl::orchestrator::FunctionSpec;
using svl::orchestrator::Registry;
using svl::orchestrator::RegistryErrc;
using svl::orchestrator::UsageCounters;
using svl::orchestrator::WallTime;

namespace {

using svl::test::TempDir;

// Wall time that moves only when the test says so.
struct TestClock {
  WallTime now = WallTime(std::chrono::hours(24 * 365 * 50));  // some hour boundary in 2019
};

std::unique_ptr<Registry> open(const TempDir& dir, TestClock& clock) {
  svl::orchestrator::RegistryOptions options;
  options.now = [&clock] { return clock.now; };
  auto opened = svl::orchestrator::open_registry(dir.path(), std::move(options));
  REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().message));
  return std::move(opened).value();
}

FunctionSpec make_spec(std::string name, std::string greeting = "hi") {
  FunctionSpec s;
  s.name = std::move(name);
  s.image = "hello:latest";
  s.env["GREETING"] = std::move(greeting);
  return s;
}

UsageCounters usage(std::int64_t requests, double seconds, std::int64_t cold_stopped = 0) {
  UsageCounters u;
  u.requests = requests;
  u.container_seconds = seconds;
  u.gb_seconds = seconds / 4;
  u.cold_starts_stopped = cold_stopped;
  return u;
}

}  // namespace

TEST_CASE("opening creates svl.db in WAL mode at the current schema version") {
  TempDir dir;
  TestClock clock;
  const auto state = dir.path() / "nested" / "state";
  svl::orchestrator::RegistryOptions options;
  auto opened = svl::orchestrator::open_registry(state, options);
  REQUIRE(opened);
  CHECK(std::filesystem::exists(state / "svl.db"));
  CHECK(svl::orchestrator::registry_database_path(state) == state / "svl.db");
  svl::orchestrator::sqlite::Database db((state / "svl.db").string());
  CHECK(db.query_text("PRAGMA journal_mode") == "wal");
  CHECK(db.query_int("PRAGMA user_version") == svl::orchestrator::detail::schema_version());  // every migration ran
}

TEST_CASE("a database from a newer svl is refused, not damaged") {
  TempDir dir;
  {
    svl::orchestrator::sqlite::Database db((dir.path() / "svl.db").string());
    db.exec("PRAGMA user_version = 99");
  }
  auto opened = svl::orchestrator::open_registry(dir.path());
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == RegistryErrc::storage);
  CHECK(opened.error().message.find("schema version 99") != std::string::npos);
}

TEST_CASE("revisions are created for changes and only for changes") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);

  auto first = reg->put_revision("hello", make_spec("hello"), "sha256:aaa", "/src/hello");
  REQUIRE(first);
  CHECK(first->revision == 1);
  CHECK(first->created);

  auto fn = reg->get_function("hello");
  REQUIRE(fn);
  CHECK(fn->name == "hello");
  CHECK(fn->source_dir == "/src/hello");
  CHECK(fn->current.number == 1);
  CHECK(fn->current.image_id == "sha256:aaa");
  CHECK(fn->current.spec == make_spec("hello"));
  CHECK(fn->current.spec_hash == svl::orchestrator::spec_hash(make_spec("hello")));
  CHECK(fn->created_at == clock.now);

  clock.now += 1min;
  auto same = reg->put_revision("hello", make_spec("hello"), "sha256:aaa", "/src/hello");
  REQUIRE(same);
  CHECK(same->revision == 1);
  CHECK_FALSE(same->created);
  CHECK(reg->get_function("hello")->updated_at == fn->updated_at);

  auto new_image = reg->put_revision("hello", make_spec("hello"), "sha256:bbb", "/src/hello");
  REQUIRE(new_image);
  CHECK(new_image->revision == 2);
  CHECK(new_image->created);
  auto new_spec = reg->put_revision("hello", make_spec("hello", "bonjour"), "sha256:bbb", "/src/hello");
  REQUIRE(new_spec);
  CHECK(new_spec->revision == 3);

  auto revisions = reg->list_revisions("hello");
  REQUIRE(revisions);
  REQUIRE(revisions->size() == 3);
  CHECK((*revisions)[0].image_id == "sha256:aaa");
  CHECK((*revisions)[2].spec.env.at("GREETING") == "bonjour");
  CHECK(reg->get_revision("hello", 2)->image_id == "sha256:bbb");
  CHECK(reg->get_revision("hello", 7).error().code == RegistryErrc::not_found);

  auto other = reg->put_revision("other", make_spec("other"), "sha256:ccc", "/src/other");
  REQUIRE(other);
  CHECK(other->revision == 1);
  auto all = reg->list_functions();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "hello");
  CHECK((*all)[0].current.number == 3);
  CHECK((*all)[1].name == "other");
}

TEST_CASE("a name deployed from one folder is refused to another unless forced") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  REQUIRE(reg->put_revision("api", make_spec("api"), "sha256:a", "/home/ann/api"));

  auto taken = reg->put_revision("api", make_spec("api"), "sha256:a", "/home/bob/api");
  REQUIRE_FALSE(taken);
  CHECK(taken.error().code == RegistryErrc::name_taken);
  CHECK(taken.error().message.find("/home/ann/api") != std::string::npos);
  CHECK(taken.error().message.find("/home/bob/api") != std::string::npos);
  CHECK(reg->get_function("api")->current.number == 1);

  auto forced = reg->put_revision("api", make_spec("api"), "sha256:a", "/home/bob/api", {.force = true, .lease = {}});
  REQUIRE(forced);
  CHECK(forced->revision == 2);  // same spec and image, but the owner changed: recorded
  CHECK(reg->get_function("api")->source_dir == "/home/bob/api");
  CHECK(reg->put_revision("api", make_spec("api"), "sha256:a", "/home/ann/api").error().code ==
        RegistryErrc::name_taken);
}

TEST_CASE("put_revision rejects what can never be stored") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  CHECK(reg->put_revision("a", make_spec("b"), "sha256:x", "/s").error().code == RegistryErrc::invalid);
  CHECK(reg->put_revision("Bad_Name", make_spec("Bad_Name"), "sha256:x", "/s").error().code == RegistryErrc::invalid);
  CHECK(reg->put_revision("a", make_spec("a"), "", "/s").error().code == RegistryErrc::invalid);
  CHECK(reg->get_function("a").error().code == RegistryErrc::not_found);
  CHECK(reg->get_function("a").error().message == "function \"a\" not found");
}

TEST_CASE("rollback walks back one revision at a time, or jumps to the one asked for") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  for (int i = 1; i <= 3; ++i)
    REQUIRE(reg->put_revision("fn", make_spec("fn", "v" + std::to_string(i)), "sha256:x", "/s"));

  auto back = reg->rollback("fn");
  REQUIRE(back);
  CHECK(back->current.number == 2);
  CHECK(back->current.spec.env.at("GREETING") == "v2");
  CHECK(reg->rollback("fn")->current.number == 1);
  auto none = reg->rollback("fn");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == RegistryErrc::not_found);
  CHECK(none.error().message.find("no revision before 1") != std::string::npos);

  auto jump = reg->rollback("fn", 3);
  REQUIRE(jump);
  CHECK(jump->current.number == 3);
  CHECK(reg->rollback("fn", 3)->current.number == 3);  // already there: unchanged
  CHECK(reg->rollback("fn", 9).error().code == RegistryErrc::not_found);
  CHECK(reg->rollback("nope").error().code == RegistryErrc::not_found);

  // A deploy after a rollback compares with the rolled-back-to revision.
  REQUIRE(reg->rollback("fn", 1));
  auto redeploy = reg->put_revision("fn", make_spec("fn", "v1"), "sha256:x", "/s");
  REQUIRE(redeploy);
  CHECK_FALSE(redeploy->created);
  CHECK(redeploy->revision == 1);
  auto newer = reg->put_revision("fn", make_spec("fn", "v4"), "sha256:x", "/s");
  CHECK(newer->revision == 4);
}

TEST_CASE("scale overrides are validated, outlive deploys and can be cleared") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  FunctionSpec spec = make_spec("sc");
  spec.scale.min = 0;
  spec.scale.max = 5;
  REQUIRE(reg->put_revision("sc", spec, "sha256:x", "/s"));

  auto scaled = reg->set_scale("sc", 2, std::nullopt);
  REQUIRE(scaled);
  CHECK(scaled->min_override == 2);
  CHECK_FALSE(scaled->max_override.has_value());
  CHECK(scaled->effective_min() == 2);
  CHECK(scaled->effective_max() == 5);

  auto too_high = reg->set_scale("sc", 9, std::nullopt);
  REQUIRE_FALSE(too_high);
  CHECK(too_high.error().code == RegistryErrc::invalid);
  CHECK(too_high.error().message.find("min (9) would be larger than max (5)") != std::string::npos);
  CHECK(reg->set_scale("sc", -1, std::nullopt).error().code == RegistryErrc::invalid);
  CHECK(reg->set_scale("sc", std::nullopt, 0).error().code == RegistryErrc::invalid);
  CHECK(reg->set_scale("missing", 1, 2).error().code == RegistryErrc::not_found);

  auto both = reg->set_scale("sc", 3, 8);
  REQUIRE(both);
  CHECK(both->effective_min() == 3);
  CHECK(both->effective_max() == 8);

  spec.scale.max = 2;
  REQUIRE(reg->put_revision("sc", spec, "sha256:y", "/s"));
  auto after_deploy = reg->get_function("sc");
  CHECK(after_deploy->min_override == 3);
  CHECK(after_deploy->max_override == 8);
  CHECK(after_deploy->effective_max() == 8);

  auto cleared = reg->clear_scale("sc");
  REQUIRE(cleared);
  CHECK_FALSE(cleared->min_override.has_value());
  CHECK(cleared->effective_min() == 0);
  CHECK(cleared->effective_max() == 2);

  // An override older than a lower spec max is clamped, not obeyed blindly.
  REQUIRE(reg->set_scale("sc", 2, std::nullopt));
  spec.scale.max = 1;
  REQUIRE(reg->put_revision("sc", spec, "sha256:z", "/s"));
  CHECK(reg->get_function("sc")->effective_min() == 1);
}

TEST_CASE("deleting hides a function, keeps its history and frees its name") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  REQUIRE(reg->put_revision("gone", make_spec("gone", "a"), "sha256:x", "/one"));
  REQUIRE(reg->put_revision("gone", make_spec("gone", "b"), "sha256:x", "/one"));
  REQUIRE(reg->set_scale("gone", 1, 3));
  REQUIRE(reg->put_revision("kept", make_spec("kept"), "sha256:x", "/k"));

  REQUIRE(reg->delete_function("gone"));
  CHECK(reg->get_function("gone").error().code == RegistryErrc::not_found);
  CHECK(reg->delete_function("gone").error().code == RegistryErrc::not_found);
  CHECK(reg->delete_function("never").error().code == RegistryErrc::not_found);
  CHECK(reg->rollback("gone").error().code == RegistryErrc::not_found);
  auto live = reg->list_functions();
  REQUIRE(live->size() == 1);
  CHECK((*live)[0].name == "kept");
  CHECK(reg->list_revisions("gone")->size() == 2);

  auto again = reg->put_revision("gone", make_spec("gone", "a"), "sha256:x", "/two");
  REQUIRE(again);
  CHECK(again->revision == 3);  // numbers are never reused: replica labels stay unambiguous
  auto fn = reg->get_function("gone");
  CHECK(fn->source_dir == "/two");
  CHECK_FALSE(fn->min_override.has_value());
  CHECK_FALSE(fn->max_override.has_value());
}

TEST_CASE("usage accumulates in hourly buckets and is reported since a time") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  REQUIRE(reg->put_revision("a", make_spec("a"), "sha256:x", "/a"));
  REQUIRE(reg->put_revision("b", make_spec("b"), "sha256:x", "/b"));
  REQUIRE(reg->put_revision("idle", make_spec("idle"), "sha256:x", "/i"));
  const WallTime t0 = clock.now;

  REQUIRE(reg->add_usage("a", usage(10, 4, 1), t0 + 10min));
  REQUIRE(reg->add_usage("a", usage(5, 2), t0 + 50min));
  REQUIRE(reg->add_usage({{"a", usage(1, 1)}, {"b", usage(7, 8, 2)}}, t0 + 2h + 5min));

  auto all = reg->usage(std::nullopt, t0);
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].function == "a");
  CHECK((*all)[0].totals.requests == 16);
  CHECK((*all)[0].totals.container_seconds == doctest::Approx(7));
  CHECK((*all)[0].totals.gb_seconds == doctest::Approx(1.75));
  CHECK((*all)[0].totals.cold_starts_stopped == 1);
  CHECK((*all)[0].totals.cold_starts() == 1);
  CHECK((*all)[1].function == "b");
  CHECK((*all)[1].totals.requests == 7);
  CHECK((*all)[1].totals.cold_starts_stopped == 2);
  CHECK((*all)[2].function == "idle");
  CHECK((*all)[2].totals == UsageCounters{});

  // `since` inside the first hour still counts that hour; later hours only after it.
  auto a_since_mid_hour = reg->usage("a", t0 + 30min);
  REQUIRE(a_since_mid_hour);
  REQUIRE(a_since_mid_hour->size() == 1);
  CHECK((*a_since_mid_hour)[0].totals.requests == 16);
  auto a_since_hour_2 = reg->usage("a", t0 + 1h);
  CHECK((*a_since_hour_2)[0].totals.requests == 1);
  auto a_first_hour = reg->usage("a", t0, t0 + 1h);
  CHECK((*a_first_hour)[0].totals.requests == 15);
  auto nothing_yet = reg->usage("a", t0 + 3h);
  CHECK((*nothing_yet)[0].totals == UsageCounters{});

  CHECK(reg->usage("nobody", t0).error().code == RegistryErrc::not_found);
  UsageCounters negative;
  negative.requests = -1;
  CHECK(reg->add_usage("a", negative, t0).error().code == RegistryErrc::invalid);
  UsageCounters nan;
  nan.container_seconds = std::nan("");
  CHECK(reg->add_usage("a", nan, t0).error().code == RegistryErrc::invalid);
  CHECK(reg->usage("a", t0)->at(0).totals.requests == 16);  // rejected deltas wrote nothing

  // Usage of a deleted function is still reported.
  REQUIRE(reg->delete_function("b"));
  auto after_delete = reg->usage(std::nullopt, t0);
  REQUIRE(after_delete->size() == 3);
  CHECK((*after_delete)[1].function == "b");
  CHECK((*after_delete)[1].totals.requests == 7);
  CHECK(reg->usage("b", t0)->at(0).totals.requests == 7);
}

TEST_CASE("everything survives closing and reopening") {
  TempDir dir;
  TestClock clock;
  {
    auto reg = open(dir, clock);
    REQUIRE(reg->put_revision("p", make_spec("p", "one"), "sha256:1", "/p"));
    REQUIRE(reg->put_revision("p", make_spec("p", "two"), "sha256:2", "/p"));
    REQUIRE(reg->rollback("p"));
    REQUIRE(reg->set_scale("p", 1, 4));
    REQUIRE(reg->add_usage("p", usage(3, 9, 1), clock.now));
  }
  auto reg = open(dir, clock);
  auto fn = reg->get_function("p");
  REQUIRE(fn);
  CHECK(fn->current.number == 1);
  CHECK(fn->current.spec == make_spec("p", "one"));
  CHECK(fn->min_override == 1);
  CHECK(fn->max_override == 4);
  CHECK(reg->list_revisions("p")->size() == 2);
  auto u = reg->usage("p", clock.now - 1h);
  CHECK(u->at(0).totals == usage(3, 9, 1));
  auto next = reg->put_revision("p", make_spec("p", "three"), "sha256:3", "/p");
  CHECK(next->revision == 3);
}

TEST_CASE("a damaged spec row is reported as a storage error naming the revision") {
  TempDir dir;
  TestClock clock;
  {
    auto reg = open(dir, clock);
    REQUIRE(reg->put_revision("dmg", make_spec("dmg"), "sha256:1", "/d"));
  }
  {
    svl::orchestrator::sqlite::Database db((dir.path() / "svl.db").string());
    db.exec("UPDATE revisions SET spec_json = '{\"name\":\"dmg\"}' WHERE function = 'dmg'");
  }
  auto reg = open(dir, clock);
  auto fn = reg->get_function("dmg");
  REQUIRE_FALSE(fn);
  CHECK(fn.error().code == RegistryErrc::storage);
  CHECK(fn.error().message.find("revision 1 of \"dmg\"") != std::string::npos);
  CHECK(fn.error().message.find("image") != std::string::npos);
}

TEST_CASE("registry errors convert to std::error_code") {
  std::error_code ec = RegistryErrc::name_taken;
  CHECK(ec.category().name() == std::string("svl.registry"));
  CHECK(ec.message() == "name taken by another folder");
  CHECK(ec == RegistryErrc::name_taken);
}

// A child process writes revisions and usage as fast as it can and is SIGKILLed at an
// arbitrary moment, several times over. Each time the database must open, pass SQLite's
// integrity check and hold only whole transactions: every acknowledged one, at most one
// more, and no row from half of one.
TEST_CASE("kill -9 in the middle of writes leaves whole transactions only") {
  TempDir dir;
  std::mt19937 random(12345);
  std::int64_t acked_revision = 0;  // highest revision a child reported committed
  constexpr int kRounds = 4;

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      auto opened = svl::orchestrator::open_registry(dir.path());
      if (!opened) ::_exit(2);
      auto& reg = *opened.value();
      std::int64_t seq = 0;
      if (auto fn = reg.get_function("crash")) seq = fn->current.number;
      for (;; ++seq) {
        FunctionSpec s = make_spec("crash", "seq-" + std::to_string(seq));
        s.env["SEQ"] = std::to_string(seq);
        auto put = reg.put_revision("crash", s, "sha256:" + std::to_string(seq), "/crash");
        if (!put || put->revision != seq + 1) ::_exit(3);
        // One transaction covering two functions' counters (the daemon's flush).
        if (!reg.add_usage({{"crash", usage(1, 2, 1)}, {"crash-twin", usage(1, 2, 1)}}, WallTime(1h * 500000)))
          ::_exit(4);
        const std::int64_t done = put->revision;
        if (::write(fds[1], &done, sizeof done) != sizeof done) ::_exit(5);
      }
    }
    ::close(fds[1]);
    const std::int64_t target = acked_revision + 20 + static_cast<std::int64_t>(random() % 30);
    std::int64_t last = acked_revision;
    while (last < target) {
      std::int64_t n = 0;
      if (::read(fds[0], &n, sizeof n) != sizeof n) break;
      last = n;
    }
    ::usleep(static_cast<useconds_t>(random() % 3000));  // land somewhere inside a transaction
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));  // not an early exit: the child was still writing
    std::int64_t n = 0;
    while (::read(fds[0], &n, sizeof n) == sizeof n) last = n;
    ::close(fds[0]);
    REQUIRE(last >= target);
    acked_revision = last;

    {
      svl::orchestrator::sqlite::Database db((dir.path() / "svl.db").string());
      CHECK(db.query_text("PRAGMA integrity_check") == "ok");
      CHECK(db.query_int("SELECT COUNT(*) FROM pragma_foreign_key_check") == 0);
    }
    TestClock clock;
    auto reg = open(dir, clock);
    auto revisions = reg->list_revisions("crash");
    REQUIRE(revisions);
    const auto count = static_cast<std::int64_t>(revisions->size());
    CHECK(count >= acked_revision);      // every acknowledged commit is there
    CHECK(count <= acked_revision + 1);  // plus at most the one in flight
    for (std::int64_t i = 0; i < count; ++i) {
      const auto& r = (*revisions)[static_cast<std::size_t>(i)];
      REQUIRE(r.number == i + 1);
      CHECK(r.spec.env.at("SEQ") == std::to_string(i));
      CHECK(r.image_id == "sha256:" + std::to_string(i));
      CHECK(r.spec_hash == svl::orchestrator::spec_hash(r.spec));
    }
    CHECK(reg->get_function("crash")->current.number == count);

    auto totals = reg->usage(std::nullopt, WallTime{});
    REQUIRE(totals);
    REQUIRE(totals->size() == 2);
    const auto& crash = (*totals)[0].totals;
    const auto& twin = (*totals)[1].totals;
    CHECK(crash == twin);  // both rows of each flush, or neither
    CHECK(crash.container_seconds == doctest::Approx(2.0 * static_cast<double>(crash.requests)));
    CHECK(crash.gb_seconds == doctest::Approx(0.5 * static_cast<double>(crash.requests)));
    CHECK(crash.cold_starts_stopped == crash.requests);
    // Each revision is followed by its usage flush; a kill between the two loses only that flush.
    CHECK(crash.requests <= count);
    CHECK(crash.requests >= count - (round + 1));
  }
}

TEST_CASE("a dev lease is taken with the deploy, renewed by its session, refused to another until it lapses") {
  TempDir dir;
  TestClock clock;
  auto reg = open(dir, clock);
  using svl::orchestrator::DevLease;
  const DevLease first{"session-1", clock.now + 15s};
  svl::orchestrator::PutRevisionOptions dev;
  dev.lease = first;
  REQUIRE(reg->put_revision("api-dev", make_spec("api-dev"), "sha256:a", "/src/api", dev));
  auto record = reg->get_function("api-dev");
  REQUIRE(record);
  REQUIRE(record->lease);
  CHECK(record->lease->session == "session-1");
  CHECK(record->lease->expires_at == first.expires_at);

  // Another session, same folder: refused while the lease is live, by the deploy and the renewal.
  svl::orchestrator::PutRevisionOptions other;
  other.lease = DevLease{"session-2", clock.now + 15s};
  auto refused = reg->put_revision("api-dev", make_spec("api-dev"), "sha256:a", "/src/api", other);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == RegistryErrc::lease_held);
  CHECK(refused.error().message.find("already running") != std::string::npos);
  CHECK_FALSE(reg->hold_lease("api-dev", *other.lease));

  // Its own session renews; an unchanged deploy still renews without a new revision.
  clock.now += 10s;
  REQUIRE(reg->hold_lease("api-dev", DevLease{"session-1", clock.now + 15s}));
  dev.lease = DevLease{"session-1", clock.now + 20s};
  auto same = reg->put_revision("api-dev", make_spec("api-dev"), "sha256:a", "/src/api", dev);
  REQUIRE(same);
  CHECK_FALSE(same->created);
  CHECK(reg->get_function("api-dev")->lease->expires_at == clock.now + 20s);

  // Lapsed: another session takes it over.
  clock.now += 21s;
  CHECK_FALSE(reg->get_function("api-dev")->lease->live(clock.now));
  REQUIRE(reg->hold_lease("api-dev", *other.lease));
  CHECK(reg->get_function("api-dev")->lease->session == "session-2");

  // A plain function has none, and svl dev never takes one over; deleting then re-creating clears it.
  REQUIRE(reg->put_revision("api", make_spec("api"), "sha256:a", "/src/api"));
  CHECK_FALSE(reg->get_function("api")->lease);
  auto takeover = reg->put_revision("api", make_spec("api"), "sha256:b", "/src/api", other);
  REQUIRE_FALSE(takeover);
  CHECK(takeover.error().code == RegistryErrc::name_taken);
  CHECK(takeover.error().message.find("svl up, not svl dev") != std::string::npos);
  CHECK(reg->hold_lease("api", *other.lease).error().code == RegistryErrc::name_taken);
  CHECK_FALSE(reg->get_function("api")->lease);
  REQUIRE(reg->delete_function("api-dev"));
  REQUIRE(reg->put_revision("api-dev", make_spec("api-dev"), "sha256:a", "/src/api"));
  CHECK_FALSE(reg->get_function("api-dev")->lease);
  CHECK(reg->hold_lease("missing", *other.lease).error().code == RegistryErrc::not_found);
}
