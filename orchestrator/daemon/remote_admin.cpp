#include "orchestrator/daemon/remote_admin.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "tls/cert_store.hpp"
#include "tls/self_signed.hpp"

namespace svl::orchestrator {

namespace fs = std::filesystem;

namespace {

// The names a self-signed certificate carries: this host's, loopback, and the listen address.
std::vector<std::string> own_names(const std::string& listen) {
  std::vector<std::string> names;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && *host) names.emplace_back(host);
  names.insert(names.end(), {"localhost", "127.0.0.1", "::1"});
  const auto colon = listen.rfind(':');
  std::string addr = listen.substr(0, colon == std::string::npos ? listen.size() : colon);
  if (addr.size() > 2 && addr.front() == '[') addr = addr.substr(1, addr.size() - 2);
  if (!addr.empty() && addr != "0.0.0.0" && addr != "::" && std::find(names.begin(), names.end(), addr) == names.end())
    names.push_back(addr);
  return names;
}

void link(const fs::path& target, const fs::path& at) {
  std::error_code ec;
  fs::remove(at, ec);
  fs::create_symlink(fs::absolute(target), at, ec);
  if (ec) throw std::invalid_argument("cannot link " + at.string() + " to " + target.string() + ": " + ec.message());
}

}  // namespace

AdminTls prepare_admin_tls(const DaemonOptions& options, const fs::path& state_dir) {
  if (options.admin_cert.empty() != options.admin_key.empty())
    throw std::invalid_argument("admin_cert and admin_key go together: give both, or neither for a self-signed one");
  const fs::path dir = state_dir / "admin-tls";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  const fs::path crt = dir / "default.crt", key = dir / "default.key";
  AdminTls out;
  if (!options.admin_cert.empty()) {
    for (const auto& f : {options.admin_cert, options.admin_key})
      if (!fs::exists(f)) throw std::invalid_argument("admin_cert/admin_key: no such file " + f);
    link(options.admin_cert, crt);
    link(options.admin_key, key);
  } else if (fs::is_symlink(crt) || !fs::exists(crt)) {  // first start, or the config stopped naming one
    try {
      tls::write_self_signed(crt, key, own_names(options.admin_listen));
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("cannot make the admin API's certificate: ") + e.what());
    }
    out.generated = true;
  }
  out.store = std::make_shared<tls::CertStore>(dir);
  for (const auto& info : out.store->reload())
    if (info.stem == "default" && !info.error.empty())
      throw std::invalid_argument("the admin API's certificate: " + info.error);
  if (!out.store->context_for(""))
    throw std::invalid_argument("the admin API's certificate: " + crt.string() + " did not load");
  try {
    out.fingerprint = tls::fingerprint_of_file(crt);
  } catch (const std::exception& e) {
    throw std::invalid_argument(e.what());
  }
  return out;
}

}  // namespace svl::orchestrator
