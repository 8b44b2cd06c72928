#pragma once
// FunctionSpec <-> JSON (the admin API's wire form; spec_from_json is in spec_parser.hpp),
// and the canonical form used to tell identical specs apart from changed ones.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

// The same shape as svl.toml: tables become objects, durations and sizes strings
// ("30s", "256MiB", pause_after may be "off"); every key is present, defaults included,
// except scale.pause_after, scale.idle_timeout and scale.remove_after, present only with policy "fixed",
// scale.cold_start_cost, present only when set, run.init, present only when false, and
// scale.schedule and cron, present only when not empty (so specs that leave them out keep
// their hash); in those, a window's max, a cron's body and timeout only when set.
nlohmann::json to_json(const FunctionSpec& spec);

// Compact JSON with sorted keys and every default written out: equal specs give equal
// text whatever the svl.toml looked like (order, comments, defaults left out or spelled out).
std::string canonical_json(const FunctionSpec& spec);

// 16 hex digits (FNV-1a 64 of canonical_json): stable across runs, builds and machines.
std::string spec_hash(const FunctionSpec& spec);

}  // namespace svl::orchestrator
