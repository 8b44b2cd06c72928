#pragma once
// Runs the real `svl` binary for integration tests: a daemon on port 0 with its own state dir
// (so its instance label, and so its containers, are its own), and one-shot CLI commands.
#include <chrono>
#include <filesystem>

#include "tests/common/temp_dir.hpp"
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace svl::test {

std::string svl_binary();  // $SVL_BINARY

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `svl ARGS...` to completion (bounded by timeout: SIGKILL after it).
CommandResult run_svl(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(120),
                      const std::map<std::string, std::string>& env = {});

// `svl ARGS...` left running (svl dev): stdout and stderr go to `log`; killed if still running
// when destroyed.
class SvlProcess {
public:
  SvlProcess(const std::vector<std::string>& args, std::filesystem::path log);
  ~SvlProcess();
  SvlProcess(const SvlProcess&) = delete;
  SvlProcess& operator=(const SvlProcess&) = delete;
  void signal(int sig) const;
  int wait_exit(std::chrono::milliseconds bound);  // exit code, or -1 (then it was killed)
  std::string output() const;
  // Waits until the output holds `text` (bounded); false if it did not, or the process ended.
  bool wait_output(const std::string& text, std::chrono::milliseconds bound) const;

private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

class DaemonProcess {
public:
  // Starts `svl daemon` in `state_dir` and waits for its ready line (bounded).
  // `launcher` runs the daemon (e.g. setpriv dropping a capability). SVL_TEST_DATA_PATH, when set,
  // adds --data-path with its value unless extra_args choose one: the suite runs once per path.
  // The gateway listens on 127.0.0.1:0 unless extra_args give a --listen (a restart on the same port).
  explicit DaemonProcess(std::filesystem::path state_dir, std::vector<std::string> extra_args = {},
                         std::vector<std::string> launcher = {});
  ~DaemonProcess();  // SIGTERM, then SIGKILL if it lingers
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  void kill9();                 // crash it on purpose
  int terminate();              // SIGTERM; returns its exit status
  bool running() const;
  void send_signal(int sig) const;  // e.g. SIGTERM, without waiting
  // Waits for it to exit (SIGKILL after `bound`); its exit status, or -1 when it had to be killed.
  int wait_exit(std::chrono::milliseconds bound);
  // When the ready line was seen (polled every 20 ms: at most that much after it was printed).
  std::chrono::steady_clock::time_point ready_at() const { return ready_at_; }

  std::uint16_t gateway_port() const { return gateway_port_; }
  pid_t pid() const { return pid_; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  const std::string& admin() const { return admin_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  std::string log() const;      // what it printed so far

  // `svl ARGS... --admin <socket>`.
  CommandResult cli(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(120)) const;

private:
  std::filesystem::path state_dir_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::uint16_t gateway_port_ = 0, metrics_port_ = 0;
  std::string admin_;
  std::chrono::steady_clock::time_point ready_at_;
};

// A function folder with svl.toml (and nothing to build: `image =` the fixture image).
std::filesystem::path write_function(const std::filesystem::path& parent, const std::string& name,
                                     const std::string& toml_body);


}  // namespace svl::test
