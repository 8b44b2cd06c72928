// svl.toml text -> parse_spec. Either a spec or errors, never both; every error names a
// position and, except for syntax errors, a key; an accepted spec meets the checks it was
// read with and survives the admin API's JSON form unchanged.
#include <climits>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"

using namespace svl::orchestrator;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const SpecResult result = parse_spec(text, "svl.toml");
  FUZZ_CHECK(result.spec.has_value() == result.errors.empty());

  int previous_line = 0;
  for (const SpecError& e : result.errors) {
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.file == "svl.toml");
    FUZZ_CHECK(e.line >= 0 && e.column >= 0);
    FUZZ_CHECK(e.code == SpecErrc::syntax || e.code == SpecErrc::missing_key || e.line > 0);
    FUZZ_CHECK(e.code == SpecErrc::syntax || !e.key.empty());
    const int line = e.line > 0 ? e.line : INT_MAX;  // sorted by line, positionless last
    FUZZ_CHECK(line >= previous_line);
    previous_line = line;
    FUZZ_CHECK(e.to_string().rfind("svl.toml", 0) == 0);
  }
  if (!result.spec) return 0;

  const FunctionSpec& spec = *result.spec;
  FUZZ_CHECK(is_valid_function_name(spec.name));
  FUZZ_CHECK(spec.port >= 1);
  FUZZ_CHECK(spec.image.empty() == spec.build.has_value());
  FUZZ_CHECK(spec.scale.min <= spec.scale.max && spec.scale.initial <= spec.scale.max);
  FUZZ_CHECK(!spec.health.path.empty() && spec.health.path[0] == '/');

  // The JSON form (admin API, registry) reads back to the same spec.
  const std::string canonical = canonical_json(spec);
  const SpecResult again = spec_from_json(nlohmann::json::parse(canonical));
  if (!again) std::fprintf(stderr, "%s\n%s\n", canonical.c_str(), to_string(again.errors).c_str());
  FUZZ_CHECK(again.spec.has_value());
  FUZZ_CHECK(*again.spec == spec);
  FUZZ_CHECK(canonical_json(*again.spec) == canonical);
  FUZZ_CHECK(spec_hash(*again.spec) == spec_hash(spec));
  return 0;
}
