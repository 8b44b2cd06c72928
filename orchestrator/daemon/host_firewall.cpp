#include "orchestrator/daemon/host_firewall.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>

extern char** environ;

namespace svl::orchestrator {
namespace {

using Args = std::vector<std::string>;

Args join(Args a, const Args& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Answers to connections the host made (docker-proxy's, on the published path) come back in.
Args established(const BridgeGuard& g) {
  return {"-i", g.bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"};
}
// Everything else from the bridge to the host: refused (a connect fails at once, no timeout).
Args refuse_rest(const BridgeGuard& g) { return {"-i", g.bridge, "-j", "REJECT"}; }
Args accept_port(const BridgeGuard& g, std::uint16_t port) {
  return {"-i", g.bridge, "-d", g.gateway_ip, "-p", "tcp", "--dport", std::to_string(port),
          "-m", "comment", "--comment", g.tag, "-j", "ACCEPT"};
}
// The bridge address is the host's own: without this a machine that routes to it could use the port.
Args outside_drop(const BridgeGuard& g, std::uint16_t port) {
  return {"!", "-i", "lo", "-d", g.gateway_ip, "-p", "tcp", "--dport", std::to_string(port),
          "-m", "comment", "--comment", g.tag, "-j", "DROP"};
}

std::vector<Args> rules_listed(Iptables& ipt, const std::string& chain) {
  std::string out;
  std::vector<Args> rules;
  if (ipt.run({"-S", chain}, &out) != 0) return rules;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Args rule;
    for (std::string w; words >> w;) rule.push_back(w);
    if (rule.size() > 2 && rule[0] == "-A") rules.push_back(std::move(rule));
  }
  return rules;
}

bool carries(const Args& rule, const std::string& tag) {
  for (std::size_t i = 0; i + 1 < rule.size(); ++i)
    if (rule[i] == "--comment" && (tag.empty() ? rule[i + 1].starts_with("svl-") : rule[i + 1] == tag)) return true;
  return false;
}

// Deletes the chain's rules that carry `tag` (as iptables -S lists them: "-A CHAIN ...").
void remove_tagged(Iptables& ipt, const std::string& chain, const std::string& tag) {
  for (auto rule : rules_listed(ipt, chain)) {
    if (!carries(rule, tag)) continue;
    rule[0] = "-D";
    ipt.run(rule);
  }
}

}  // namespace

std::string firewall_chain(const std::string& bridge) { return "SVL-IN-" + bridge; }

std::string firewall_tag(const std::string& instance) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : instance) h = (h ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return std::string("svl-") + hex;
}

std::string install_host_firewall(Iptables& ipt, const BridgeGuard& g) {
  const std::string chain = firewall_chain(g.bridge);
  std::string ignored;
  if (ipt.run({"-S", chain}, &ignored) != 0 && ipt.run({"-N", chain}) != 0)
    return "iptables cannot create the chain " + chain;
  remove_tagged(ipt, chain, g.tag);  // a killed run's rules (its ports may differ)
  // Order in the chain: each daemon's accept and drop, then the shared established and reject.
  if (ipt.run(join({"-C", chain}, refuse_rest(g))) != 0 && ipt.run(join({"-A", chain}, refuse_rest(g))) != 0)
    return "iptables cannot add a rule to " + chain;
  if (ipt.run(join({"-C", chain}, established(g))) != 0) ipt.run(join({"-I", chain, "1"}, established(g)));
  for (auto port : g.allowed_ports) {  // the drop first: the accept, inserted above it, wins on the bridge
    ipt.run(join({"-I", chain, "1"}, outside_drop(g, port)));
    ipt.run(join({"-I", chain, "1"}, accept_port(g, port)));
  }
  if (ipt.run({"-C", "INPUT", "-j", chain}) != 0 && ipt.run({"-I", "INPUT", "1", "-j", chain}) != 0)
    return "iptables cannot add the jump from INPUT to " + chain;
  return {};
}

void remove_host_firewall(Iptables& ipt, const BridgeGuard& g) {
  const std::string chain = firewall_chain(g.bridge);
  remove_tagged(ipt, chain, g.tag);
  for (const auto& rule : rules_listed(ipt, chain))
    if (carries(rule, "")) return;  // another daemon's: the chain stays for it
  while (ipt.run({"-D", "INPUT", "-j", chain}) == 0) {
  }
  ipt.run({"-F", chain});
  ipt.run({"-X", chain});
}

bool inter_container_traffic_dropped(Iptables& ipt, const std::string& bridge) {
  return ipt.run({"-C", "FORWARD", "-i", bridge, "-o", bridge, "-j", "DROP"}) == 0;
}

HostFirewall::HostFirewall(std::unique_ptr<Iptables> ipt, BridgeGuard guard) : ipt_(std::move(ipt)), guard_(std::move(guard)) {
  std::string ignored;
  if (ipt_->run({"-S", "INPUT"}, &ignored) != 0) {
    problem_ = "iptables cannot be run (not installed, or no CAP_NET_ADMIN)";
    return;
  }
  icc_dropped_ = svl::orchestrator::inter_container_traffic_dropped(*ipt_, guard_.bridge);
  problem_ = install_host_firewall(*ipt_, guard_);
  if (!problem_.empty()) remove_host_firewall(*ipt_, guard_);  // what it did install
}

HostFirewall::~HostFirewall() {
  if (problem_.empty()) remove_host_firewall(*ipt_, guard_);
}

namespace {

class SystemIptables final : public Iptables {
public:
  int run(const std::vector<std::string>& args, std::string* out) override {
    std::vector<std::string> full{"iptables", "-w"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, "iptables", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; spawned == 0 && (n = ::read(pipe_fds[0], buf, sizeof buf)) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    if (spawned != 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out) *out = std::move(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

}  // namespace

std::unique_ptr<Iptables> system_iptables() { return std::make_unique<SystemIptables>(); }

}  // namespace svl::orchestrator
