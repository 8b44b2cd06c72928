#pragma once
// The daemon's log lines: one per event, on stderr (journald and `svl daemon` runs keep it).
#include <iostream>
#include <string_view>

namespace svl::orchestrator {

inline void log(std::string_view line) { std::clog << "svl: " << line << std::endl; }

}  // namespace svl::orchestrator
