#pragma once
// Internal to orchestrator/spec: [[scale.schedule]] and [[cron]] (issue 18), each entry's cron
// expression and time zone checked with svl::schedule, so a spec that parses has schedules
// that fire. Keys in errors name the entry: scale.schedule[0].start, cron[1].method.
#include <toml++/toml.h>

#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator::detail {

class Reader;

// `scale` is the [scale] table; scale.max must already be read (a window's min without its
// own max may not exceed it).
void read_schedule_windows(Reader& r, const toml::table& scale, ScaleSpec& spec);
void read_crons(Reader& r, const toml::table& root, FunctionSpec& spec);

}  // namespace svl::orchestrator::detail
