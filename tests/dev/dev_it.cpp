// `svl dev` end to end on the real dockerd and daemon, with the python, express and go templates
// (base images from make-bases.sh): start, saves answered with the new code while requests keep
// arriving (held, never refused), a second svl dev refused, Ctrl-C leaves nothing; a SIGKILLed
// svl dev's function goes when its lease lapses. Prints save-to-answer latency (p50, p95).
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/daemon/daemon_it_support.hpp"
#include "tests/templates/process.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::SvlProcess;
using svl::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A template, the file a save edits, the greeting in it, and how to write "edit N <DEV_FLAG>".
struct Case {
  std::string tmpl, base, file, hello;
  std::string (*edited)(int n);
  bool restarts;  // interpreted: a restart; compiled: a rebuild
};

const Case kPython{"python", "svl-base-python:bookworm", "app.py", "f\"hello from {NAME}\\n\"",
                   [](int n) { return "f\"edit " + std::to_string(n) + " {os.environ.get('DEV_FLAG')}\\n\""; }, true};
const Case kExpress{"express", "svl-base-node:bookworm", "src/index.js", "`hello from ${name}\\n`",
                    [](int n) { return "`edit " + std::to_string(n) + " ${process.env.DEV_FLAG}\\n`"; }, true};
const Case kGo{"go", "svl-base-go:bookworm", "main.go", "\"hello from %s\\n\", name",
               [](int n) { return "\"edit " + std::to_string(n) + " %s\\n\", os.Getenv(\"DEV_FLAG\")"; }, false};

std::string env_or_fail(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v, name << " is not set (ctest sets it)");
  return v;
}

void ensure_base(const std::string& which) {
  const auto r = svl::test::run_command("bash " + env_or_fail("SVL_SOURCE_DIR") + "/tests/templates/make-bases.sh " + which, 1000s);
  REQUIRE_MESSAGE(r.exit_code == 0, "make-bases.sh " << which << " failed:\n" << r.err);
}

// `svl new hello --template T` with BASE pointed at the local base image (built if missing).
fs::path scaffold(const Case& c, const fs::path& parent) {
  ensure_base(c.base.substr(std::string("svl-base-").size(), c.base.find(':') - std::string("svl-base-").size()));
  const fs::path dir = parent / "hello";
  auto made = svl::test::run_svl({"new", "hello", "--template", c.tmpl, dir.string()});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  std::ifstream in(dir / "svl.toml");
  std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = toml.find("# BASE = ");
  REQUIRE(at != std::string::npos);
  toml.replace(at, toml.find('\n', at) - at, "BASE = \"" + c.base + "\"");
  std::ofstream(dir / "svl.toml", std::ios::trunc) << toml;
  return dir;
}

// As editors save: a new file renamed over the old one.
void save(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".swp";
  std::ofstream(tmp, std::ios::trunc) << text;
  fs::rename(tmp, file);
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> dev_containers(const DaemonProcess& d) {
  std::vector<std::string> ids;
  for (const auto& c : instance_containers(d.state_dir()))
    if (c.labels.count("svl.function") && c.labels.at("svl.function") == "hello-dev") ids.push_back(c.id);
  return ids;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

// Starts svl dev on the template, saves `saves` edits while a caller keeps asking, and checks
// each is answered with no request refused. With `finish`, also a second svl dev and Ctrl-C.
void saves_answered(const Case& c, int saves, bool finish) {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  const fs::path dir = scaffold(c, tmp.path());
  std::ofstream(dir / ".env") << "# loaded on top of [env]\nDEV_FLAG=from-dotenv\n";
  const fs::path file = dir / c.file;
  const std::string original = read(file);
  REQUIRE(original.find(c.hello) != std::string::npos);

  SvlProcess dev({"dev", dir.string(), "--admin", d.admin(), "--quiet", "--lease", "5"}, tmp.path() / "dev.log");
  REQUIRE_MESSAGE(dev.wait_output("is ready", 300s), dev.output());
  CHECK(dev.output().find("/fn/hello-dev/") != std::string::npos);
  CHECK(svl::test::get(d.gateway_port(), "/fn/hello-dev/").body == "hello from hello\n");
  CHECK(status_of(d, "hello") == nullptr);  // the production name is untouched

  if (finish) {  // a second svl dev on the same folder is refused while this one holds the lease
    auto second = d.cli({"dev", dir.string(), "--quiet"}, 120s);
    CHECK(second.exit_code == 1);
    CHECK_MESSAGE(second.err.find("already running") != std::string::npos, second.err);
  }

  // A caller keeps asking while the files change: every answer is a 200.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, refused{0};
  std::thread caller([&] {
    while (!stop) {
      auto r = svl::test::get(d.gateway_port(), "/fn/hello-dev/");
      (r.status == 200 ? answered : refused)++;
      std::this_thread::sleep_for(10ms);
    }
  });
  std::vector<double> latencies;
  for (int i = 1; i <= saves; ++i) {
    std::string edited = original;
    edited.replace(edited.find(c.hello), c.hello.size(), c.edited(i));
    const auto saved = std::chrono::steady_clock::now();
    save(file, edited);
    const std::string want = "edit " + std::to_string(i) + " from-dotenv\n";
    const bool seen = wait_for([&] { return svl::test::get(d.gateway_port(), "/fn/hello-dev/").body == want; }, 120s, 10ms);
    if (!seen) stop = true;
    REQUIRE_MESSAGE(seen, "save " << i << " never answered\n" << dev.output());
    latencies.push_back(seconds_since(saved) * 1000);
  }
  stop = true;
  caller.join();
  CHECK(refused == 0);
  CHECK(answered > 0);
  std::cout << "svl dev (" << c.tmpl << "): save -> new answer over " << latencies.size() << " saves: p50 "
            << percentile(latencies, 0.5) << " ms, p95 " << percentile(latencies, 0.95) << " ms\n";
  const std::string how = c.restarts ? "restarted in" : "rebuilding";
  CHECK_MESSAGE(dev.output().find(how) != std::string::npos, dev.output());

  if (!finish) return;
  dev.signal(SIGINT);  // Ctrl-C: the dev function and its containers go
  CHECK(dev.wait_exit(60s) == 0);
  CHECK(status_of(d, "hello-dev") == nullptr);
  CHECK(dev_containers(d).empty());
}

}  // namespace

TEST_CASE("svl dev (python): saves restart the process, requests meanwhile are held, Ctrl-C leaves nothing") {
  saves_answered(kPython, 10, true);
}

TEST_CASE("svl dev (express): saves restart the process") { saves_answered(kExpress, 10, false); }

TEST_CASE("svl dev (go): saves rebuild, the old revision serving until the new one is ready") {
  saves_answered(kGo, 5, true);
}

TEST_CASE("svl dev killed with SIGKILL: the daemon removes its function once the lease lapses, a bad .env names its line") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  const fs::path dir = scaffold(kPython, tmp.path());

  std::ofstream(dir / ".env") << "GOOD=1\nnot a line\n";
  auto bad = d.cli({"dev", dir.string(), "--quiet"});
  CHECK(bad.exit_code == 1);
  CHECK_MESSAGE(bad.err.find(".env:2:") != std::string::npos, bad.err);
  fs::remove(dir / ".env");

  SvlProcess dev({"dev", dir.string(), "--admin", d.admin(), "--quiet", "--lease", "3"}, tmp.path() / "dev.log");
  REQUIRE_MESSAGE(dev.wait_output("is ready", 180s), dev.output());
  REQUIRE_FALSE(dev_containers(d).empty());
  dev.signal(SIGKILL);
  dev.wait_exit(10s);
  const auto killed = std::chrono::steady_clock::now();
  CHECK(wait_for([&] { return status_of(d, "hello-dev") == nullptr && dev_containers(d).empty(); }, 30s, 100ms));
  std::cout << "svl dev: removed " << seconds_since(killed) << " s after SIGKILL (lease 3 s)\n";
  CHECK(d.log().find("lease lapsed") != std::string::npos);
}
