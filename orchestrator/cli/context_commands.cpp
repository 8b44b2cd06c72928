// `svl context add|use|ls|rm` (the daemons this CLI talks to) and `svl token create|ls|rm` (who
// may talk to a daemon remotely). docs/remote.md.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <memory>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/admin_options.hpp"
#include "orchestrator/cli/command.hpp"
#include "orchestrator/cli/contexts.hpp"
#include "tls/self_signed.hpp"

namespace svl::cli {
namespace {

using nlohmann::json;

int fail(const std::string& message) {
  std::cerr << "svl context: " << message << "\n";
  return 1;
}

// The token in a file ("-": stdin), without surrounding whitespace.
std::string read_token(const std::string& file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("--token-file: cannot read " + file);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw std::runtime_error("--token-file: " + file + " is empty");
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

struct AddOptions {
  std::string name, url, token_file, fingerprint;
};

int add_context(const AddOptions& o) {
  if (!is_valid_context_name(o.name) || o.name == kLocalContext)
    return fail("\"" + o.name + "\" is not a context name (1-64 of a-z, 0-9, '.', '_', '-'; \"local\" is taken)");
  if (auto problem = url_problem(o.url)) return fail("URL: " + *problem);
  Context c;
  c.url = o.url;
  if (!o.token_file.empty()) c.token = read_token(o.token_file);
  AdminClient probe(AdminTarget{{}, o.name, c});
  const auto seen = probe.probe_fingerprint();
  if (!o.fingerprint.empty()) {
    const auto given = tls::normalize_fingerprint(o.fingerprint);
    if (!given) return fail("--fingerprint: expected SHA256: and 64 hex digits, got \"" + o.fingerprint + "\"");
    if (*given != seen)
      return fail("the daemon at " + o.url + " presented " + seen + ", not the --fingerprint " + *given +
                  "; nothing saved. Check the address, and the fingerprint svl daemon logged on the box.");
    c.fingerprint = *given;
  } else {
    c.fingerprint = seen;
    std::cerr << "svl context: first contact with " << o.url << ": pinned its certificate " << seen
              << "\n  (compare it with the one svl daemon logged on the box; later changes are refused)\n";
  }
  AdminClient client(AdminTarget{{}, o.name, c});
  const auto health = client.request("GET", "/v1/health");
  if (c.token.empty())
    std::cerr << "svl context: no --token-file: commands will be refused until you add the context again with one\n";
  else if (health.status != 200)
    return fail("the daemon refused the token: " + error_message(health) + "; nothing saved");
  const auto file = contexts_path();
  auto contexts = load_contexts(file);
  contexts.contexts[o.name] = c;
  if (contexts.current.empty()) contexts.current = o.name;
  save_contexts(file, contexts);
  std::cout << "added context " << o.name << " (" << o.url << ")" << (contexts.current == o.name ? ", now current" : "")
            << "\n";
  return 0;
}

int use_context(const std::string& name) {
  const auto file = contexts_path();
  auto contexts = load_contexts(file);
  if (name != kLocalContext && !contexts.contexts.contains(name))
    return fail("no context named " + name + " (svl context ls)");
  contexts.current = name == kLocalContext ? "" : name;
  save_contexts(file, contexts);
  std::cout << "using " << name << "\n";
  return 0;
}

int list_contexts(bool as_json) {
  const auto contexts = load_contexts(contexts_path());
  const std::string current = contexts.current.empty() ? kLocalContext : contexts.current;
  if (as_json) {
    json out{{"current", current}, {"contexts", json::array()}};
    out["contexts"].push_back({{"name", kLocalContext}, {"socket", resolve_admin_socket("")}});
    for (const auto& [name, c] : contexts.contexts)
      out["contexts"].push_back({{"name", name}, {"url", c.url}, {"fingerprint", c.fingerprint}, {"token", !c.token.empty()}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << std::left << "  " << std::setw(16) << "NAME" << std::setw(32) << "DAEMON" << "CERTIFICATE\n";
  auto row = [&](const std::string& name, const std::string& daemon, const std::string& cert) {
    std::cout << (name == current ? "* " : "  ") << std::setw(16) << name << std::setw(32) << daemon << cert << "\n";
  };
  row(kLocalContext, resolve_admin_socket(""), "-");
  for (const auto& [name, c] : contexts.contexts)
    row(name, c.url, c.fingerprint.substr(0, 23) + "..." + (c.token.empty() ? " (no token)" : ""));
  return 0;
}

int remove_context(const std::string& name) {
  const auto file = contexts_path();
  auto contexts = load_contexts(file);
  if (!contexts.contexts.erase(name)) return fail("no context named " + name + " (svl context ls)");
  if (contexts.current == name) contexts.current.clear();
  save_contexts(file, contexts);
  std::cout << "removed context " << name << "\n";
  return 0;
}

void add_token_commands(CLI::App& app, Run& run) {
  auto opts = std::make_shared<AdminOptions>();
  auto name = std::make_shared<std::string>();
  auto scope = std::make_shared<std::string>();
  auto* token = app.add_subcommand("token", "API tokens for remote CLIs (docs/remote.md)");
  token->require_subcommand(1);

  auto* create = token->add_subcommand("create", "Make a token; it is printed once, only its hash is kept");
  add_admin_flags(create, *opts);
  create->add_option("name", *name, "Token name (what ls and rm show)")->required();
  create->add_option("--scope", *scope, "read (status, logs, usage), deploy (also up, rollback, scale) or admin (all)")
      ->required()
      ->check(CLI::IsMember({"read", "deploy", "admin"}));
  create->callback([&run, opts, name, scope] {
    run = [opts, name, scope] {
      return admin_call(*opts, "POST", "/v1/tokens", json{{"name", *name}, {"scope", *scope}}, [&](const json& r) {
        std::cerr << "token " << *name << " (scope " << *scope << "); it is shown this once:\n";
        std::cout << r["token"].get<std::string>() << "\n";
      });
    };
  });

  auto* ls = token->add_subcommand("ls", "List tokens: name, scope, created, last used");
  add_admin_flags(ls, *opts);
  ls->callback([&run, opts] {
    run = [opts] {
      return admin_call(*opts, "GET", "/v1/tokens", nullptr, [](const json& r) {
        std::cout << std::left << std::setw(24) << "NAME" << std::setw(8) << "SCOPE" << std::setw(22) << "CREATED"
                  << "LAST USED\n";
        for (const auto& t : r["tokens"])
          std::cout << std::setw(24) << t["name"].get<std::string>() << std::setw(8) << t["scope"].get<std::string>()
                    << std::setw(22) << t["created"].get<std::string>()
                    << (t["last_used"].is_null() ? std::string("never") : t["last_used"].get<std::string>()) << "\n";
      });
    };
  });

  auto* rm = token->add_subcommand("rm", "Revoke a token at once");
  add_admin_flags(rm, *opts);
  rm->add_option("name", *name, "Token name")->required();
  rm->callback([&run, opts, name] {
    run = [opts, name] {
      return admin_call(*opts, "DELETE", "/v1/tokens/" + url_encode(*name), nullptr,
                        [&](const json&) { std::cout << "revoked " << *name << "\n"; });
    };
  });
}

}  // namespace

void add_context_commands(CLI::App& app, Run& run) {
  auto* context = app.add_subcommand("context", "The daemons this CLI talks to: local, or remote ones (docs/remote.md)");
  context->require_subcommand(1);
  auto add = std::make_shared<AddOptions>();
  auto* add_cmd = context->add_subcommand("add", "Add a remote daemon, pinning its certificate");
  add_cmd->add_option("name", add->name, "Context name")->required();
  add_cmd->add_option("url", add->url, "https://HOST:PORT of the daemon's --admin-listen")->required();
  add_cmd->add_option("--token-file", add->token_file, "File holding a token from svl token create (- : stdin)");
  add_cmd->add_option("--fingerprint", add->fingerprint,
                      "The certificate's SHA256:... as svl daemon logged it (default: trust what is seen now)");
  add_cmd->callback([&run, add] { run = [add] { return add_context(*add); }; });

  auto name = std::make_shared<std::string>();
  auto* use = context->add_subcommand("use", "Make a context the default (local: this machine's daemon)");
  use->add_option("name", *name, "Context name")->required();
  use->callback([&run, name] { run = [name] { return use_context(*name); }; });

  auto as_json = std::make_shared<bool>(false);
  auto* ls = context->add_subcommand("ls", "List contexts; * marks the current one");
  ls->add_flag("--json", *as_json, "Print JSON");
  ls->callback([&run, as_json] { run = [as_json] { return list_contexts(*as_json); }; });

  auto* rm = context->add_subcommand("rm", "Forget a context");
  rm->add_option("name", *name, "Context name")->required();
  rm->callback([&run, name] { run = [name] { return remove_context(*name); }; });

  add_token_commands(app, run);
}

}  // namespace svl::cli
