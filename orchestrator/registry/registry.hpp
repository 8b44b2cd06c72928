#pragma once
// The daemon's durable state: functions, their revisions (spec + image id) and usage
// counters. Calls are synchronous and touch disk (an fsync per write): the daemon makes
// them from its own thread, never from the gateway's event loop. Calls from several threads
// are safe; they take turns.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orchestrator/registry/cron_runs.hpp"
#include "orchestrator/registry/registry_error.hpp"
#include "orchestrator/registry/tokens.hpp"
#include "orchestrator/registry/secrets.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

using WallTime = std::chrono::system_clock::time_point;

struct Revision {
  std::string function;
  std::int64_t number = 0;  // 1, 2, ... per function; never reused, also across delete and re-create
  FunctionSpec spec;
  std::string spec_hash;   // spec_hash(spec)
  std::string image_id;    // Docker's image id (sha256:...) the revision runs
  std::string source_dir;  // the folder `svl up` ran in
  WallTime created_at;
  SecretVersions secret_versions;  // of the secrets its spec names, when it was made
};

// svl dev's hold on a dev function: renewed while it runs; the daemon removes the function once
// it lapses (svl dev was killed). Another session may take it over only then.
struct DevLease {
  std::string session;  // the token of the svl dev that holds it
  WallTime expires_at;
  bool live(WallTime now) const { return now < expires_at; }
};

struct FunctionRecord {
  std::string name;
  std::string source_dir;  // the folder that owns the name (see put_revision)
  // From `svl scale`; they outlive new revisions until cleared with clear_scale.
  std::optional<std::int64_t> min_override;
  std::optional<std::int64_t> max_override;
  WallTime created_at;
  WallTime updated_at;
  Revision current;  // the revision that should be running
  std::optional<DevLease> lease;  // set: a dev function

  // What the autoscaler should use: the override if set, else the current spec; min is
  // clamped to max (an override may predate a revision with a lower max).
  std::int64_t effective_max() const { return max_override.value_or(current.spec.scale.max); }
  std::int64_t effective_min() const {
    return std::min(min_override.value_or(current.spec.scale.min), effective_max());
  }
};

// What a function would be billed on a per-request platform. The daemon adds deltas
// periodically; totals survive restarts.
struct UsageCounters {
  std::int64_t requests = 0;
  double container_seconds = 0;  // replica lifetime while running (not paused, not stopped)
  double gb_seconds = 0;         // container_seconds x memory limit in GiB
  std::int64_t cold_starts_paused = 0;
  std::int64_t cold_starts_stopped = 0;
  std::int64_t cold_starts_removed = 0;

  std::int64_t cold_starts() const { return cold_starts_paused + cold_starts_stopped + cold_starts_removed; }
  UsageCounters& operator+=(const UsageCounters& other);
  bool operator==(const UsageCounters&) const = default;
};

struct FunctionUsage {
  std::string function;
  UsageCounters totals;
};

struct PutRevisionOptions {
  bool force = false;  // take the name over from another folder
  // A dev deploy: takes or renews the lease (see hold_lease); nullopt leaves the lease as it is.
  std::optional<DevLease> lease;
  // The versions of the secrets the spec names, as they are now: a change makes a new revision.
  SecretVersions secret_versions{};
};

struct PutRevisionOutcome {
  std::int64_t revision = 0;
  bool created = false;  // false: spec, image and folder equal the current revision, nothing written
};

class Registry {
public:
  // Usage is stored in buckets of this width; `since` rounds down to a bucket start.
  static constexpr std::chrono::hours usage_bucket{1};

  virtual ~Registry() = default;

  // Live functions (not deleted), sorted by name.
  virtual RegistryResult<std::vector<FunctionRecord>> list_functions() = 0;
  virtual RegistryResult<FunctionRecord> get_function(std::string_view name) = 0;

  // Makes (spec, image_id) the function's current revision, creating the function if needed.
  // Returns the current revision unchanged, writing nothing, when spec, image id and folder
  // are the same as the current revision's. name_taken when the function exists and was
  // deployed from another source_dir (callers pass an absolute, normalised path), unless
  // options.force. invalid when name differs from spec.name or image_id is empty.
  virtual RegistryResult<PutRevisionOutcome> put_revision(std::string_view name, const FunctionSpec& spec,
                                                          std::string_view image_id, std::string_view source_dir,
                                                          PutRevisionOptions options = {}) = 0;

  // Points the function at an older revision: the given one, or the highest-numbered one
  // below the current (so repeated rollbacks walk back). Rolling back to the current
  // revision changes nothing. Returns the function as it now is.
  virtual RegistryResult<FunctionRecord> rollback(std::string_view name,
                                                  std::optional<std::int64_t> revision = std::nullopt) = 0;

  // Overrides min and/or max (nullopt leaves that one as it is). invalid when the result
  // would have min > max, or a value out of svl.toml's ranges.
  virtual RegistryResult<FunctionRecord> set_scale(std::string_view name, std::optional<std::int64_t> min,
                                                   std::optional<std::int64_t> max) = 0;
  // Takes or renews the function's lease. lease_held when another session's lease is live (the
  // message says until when); name_taken when the function is not a dev one (svl up deployed
  // it); not_found when there is no such function. A dev put_revision refuses the same way.
  virtual RegistryResult<FunctionRecord> hold_lease(std::string_view name, const DevLease& lease) = 0;
  // Back to the spec's min and max.
  virtual RegistryResult<FunctionRecord> clear_scale(std::string_view name) = 0;

  // Marks the function deleted; its revisions and usage are kept (usage stays reportable,
  // revision numbers are not reused). The name is then free for any folder.
  virtual RegistryStatus delete_function(std::string_view name) = 0;

  // All revisions, oldest first (also of a deleted function, for history).
  virtual RegistryResult<std::vector<Revision>> list_revisions(std::string_view name) = 0;
  virtual RegistryResult<Revision> get_revision(std::string_view name, std::int64_t number) = 0;

  // Adds to the counters of the bucket holding `at`. The batch form writes every function
  // in one transaction (the daemon's periodic flush). Negative deltas are invalid.
  virtual RegistryStatus add_usage(std::string_view name, const UsageCounters& delta, WallTime at) = 0;
  virtual RegistryStatus add_usage(const std::vector<std::pair<std::string, UsageCounters>>& deltas, WallTime at) = 0;

  // Totals from the bucket holding `since` up to (not including) `until`, per function,
  // sorted by name. With a name: that function only (not_found if it never existed).
  // Without: every live function (zeros included) and deleted ones that have usage.
  virtual RegistryResult<std::vector<FunctionUsage>> usage(std::optional<std::string_view> name, WallTime since,
                                                           std::optional<WallTime> until = std::nullopt) = 0;

  // Cron triggers' history (cron_runs.hpp). add: returns the record's row, and drops the
  // trigger's records beyond the newest kCronRunsKept. finish: the run's end (result, status,
  // detail). cron_runs: the function's records, newest first, at most `limit` per trigger.
  virtual RegistryResult<std::int64_t> add_cron_run(const CronRun& run) = 0;
  virtual RegistryStatus finish_cron_run(std::int64_t row, WallTime finished, CronResult result,
                                         std::optional<int> status, std::string_view detail) = 0;
  virtual RegistryResult<std::vector<CronRun>> cron_runs(std::string_view function, std::size_t limit) = 0;

  // API tokens (tokens.hpp). add: name_taken when the name is in use, invalid for an empty name
  // or hash. find_token: by hash; not_found for an unknown (or revoked) token. mark_token_used
  // sets last_used_at. delete_token revokes at once; not_found when there is no such token.
  virtual RegistryStatus add_token(const ApiToken& token) = 0;
  virtual RegistryResult<std::vector<ApiToken>> tokens() = 0;
  virtual RegistryResult<ApiToken> find_token(std::string_view hash) = 0;
  virtual RegistryStatus mark_token_used(std::string_view name, WallTime at) = 0;
  virtual RegistryStatus delete_token(std::string_view name) = 0;
  // Secrets (secrets.hpp), sealed by the caller: the registry never sees a value. put: creates
  // or replaces, returns the stored record (version one above the last); invalid for a bad name.
  // list: by name, without the sealed bytes. get, remove: not_found when there is no such secret.
  virtual RegistryResult<SecretRecord> put_secret(std::string_view name, std::string_view sealed, std::int64_t size) = 0;
  virtual RegistryResult<std::vector<SecretRecord>> list_secrets() = 0;
  virtual RegistryResult<SecretRecord> get_secret(std::string_view name) = 0;
  virtual RegistryStatus delete_secret(std::string_view name) = 0;
};

struct RegistryOptions {
  std::function<WallTime()> now = [] { return std::chrono::system_clock::now(); };
  // How long a write waits for another connection's lock before failing with storage.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
};

// Opens <state_dir>/svl.db (creating the folder and the database if needed) and migrates
// its schema to the current version.
RegistryResult<std::unique_ptr<Registry>> open_registry(const std::filesystem::path& state_dir,
                                                        RegistryOptions options = {});

// The database file open_registry uses.
std::filesystem::path registry_database_path(const std::filesystem::path& state_dir);

}  // namespace svl::orchestrator
