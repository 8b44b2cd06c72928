#include "tests/daemon/daemon_process.hpp"

#include "orchestrator/daemon/host_firewall.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace svl::test {

namespace fs = std::filesystem;

std::string svl_binary() {
  const char* path = std::getenv("SVL_BINARY");
  if (!path || !*path) throw std::runtime_error("SVL_BINARY is not set (ctest sets it)");
  return path;
}

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
            const std::map<std::string, std::string>& env) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = out == err ? o : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int n = ::open("/dev/null", O_RDONLY);
    ::dup2(n, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for pid up to timeout; returns its exit code, or -1 after killing it.
int wait_bounded(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

CommandResult run_svl(const std::vector<std::string>& args, std::chrono::seconds timeout,
                      const std::map<std::string, std::string>& env) {
  TempDir tmp("svl-run");
  std::vector<std::string> argv{svl_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = spawn(argv, tmp.path() / "out", tmp.path() / "err", env);
  CommandResult result;
  result.exit_code = wait_bounded(pid, timeout);
  result.out = slurp(tmp.path() / "out");
  result.err = slurp(tmp.path() / "err");
  return result;
}

SvlProcess::SvlProcess(const std::vector<std::string>& args, fs::path log) : log_(std::move(log)) {
  std::vector<std::string> argv{svl_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, log_, log_, {});
}

SvlProcess::~SvlProcess() {
  if (pid_ > 0) wait_bounded(pid_, std::chrono::milliseconds(0));
}

void SvlProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int SvlProcess::wait_exit(std::chrono::milliseconds bound) {
  const int code = wait_bounded(pid_, bound);
  pid_ = -1;
  return code;
}

std::string SvlProcess::output() const { return slurp(log_); }

bool SvlProcess::wait_output(const std::string& text, std::chrono::milliseconds bound) const {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos) return true;
    siginfo_t info{};  // WNOWAIT: ended? (reaped later by wait_exit)
    if (pid_ > 0 && ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0)
      return output().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

DaemonProcess::DaemonProcess(fs::path state_dir, std::vector<std::string> extra_args, std::vector<std::string> launcher)
    : state_dir_(std::move(state_dir)), log_path_(state_dir_ / "daemon.log") {
  fs::create_directories(state_dir_);
  std::vector<std::string> argv = std::move(launcher);
  argv.insert(argv.end(), {svl_binary(), "daemon", "--metrics-listen", "127.0.0.1:0", "--state-dir", state_dir_.string()});
  if (std::find(extra_args.begin(), extra_args.end(), "--listen") == extra_args.end())  // a restart may keep its port
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  const char* data_path = std::getenv("SVL_TEST_DATA_PATH");
  if (data_path && *data_path && std::find(extra_args.begin(), extra_args.end(), "--data-path") == extra_args.end())
    argv.insert(argv.end(), {"--data-path", data_path});
  fs::remove(log_path_);  // a previous daemon's ready line must not be mistaken for ours
  pid_ = spawn(argv, log_path_, log_path_, {});
  static const std::regex ready(R"(svl daemon ready: gateway http://127\.0\.0\.1:(\d+) admin (\S+) metrics http://[^:]+:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = slurp(log_path_);
    if (std::regex_search(text, m, ready)) {
      gateway_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      admin_ = m[2];
      metrics_port_ = static_cast<std::uint16_t>(std::stoi(m[3]));
      ready_at_ = std::chrono::steady_clock::now();
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("svl daemon exited before it was ready:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill9();
  throw std::runtime_error("svl daemon was not ready within 120 s:\n" + slurp(log_path_));
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) terminate();
  // A daemon stopped with kill9() (and not started again on its state dir) could not remove its
  // host firewall rules: the test removes them, so that runs leave the machine's INPUT chain as
  // they found it. The rules carry the daemon's tag (orchestrator/daemon/host_firewall.hpp).
  std::error_code ec;
  const auto instance = fs::canonical(state_dir_, ec);
  if (ec) return;
  const std::string tag = orchestrator::firewall_tag(instance.string());
  (void)std::system(("iptables-save -t filter 2>/dev/null | grep -- '--comment " + tag +
                     " ' | sed 's/^-A /-D /' | while read -r rule; do eval iptables -w $rule; done")
                        .c_str());
}

bool DaemonProcess::running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

void DaemonProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int DaemonProcess::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = wait_bounded(pid_, std::chrono::seconds(30));
  pid_ = -1;
  return code;
}

void DaemonProcess::send_signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds bound) {
  if (pid_ <= 0) return -1;
  int code = wait_bounded(pid_, bound);
  pid_ = -1;
  return code;
}

std::string DaemonProcess::log() const { return slurp(log_path_); }

CommandResult DaemonProcess::cli(std::vector<std::string> args, std::chrono::seconds timeout) const {
  args.push_back("--admin");
  args.push_back(admin_);
  return run_svl(args, timeout);
}

fs::path write_function(const fs::path& parent, const std::string& name, const std::string& toml_body) {
  fs::path dir = parent / name;
  fs::create_directories(dir);
  std::ofstream(dir / "svl.toml") << "name = \"" << name << "\"\n" << toml_body;
  return dir;
}

}  // namespace svl::test
