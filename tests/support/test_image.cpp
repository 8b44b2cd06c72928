#include "tests/support/test_image.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

#ifndef SVL_TEST_SERVER_BINARY
#error "SVL_TEST_SERVER_BINARY must be defined by tests/support/CMakeLists.txt"
#endif

namespace svl::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// FNV-1a: a stable content hash for the image tag (not for security).
std::string content_hash(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::size_t remove_where(docker::Client& client, const std::string& filter,
                         bool (*should_remove)(const docker::ContainerSummary&)) {
  docker::ListOptions list;
  list.label_filters = {filter};
  auto containers = client.list_containers(list);
  if (!containers) {
    std::fprintf(stderr, "test janitor: cannot list containers: %s\n", containers.error().describe().c_str());
    return 0;
  }
  std::size_t removed = 0;
  for (const auto& c : containers.value()) {
    if (!should_remove(c)) continue;
    auto r = client.remove_container(c.id, {.force = true, .volumes = true});
    if (r || r.error().code == docker::Errc::not_found) ++removed;
    else std::fprintf(stderr, "test janitor: cannot remove %s: %s\n", c.id.c_str(), r.error().describe().c_str());
  }
  return removed;
}

}  // namespace

const std::string& test_run_id() {
  static const std::string id = [] {
    if (const char* env = std::getenv("SVL_TEST_RUN_ID"); env && *env) return std::string(env);
    std::random_device rd;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%ld-%08x", static_cast<long>(::getpid()), rd());
    return std::string(buf);
  }();
  return id;
}

docker::Labels test_labels() { return {{test_label, test_run_id()}}; }

std::string test_server_binary() { return SVL_TEST_SERVER_BINARY; }

std::string ensure_test_server_image(docker::Client& client) {
  static std::mutex mutex;
  static std::string cached;
  std::lock_guard lock(mutex);
  if (!cached.empty()) return cached;

  const std::string binary = read_file(test_server_binary());
  const std::string tag = "svl-test-server:" + content_hash(binary);
  if (client.inspect_image(tag)) return cached = tag;

  namespace fs = std::filesystem;
  std::string templ = (fs::temp_directory_path() / "svl-test-image-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  const fs::path dir = templ;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  fs::copy_file(test_server_binary(), dir / "server");
  fs::permissions(dir / "server", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
  std::ofstream(dir / "Dockerfile") << "FROM scratch\n"
                                       "COPY server /server\n"
                                       "EXPOSE 8080\n"
                                       "ENTRYPOINT [\"/server\"]\n";
  docker::BuildOptions options;
  options.context_dir = dir;
  options.tags = {tag};
  options.labels = {{test_label, "fixture"}};
  auto built = client.build_image(options);
  if (!built) throw std::runtime_error("building " + tag + " failed: " + built.error().describe());
  return cached = tag;
}

ContainerJanitor::ContainerJanitor(docker::ClientOptions options) : client_(std::move(options)) {}

ContainerJanitor::~ContainerJanitor() { remove_all(); }

std::size_t ContainerJanitor::remove_all() {
  return remove_where(client_, std::string(test_label) + "=" + test_run_id(),
                      [](const docker::ContainerSummary&) { return true; });
}

std::size_t remove_dead_run_leftovers(docker::Client& client) {
  return remove_where(client, test_label, [](const docker::ContainerSummary& c) {
    auto it = c.labels.find(test_label);
    if (it == c.labels.end() || it->second == test_run_id() || it->second == "fixture") return false;
    long pid = std::strtol(it->second.c_str(), nullptr, 10);
    return pid > 0 && !process_alive(pid);
  });
}

}  // namespace svl::test
