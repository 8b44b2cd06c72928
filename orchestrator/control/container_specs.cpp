#include "orchestrator/control/container_specs.hpp"

#include <filesystem>

#include "orchestrator/control/names.hpp"

namespace svl::control {

std::map<std::string, std::string> container_labels(const FunctionConfig& f, const CoreOptions& o, int slot,
                                                    const char* role) {
  std::map<std::string, std::string> l{{names::managed, "true"},
                                       {names::function, f.name},
                                       {names::role, role},
                                       {names::slot, std::to_string(slot)},
                                       {names::instance, o.instance}};
  if (std::string_view(role) == "replica") l[names::revision] = std::to_string(f.revision);
  if (std::string_view(role) == "sandbox") l[names::port] = std::to_string(f.spec.port);
  if (auto eq = o.extra_label.find('='); eq != std::string::npos) l[o.extra_label.substr(0, eq)] = o.extra_label.substr(eq + 1);
  return l;
}

ReplicaSpec replica_spec_for(const FunctionConfig& f, const CoreOptions& o, const Slot& s) {
  ReplicaSpec r;
  r.name = names::replica_name(f.name, s.index, f.revision);
  r.image = f.image;
  r.env = f.spec.env;
  r.env["PORT"] = std::to_string(f.spec.port);
  if (!o.gateway_url.empty()) r.env["SVL_GATEWAY_URL"] = o.gateway_url;
  r.labels = container_labels(f, o, s.index, "replica");
  r.home = s.sandbox_id;
  r.memory_bytes = f.spec.resources.memory_bytes;
  r.cpus = f.spec.resources.cpus;
  r.pids = f.spec.resources.pids;
  r.stop_grace = o.stop_grace;
  r.init = f.spec.run.init;
  r.secrets = f.spec.secrets;
  r.function = f.name;
  r.revision = f.revision;
  r.cap_add = f.spec.run.cap_add;
  if (f.dev && !f.spec.dev.mount.empty()) {
    r.user = f.dev_user;
    for (const auto& [from, to] : f.spec.dev.mount)  // "dir/." and "dir/src/" both as "dir/src"
      r.binds.push_back((std::filesystem::path(f.source_dir) / from / "").lexically_normal().parent_path().string() +
                        ":" + to + ":ro");
  }
  return r;
}

SandboxSpec sandbox_spec_for(const FunctionConfig& f, const CoreOptions& o, const Slot& s) {
  return SandboxSpec{names::sandbox_name(f.name, s.index), container_labels(f, o, s.index, "sandbox"), f.spec.port};
}

}  // namespace svl::control
