// `svl dev` end to end on the real dockerd and daemon, with the python template (its base image
// from make-bases.sh): start, saves answered with the new code while requests keep arriving (held,
// never refused), a second svl dev refused, Ctrl-C leaves nothing; a SIGKILLed svl dev's function
// goes when its lease lapses. Prints the save-to-answer latency (p50, p95 over the saves).
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

constexpr const char* kBase = "svl-base-python:bookworm";

std::string env_or_fail(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v, name << " is not set (ctest sets it)");
  return v;
}

void ensure_base() {
  static bool built = false;
  if (built) return;
  const auto r = svl::test::run_command("bash " + env_or_fail("SVL_SOURCE_DIR") + "/tests/templates/make-bases.sh python", 1000s);
  REQUIRE_MESSAGE(r.exit_code == 0, "make-bases.sh python failed:\n" << r.err);
  built = true;
}

// `svl new hello --template python` with BASE pointed at the local base image.
fs::path scaffold(const fs::path& parent) {
  const fs::path dir = parent / "hello";
  auto made = svl::test::run_svl({"new", "hello", "--template", "python", dir.string()});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  std::ifstream in(dir / "svl.toml");
  std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = toml.find("# BASE = ");
  REQUIRE(at != std::string::npos);
  toml.replace(at, toml.find('\n', at) - at, std::string("BASE = \"") + kBase + "\"");
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

}  // namespace

TEST_CASE("svl dev: a save answers with the new code, requests meanwhile are held, Ctrl-C leaves nothing") {
  ensure_base();
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  const fs::path dir = scaffold(tmp.path());
  std::ofstream(dir / ".env") << "# loaded on top of [env]\nDEV_FLAG=from-dotenv\n";
  const fs::path app = dir / "app.py";
  const std::string original = read(app);
  const std::string hello = "f\"hello from {NAME}\\n\"";
  REQUIRE(original.find(hello) != std::string::npos);

  SvlProcess dev({"dev", dir.string(), "--admin", d.admin(), "--quiet", "--lease", "5"}, tmp.path() / "dev.log");
  REQUIRE_MESSAGE(dev.wait_output("is ready", 180s), dev.output());
  CHECK(dev.output().find("/fn/hello-dev/") != std::string::npos);
  CHECK(svl::test::get(d.gateway_port(), "/fn/hello-dev/").body == "hello from hello\n");
  CHECK(status_of(d, "hello") == nullptr);  // the production name is untouched

  // A second svl dev on the same folder is refused while this one holds the lease.
  auto second = d.cli({"dev", dir.string(), "--quiet"}, 120s);
  CHECK(second.exit_code == 1);
  CHECK_MESSAGE(second.err.find("already running") != std::string::npos, second.err);

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
  for (int i = 1; i <= 10; ++i) {
    const std::string text = "edit " + std::to_string(i) + " " + "{os.environ.get('DEV_FLAG')}";
    std::string edited = original;
    edited.replace(edited.find(hello), hello.size(), "f\"" + text + "\\n\"");
    const auto saved = std::chrono::steady_clock::now();
    save(app, edited);
    const std::string want = "edit " + std::to_string(i) + " from-dotenv\n";
    const bool seen = wait_for([&] { return svl::test::get(d.gateway_port(), "/fn/hello-dev/").body == want; }, 30s, 10ms);
    REQUIRE_MESSAGE(seen, "save " << i << " never answered\n" << dev.output());
    latencies.push_back(seconds_since(saved) * 1000);
  }
  stop = true;
  caller.join();
  CHECK(refused == 0);
  CHECK(answered > 0);
  std::cout << "svl dev (python): save -> new answer over " << latencies.size() << " saves: p50 "
            << percentile(latencies, 0.5) << " ms, p95 " << percentile(latencies, 0.95) << " ms\n";
  CHECK_MESSAGE(dev.output().find("restarted in") != std::string::npos, dev.output());  // no rebuild for app.py

  // Ctrl-C: the dev function and its containers go.
  dev.signal(SIGINT);
  CHECK(dev.wait_exit(60s) == 0);
  CHECK(status_of(d, "hello-dev") == nullptr);
  CHECK(dev_containers(d).empty());
}

TEST_CASE("svl dev killed with SIGKILL: the daemon removes its function once the lease lapses; a bad .env names its line") {
  ensure_base();
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args());
  const fs::path dir = scaffold(tmp.path());

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
