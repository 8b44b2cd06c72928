#pragma once
// What a batch of saved files asks of `svl dev`: nothing, a restart of the replica's process
// (every file lies below a [dev.mount] folder, which the replica reads live), or a rebuild.
#include <string>
#include <vector>

#include "orchestrator/spec/function_spec.hpp"

namespace svl::dev {

enum class ChangePlan { none, restart, rebuild };

// `paths` are relative to the project folder, '/'-separated. svl.toml, .env, the Dockerfile,
// .dockerignore and dependency manifests (package.json, requirements.txt, go.mod, ...) always
// rebuild, even below a mount: the image or the spec is what they change.
ChangePlan plan_changes(const std::vector<std::string>& paths, const orchestrator::FunctionSpec& spec);
// The first path that makes it a rebuild ("" when none does), for svl dev to say why.
std::string rebuild_reason(const std::vector<std::string>& paths, const orchestrator::FunctionSpec& spec);

}  // namespace svl::dev
