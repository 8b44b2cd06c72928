#pragma once
// The admin API's TLS listener (docs/remote.md): its certificate is the one the config names
// (admin_cert, admin_key), or one the daemon made, self-signed, at its first start. Either way it
// is served from <state-dir>/admin-tls/ as default.crt/default.key (links to the configured
// files), by the same certificate store as the gateway's HTTPS, and the CLI pins its fingerprint.
#include <filesystem>
#include <memory>
#include <string>

#include "orchestrator/daemon/daemon.hpp"

namespace svl::tls {
class CertStore;
}

namespace svl::orchestrator {

struct AdminTls {
  std::shared_ptr<tls::CertStore> store;
  std::string fingerprint;  // "SHA256:..." of the certificate served
  bool generated = false;   // made now, at this start
};

// Throws std::invalid_argument naming the option or file that is wrong.
AdminTls prepare_admin_tls(const DaemonOptions& options, const std::filesystem::path& state_dir);

}  // namespace svl::orchestrator
