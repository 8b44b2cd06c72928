#include "orchestrator/spec/capabilities.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "orchestrator/spec/toml_reader.hpp"

namespace svl::orchestrator {
namespace {

constexpr std::array<std::string_view, 41> kCapabilities{
    "CHOWN",          "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",          "FSETID",        "KILL",
    "SETGID",         "SETUID",       "SETPCAP",         "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN",      "NET_RAW",      "IPC_LOCK",        "IPC_OWNER",       "SYS_MODULE",    "SYS_RAWIO",
    "SYS_CHROOT",     "SYS_PTRACE",   "SYS_PACCT",       "SYS_ADMIN",       "SYS_BOOT",      "SYS_NICE",
    "SYS_RESOURCE",   "SYS_TIME",     "SYS_TTY_CONFIG",  "MKNOD",           "LEASE",         "AUDIT_WRITE",
    "AUDIT_CONTROL",  "SETFCAP",      "MAC_OVERRIDE",    "MAC_ADMIN",       "SYSLOG",        "WAKE_ALARM",
    "BLOCK_SUSPEND",  "AUDIT_READ",   "PERFMON",         "BPF",             "CHECKPOINT_RESTORE"};

bool known(std::string_view name) {
  return std::find(kCapabilities.begin(), kCapabilities.end(), name) != kCapabilities.end();
}

std::string without_prefix(std::string_view name) {
  return std::string(name.starts_with("CAP_") ? name.substr(4) : name);
}

}  // namespace

std::span<const std::string_view> capability_names() { return kCapabilities; }

std::string capability_problem(std::string_view name, std::string& normalized) {
  normalized = without_prefix(name);
  if (known(normalized)) return {};
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper != name && known(without_prefix(upper))) return "must be upper case: write " + detail::in_quotes(upper);
  if (normalized == "ALL")
    return "name each capability the function needs; ALL would give its replicas every one, root's powers included";
  std::string_view closest;
  std::size_t best = 3;  // within two edits
  for (auto candidate : kCapabilities)
    if (auto d = detail::edit_distance(without_prefix(upper), candidate); d < best) best = d, closest = candidate;
  std::string message = "not a Linux capability";
  if (!closest.empty()) message += " (did you mean " + detail::in_quotes(closest) + "?)";
  else message += "; see capabilities(7), e.g. \"NET_BIND_SERVICE\"";
  return message;
}

}  // namespace svl::orchestrator
