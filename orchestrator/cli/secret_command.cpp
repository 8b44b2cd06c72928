// svl secret set|ls|rm: secrets kept by the daemon (docs/secrets.md). Values are read from stdin
// or a file and sent once; nothing here ever prints one.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/admin_options.hpp"
#include "orchestrator/cli/command.hpp"
#include "orchestrator/secrets/secret_box.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::cli {
namespace {

using nlohmann::json;

struct SecretOptions {
  AdminOptions admin;
  std::string name;
  std::string from_file;
  bool roll = false;
};

// The daemon's JSON answer, or nullopt after printing its error.
std::optional<json> request(const AdminOptions& opts, const std::string& method, const std::string& path,
                            const std::string& body = {}) {
  AdminClient client(opts.target());
  auto reply = client.request(method, path, body);
  if (reply.status < 200 || reply.status >= 300) {
    std::cerr << "svl: " << error_message(reply) << "\n";
    return std::nullopt;
  }
  auto parsed = json::parse(reply.body, nullptr, false);
  if (parsed.is_discarded()) {
    std::cerr << "svl: the daemon sent a reply that is not JSON: " << reply.body.substr(0, 200) << "\n";
    return std::nullopt;
  }
  return parsed;
}

bool valid_name(const std::string& name) {
  if (auto problem = orchestrator::secret_name_problem(name); !problem.empty()) {
    std::cerr << "svl: secret name \"" << name << "\" " << problem << "\n";
    return false;
  }
  return true;
}

// At most one byte over the limit is read, so a huge input is refused without being held whole.
bool read_value(const SecretOptions& o, std::string& value) {
  std::ifstream file;
  if (!o.from_file.empty()) {
    file.open(o.from_file, std::ios::binary);
    if (!file) {
      std::cerr << "svl: --from-file " << o.from_file << ": cannot read it\n";
      return false;
    }
  }
  std::istream& in = o.from_file.empty() ? std::cin : file;
  value.resize(secrets::kMaxSecretBytes + 1);
  in.read(value.data(), static_cast<std::streamsize>(value.size()));
  value.resize(static_cast<std::size_t>(in.gcount()));
  if (value.size() > secrets::kMaxSecretBytes) {
    std::cerr << "svl: the value of " << o.name << " is larger than the limit of " << secrets::kMaxSecretBytes
              << " bytes (64 KiB)\n";
    return false;
  }
  return true;
}

int set_secret(const SecretOptions& o) {
  if (!valid_name(o.name)) return 1;
  std::string value;
  if (!read_value(o, value)) return 1;
  const json body{{"value", secrets::to_base64(value)}, {"roll", o.roll}};
  auto out = request(o.admin, "PUT", "/v1/secrets/" + o.name, body.dump());
  if (!out) return 1;
  if (o.admin.json) {
    std::cout << out->dump(2) << "\n";
    return 0;
  }
  std::cout << "secret " << o.name << ": version " << out->value("version", 0L) << ", " << out->value("size", 0L)
            << " bytes\n";
  for (const auto& [function, revision] : (*out)["rolled"].items())
    std::cout << "  " << function << ": revision " << revision.dump() << " (rolled)\n";
  if (!o.roll && !(*out)["used_by"].empty()) {
    std::string users;
    for (const auto& u : (*out)["used_by"]) users += (users.empty() ? "" : ", ") + u.get<std::string>();
    std::cout << "used by " << users << ": their replicas keep the older version until `svl up` or `svl secret set "
              << o.name << " --roll`\n";
  }
  return 0;
}

std::string when(long unix_seconds) {
  const auto at = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char text[32];
  if (::localtime_r(&at, &tm) == nullptr || std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm) == 0) return "-";
  return text;
}

int list_secrets(const AdminOptions& opts) {
  auto out = request(opts, "GET", "/v1/secrets");
  if (!out) return 1;
  if (opts.json) {
    std::cout << out->dump(2) << "\n";
    return 0;
  }
  std::printf("%-32s %8s %8s  %-19s  %s\n", "NAME", "SIZE", "VERSION", "CHANGED", "USED BY");
  for (const auto& s : (*out)["secrets"]) {
    std::string users;
    for (const auto& u : s["used_by"]) users += (users.empty() ? "" : ",") + u.get<std::string>();
    std::printf("%-32s %8ld %8ld  %-19s  %s\n", s.value("name", "?").c_str(), s.value("size", 0L), s.value("version", 0L),
                when(s.value("updated_at", 0L)).c_str(), users.empty() ? "-" : users.c_str());
  }
  return 0;
}

int remove_secret(const SecretOptions& o) {
  if (!valid_name(o.name)) return 1;
  auto out = request(o.admin, "DELETE", "/v1/secrets/" + o.name);
  if (!out) return 1;
  if (o.admin.json) std::cout << out->dump(2) << "\n";
  else std::cout << "removed secret " << o.name << "\n";
  return 0;
}

}  // namespace

void add_secret_command(CLI::App& app, Run& run) {
  auto o = std::make_shared<SecretOptions>();
  auto* secret = app.add_subcommand("secret", "Secrets for [secrets] in svl.toml: set, ls, rm (values never shown)");
  secret->require_subcommand(1);

  auto* set = secret->add_subcommand("set", "Set a secret from stdin (or --from-file); a new version each time");
  add_admin_flags(set, o->admin);
  set->add_option("name", o->name, "Secret name: a-z, 0-9, '.', '_', '-', starting with a letter or digit")->required();
  set->add_option("--from-file", o->from_file, "Read the value from this file instead of stdin");
  set->add_flag("--roll", o->roll, "Make a new revision of every function that uses it, so its replicas get the new value");
  set->callback([&run, o] { run = [o] { return set_secret(*o); }; });

  auto* ls = secret->add_subcommand("ls", "List secrets: name, size, version, when set, functions using it");
  add_admin_flags(ls, o->admin);
  ls->callback([&run, o] { run = [o] { return list_secrets(o->admin); }; });

  auto* rm = secret->add_subcommand("rm", "Remove a secret (refused while a function uses it)");
  add_admin_flags(rm, o->admin);
  rm->add_option("name", o->name, "Secret name")->required();
  rm->callback([&run, o] { run = [o] { return remove_secret(*o); }; });
}

}  // namespace svl::cli
