#pragma once
// Readers for the Azure Functions 2019 trace (per-minute invocation counts, durations, memory).
// Two schemas are accepted, told apart by the header:
//  - original: HashOwner,HashApp,HashFunction,Trigger,1,...,1440
//  - invitro sampled: HashFunction,HashApp,HashOwner,minute_1,...,minute_1440
// Durations join on HashFunction; memory joins on HashFunction when the file has it, else on
// HashApp (the upstream memory file is per application). Errors name file, line and column.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "autoscaler/error.hpp"

namespace svl::autoscaler {

// Execution time distribution of one function (ms), from the trace's weighted percentiles.
struct DurationPercentiles {
  double average_ms = 0;
  // (percentile, ms) pairs in increasing percentile order; empty when only the average is known.
  std::vector<std::pair<double, double>> points;
};

struct TraceFunction {
  std::string hash_function;
  std::string hash_app;
  std::string hash_owner;
  std::string trigger;                      // empty in the invitro schema
  std::vector<std::uint32_t> per_minute;    // invocation count per minute
  std::optional<DurationPercentiles> durations;
  std::optional<double> memory_mb;
};

enum class TraceSchema { original, invitro };

struct Trace {
  TraceSchema schema = TraceSchema::original;
  std::uint32_t minutes = 0;
  std::vector<TraceFunction> functions;
};

std::variant<Trace, Failure> read_invocations(std::istream& in, const std::string& name);
std::variant<Trace, Failure> read_invocations_file(const std::string& path);

// Join a durations / memory file into `trace`. Rows for unknown functions are ignored.
std::optional<Failure> join_durations(Trace& trace, std::istream& in, const std::string& name);
std::optional<Failure> join_durations_file(Trace& trace, const std::string& path);
std::optional<Failure> join_memory(Trace& trace, std::istream& in, const std::string& name);
std::optional<Failure> join_memory_file(Trace& trace, const std::string& path);

}  // namespace svl::autoscaler
