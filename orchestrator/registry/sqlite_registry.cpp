// The Registry on SQLite: one connection, every write one IMMEDIATE transaction.
//
// Durability: WAL journal with synchronous=FULL. WAL plus transactions already gives
// atomicity under kill -9 (a commit is in the WAL or it is not; recovery ignores a torn
// tail), which NORMAL would also give. FULL adds an fsync of the WAL per commit so an
// acknowledged deploy also survives a power cut; writes are rare (deploys, one usage
// flush every few seconds), so the fsync costs nothing that matters.
#include <algorithm>
#include <mutex>

#include <nlohmann/json.hpp>

#include "orchestrator/registry/registry.hpp"
#include "orchestrator/registry/schema.hpp"
#include "orchestrator/registry/sqlite_cron_runs.hpp"
#include "orchestrator/registry/sqlite_tokens.hpp"
#include "orchestrator/registry/sqlite_usage.hpp"
#include "orchestrator/registry/sqlite_secrets.hpp"
#include "orchestrator/registry/sqlite.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"

namespace svl::orchestrator {

UsageCounters& UsageCounters::operator+=(const UsageCounters& o) {
  requests += o.requests;
  container_seconds += o.container_seconds;
  gb_seconds += o.gb_seconds;
  cold_starts_paused += o.cold_starts_paused;
  cold_starts_stopped += o.cold_starts_stopped;
  cold_starts_removed += o.cold_starts_removed;
  return *this;
}

std::filesystem::path registry_database_path(const std::filesystem::path& state_dir) { return state_dir / "svl.db"; }

namespace {

using detail::from_ms;
using detail::to_ms;

// Same bounds as svl.toml's [scale] min and max.
constexpr std::int64_t kMaxReplicas = 1000;

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

RegistryError error(RegistryErrc code, std::string message) { return RegistryError{code, std::move(message)}; }

RegistryError not_found(std::string_view name) {
  return error(RegistryErrc::not_found, "function " + in_quotes(name) + " not found");
}

constexpr std::string_view kRevisionColumns =
    "function, number, spec_json, spec_hash, image_id, source_dir, created_ms, secret_versions";

using detail::versions_json;
using detail::versions_of;

class SqliteRegistry final : public Registry {
public:
  SqliteRegistry(const std::filesystem::path& path, RegistryOptions options)
      : options_(std::move(options)), db_(path.string()) {
    db_.exec("PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout.count()));
    const std::string mode = db_.query_text("PRAGMA journal_mode = WAL");
    if (mode != "wal") throw sqlite::Error(1, "cannot switch " + path.string() + " to WAL (journal_mode is " + mode + ")");
    db_.exec("PRAGMA synchronous = FULL");
    db_.exec("PRAGMA foreign_keys = ON");
    detail::migrate(db_);
  }

  RegistryResult<std::vector<FunctionRecord>> list_functions() override {
    return guarded("list functions", [&]() -> RegistryResult<std::vector<FunctionRecord>> {
      std::vector<FunctionRecord> out;
      sqlite::Statement s(db_, "SELECT name FROM functions WHERE deleted_ms IS NULL ORDER BY name");
      std::vector<std::string> names;
      while (s.step()) names.push_back(s.column_text(0));
      for (const auto& name : names) {
        auto record = load_function(name);
        if (!record) return record.error();
        out.push_back(std::move(*record));
      }
      return out;
    });
  }

  RegistryResult<FunctionRecord> get_function(std::string_view name) override {
    return guarded("read function " + in_quotes(name), [&] { return load_function(name); });
  }

  RegistryResult<PutRevisionOutcome> put_revision(std::string_view name, const FunctionSpec& spec,
                                                  std::string_view image_id, std::string_view source_dir,
                                                  PutRevisionOptions options) override {
    if (!is_valid_function_name(name))
      return error(RegistryErrc::invalid, in_quotes(name) + " is not a valid function name");
    if (spec.name != name)
      return error(RegistryErrc::invalid,
                   "the spec is named " + in_quotes(spec.name) + " but was registered as " + in_quotes(name));
    if (image_id.empty()) return error(RegistryErrc::invalid, "image id is empty");
    const std::string canonical = canonical_json(spec);
    const std::string hash = spec_hash(spec);
    const std::string versions = versions_json(options.secret_versions);

    return guarded("register a revision of " + in_quotes(name), [&]() -> RegistryResult<PutRevisionOutcome> {
      sqlite::Transaction tx(db_);
      const std::int64_t now = to_ms(options_.now());
      sqlite::Statement existing(db_,
                                 "SELECT f.current_revision, f.source_dir, f.deleted_ms IS NOT NULL, r.spec_json, "
                                 "r.spec_hash, r.image_id, r.source_dir, f.dev_session, f.dev_expires_ms, r.secret_versions "
                                 "FROM functions f JOIN revisions r ON r.function = f.name AND r.number = "
                                 "f.current_revision WHERE f.name = ?1");
      existing.bind(1, name);
      const bool exists = existing.step();
      const bool deleted = exists && existing.column_int(2) != 0;
      if (exists && !deleted) {
        const std::string owner = existing.column_text(1);
        if (owner != source_dir && !options.force)
          return error(RegistryErrc::name_taken, "function " + in_quotes(name) + " is already deployed from " + owner +
                                                     ", not from " + std::string(source_dir) +
                                                     "; pick another name, or take it over with --force");
        if (options.lease)
          if (auto refused = take_lease(name, lease_columns(existing, 7), *options.lease)) return *refused;
        if (existing.column_text(4) == hash && existing.column_text(3) == canonical &&
            existing.column_text(5) == image_id && existing.column_text(6) == source_dir &&
            existing.column_text(9) == versions) {
          if (options.lease) tx.commit();
          return PutRevisionOutcome{existing.column_int(0), false};
        }
      }

      sqlite::Statement next_number(db_, "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE function = ?1");
      next_number.bind(1, name);
      next_number.step();
      const std::int64_t number = next_number.column_int(0);

      if (!exists) {
        sqlite::Statement insert(db_,
                                 "INSERT INTO functions (name, current_revision, source_dir, created_ms, updated_ms) "
                                 "VALUES (?1, ?2, ?3, ?4, ?4)");
        insert.bind(1, name).bind(2, number).bind(3, source_dir).bind(4, now).run();
      } else if (deleted) {
        // Re-created: a fresh function that keeps counting revisions where the old one stopped.
        sqlite::Statement revive(db_,
                                 "UPDATE functions SET current_revision = ?2, source_dir = ?3, min_override = NULL, "
                                 "max_override = NULL, created_ms = ?4, updated_ms = ?4, deleted_ms = NULL, "
                                 "dev_session = NULL, dev_expires_ms = NULL WHERE name = ?1");
        revive.bind(1, name).bind(2, number).bind(3, source_dir).bind(4, now).run();
      } else {
        sqlite::Statement update(
            db_, "UPDATE functions SET current_revision = ?2, source_dir = ?3, updated_ms = ?4 WHERE name = ?1");
        update.bind(1, name).bind(2, number).bind(3, source_dir).bind(4, now).run();
      }
      sqlite::Statement insert_revision(db_, "INSERT INTO revisions (" + std::string(kRevisionColumns) +
                                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      insert_revision.bind(1, name).bind(2, number).bind(3, canonical).bind(4, hash).bind(5, image_id);
      insert_revision.bind(6, source_dir).bind(7, now).bind(8, versions).run();
      if (options.lease && (!exists || deleted)) write_lease(name, *options.lease);
      tx.commit();
      return PutRevisionOutcome{number, true};
    });
  }

  RegistryResult<FunctionRecord> rollback(std::string_view name, std::optional<std::int64_t> revision) override {
    return guarded("roll back " + in_quotes(name), [&]() -> RegistryResult<FunctionRecord> {
      sqlite::Transaction tx(db_);
      auto record = load_function(name);
      if (!record) return record.error();
      const std::int64_t current = record->current.number;
      std::int64_t target = 0;
      if (revision) {
        sqlite::Statement s(db_, "SELECT number FROM revisions WHERE function = ?1 AND number = ?2");
        s.bind(1, name).bind(2, *revision);
        if (!s.step())
          return error(RegistryErrc::not_found,
                       "function " + in_quotes(name) + " has no revision " + std::to_string(*revision));
        target = *revision;
      } else {
        sqlite::Statement s(db_, "SELECT MAX(number) FROM revisions WHERE function = ?1 AND number < ?2");
        s.bind(1, name).bind(2, current);
        s.step();
        if (s.is_null(0))
          return error(RegistryErrc::not_found, "function " + in_quotes(name) + " has no revision before " +
                                                    std::to_string(current) + " to roll back to");
        target = s.column_int(0);
      }
      if (target == current) return record;
      sqlite::Statement update(db_, "UPDATE functions SET current_revision = ?2, updated_ms = ?3 WHERE name = ?1");
      update.bind(1, name).bind(2, target).bind(3, to_ms(options_.now())).run();
      auto updated = load_function(name);
      if (!updated) return updated.error();
      tx.commit();
      return updated;
    });
  }

  RegistryResult<FunctionRecord> set_scale(std::string_view name, std::optional<std::int64_t> min,
                                           std::optional<std::int64_t> max) override {
    if (min && (*min < 0 || *min > kMaxReplicas))
      return error(RegistryErrc::invalid, "min " + std::to_string(*min) + " is out of range: must be between 0 and " +
                                              std::to_string(kMaxReplicas));
    if (max && (*max < 1 || *max > kMaxReplicas))
      return error(RegistryErrc::invalid, "max " + std::to_string(*max) + " is out of range: must be between 1 and " +
                                              std::to_string(kMaxReplicas));
    return guarded("scale " + in_quotes(name), [&]() -> RegistryResult<FunctionRecord> {
      sqlite::Transaction tx(db_);
      auto record = load_function(name);
      if (!record) return record.error();
      if (min) record->min_override = min;
      if (max) record->max_override = max;
      const std::int64_t new_min = record->min_override.value_or(record->current.spec.scale.min);
      const std::int64_t new_max = record->effective_max();
      if (new_min > new_max)
        return error(RegistryErrc::invalid, "min (" + std::to_string(new_min) + ") would be larger than max (" +
                                                std::to_string(new_max) + ") for function " + in_quotes(name));
      return write_overrides(tx, name, record->min_override, record->max_override);
    });
  }

  RegistryResult<FunctionRecord> hold_lease(std::string_view name, const DevLease& lease) override {
    return guarded("renew the dev lease of " + in_quotes(name), [&]() -> RegistryResult<FunctionRecord> {
      sqlite::Transaction tx(db_);
      auto record = load_function(name);
      if (!record) return record.error();
      if (auto refused = take_lease(name, record->lease, lease)) return *refused;
      record->lease = lease;
      tx.commit();
      return record;
    });
  }

  RegistryResult<FunctionRecord> clear_scale(std::string_view name) override {
    return guarded("clear the scale of " + in_quotes(name), [&]() -> RegistryResult<FunctionRecord> {
      sqlite::Transaction tx(db_);
      auto record = load_function(name);
      if (!record) return record.error();
      return write_overrides(tx, name, std::nullopt, std::nullopt);
    });
  }

  RegistryStatus delete_function(std::string_view name) override {
    return guarded("delete " + in_quotes(name), [&]() -> RegistryStatus {
      sqlite::Transaction tx(db_);
      sqlite::Statement s(db_, "UPDATE functions SET deleted_ms = ?2, updated_ms = ?2 WHERE name = ?1 AND deleted_ms "
                               "IS NULL");
      s.bind(1, name).bind(2, to_ms(options_.now())).run();
      if (db_.changes() == 0) return not_found(name);
      tx.commit();
      return {};
    });
  }

  RegistryResult<std::vector<Revision>> list_revisions(std::string_view name) override {
    return guarded("list revisions of " + in_quotes(name), [&]() -> RegistryResult<std::vector<Revision>> {
      if (!function_row_exists(name)) return not_found(name);
      sqlite::Statement s(db_, "SELECT " + std::string(kRevisionColumns) +
                                   " FROM revisions WHERE function = ?1 ORDER BY number");
      s.bind(1, name);
      std::vector<Revision> out;
      while (s.step()) {
        auto revision = read_revision(s);
        if (!revision) return revision.error();
        out.push_back(std::move(*revision));
      }
      return out;
    });
  }

  RegistryResult<Revision> get_revision(std::string_view name, std::int64_t number) override {
    return guarded("read revision " + std::to_string(number) + " of " + in_quotes(name),
                   [&]() -> RegistryResult<Revision> {
                     sqlite::Statement s(db_, "SELECT " + std::string(kRevisionColumns) +
                                                  " FROM revisions WHERE function = ?1 AND number = ?2");
                     s.bind(1, name).bind(2, number);
                     if (!s.step())
                       return error(RegistryErrc::not_found,
                                    "function " + in_quotes(name) + " has no revision " + std::to_string(number));
                     return read_revision(s);
                   });
  }

  RegistryStatus add_usage(std::string_view name, const UsageCounters& delta, WallTime at) override {
    return add_usage({{std::string(name), delta}}, at);
  }

  RegistryStatus add_usage(const std::vector<std::pair<std::string, UsageCounters>>& deltas, WallTime at) override {
    for (const auto& [name, delta] : deltas) {
      if (name.empty()) return error(RegistryErrc::invalid, "usage for a function without a name");
      if (!detail::valid_counters(delta))
        return error(RegistryErrc::invalid, "usage of " + in_quotes(name) + " has a negative or non-finite counter");
    }
    return guarded("record usage", [&]() -> RegistryStatus {
      detail::insert_usage(db_, deltas, at);
      return {};
    });
  }

  RegistryResult<std::vector<FunctionUsage>> usage(std::optional<std::string_view> name, WallTime since,
                                                   std::optional<WallTime> until) override {
    return guarded("read usage", [&]() -> RegistryResult<std::vector<FunctionUsage>> {
      if (name && !function_row_exists(*name)) {
        sqlite::Statement any(db_, "SELECT 1 FROM usage_hourly WHERE function = ?1 LIMIT 1");
        any.bind(1, *name);
        if (!any.step()) return not_found(*name);
      }
      return detail::select_usage(db_, name, since, until);
    });
  }

  RegistryResult<std::int64_t> add_cron_run(const CronRun& run) override {
    if (run.function.empty() || run.trigger.empty()) return error(RegistryErrc::invalid, "a cron run without function or trigger");
    return guarded("record a cron run of " + in_quotes(run.function),
                   [&]() -> RegistryResult<std::int64_t> { return detail::insert_cron_run(db_, run); });
  }

  RegistryStatus finish_cron_run(std::int64_t row, WallTime finished, CronResult result, std::optional<int> status,
                                 std::string_view detail) override {
    return guarded("record the end of a cron run", [&]() -> RegistryStatus {
      if (!detail::update_cron_run(db_, row, finished, result, status, detail))
        return error(RegistryErrc::not_found, "no cron run " + std::to_string(row));
      return {};
    });
  }

  RegistryResult<std::vector<CronRun>> cron_runs(std::string_view function, std::size_t limit) override {
    return guarded("read the cron runs of " + in_quotes(function), [&]() -> RegistryResult<std::vector<CronRun>> {
      return detail::select_cron_runs(db_, function, limit);
    });
  }

  RegistryStatus add_token(const ApiToken& token) override {
    if (token.name.empty() || token.hash.empty()) return error(RegistryErrc::invalid, "a token without name or hash");
    return guarded("add the token " + in_quotes(token.name), [&]() -> RegistryStatus {
      if (!detail::insert_token(db_, token))
        return error(RegistryErrc::name_taken, "a token named " + in_quotes(token.name) + " exists");
      return {};
    });
  }

  RegistryResult<std::vector<ApiToken>> tokens() override {
    return guarded("list the tokens", [&]() -> RegistryResult<std::vector<ApiToken>> { return detail::select_tokens(db_); });
  }

  RegistryResult<ApiToken> find_token(std::string_view hash) override {
    return guarded("look a token up", [&]() -> RegistryResult<ApiToken> {
      auto found = detail::select_token_by_hash(db_, hash);
      if (!found) return error(RegistryErrc::not_found, "no such token");
      return std::move(*found);
    });
  }

  RegistryStatus mark_token_used(std::string_view name, WallTime at) override {
    return guarded("record the use of the token " + in_quotes(name), [&]() -> RegistryStatus {
      if (!detail::update_token_used(db_, name, at)) return error(RegistryErrc::not_found, "no token " + in_quotes(name));
      return {};
    });
  }

  RegistryStatus delete_token(std::string_view name) override {
    return guarded("remove the token " + in_quotes(name), [&]() -> RegistryStatus {
      if (!detail::delete_token(db_, name)) return error(RegistryErrc::not_found, "no token " + in_quotes(name));
      return {};
    });
  }

  RegistryResult<SecretRecord> put_secret(std::string_view name, std::string_view sealed, std::int64_t size) override {
    if (auto problem = secret_name_problem(name); !problem.empty())
      return error(RegistryErrc::invalid, "secret name " + in_quotes(name) + " " + problem);
    return guarded("store secret " + in_quotes(name), [&]() -> RegistryResult<SecretRecord> {
      return detail::upsert_secret(db_, name, sealed, size, options_.now());
    });
  }

  RegistryResult<std::vector<SecretRecord>> list_secrets() override {
    return guarded("list secrets", [&]() -> RegistryResult<std::vector<SecretRecord>> { return detail::select_secrets(db_); });
  }

  RegistryResult<SecretRecord> get_secret(std::string_view name) override {
    return guarded("read secret " + in_quotes(name), [&]() -> RegistryResult<SecretRecord> {
      if (auto found = detail::select_secret(db_, name)) return *found;
      return error(RegistryErrc::not_found, "secret " + in_quotes(name) + " does not exist");
    });
  }

  RegistryStatus delete_secret(std::string_view name) override {
    return guarded("delete secret " + in_quotes(name), [&]() -> RegistryStatus {
      if (!detail::delete_secret_row(db_, name)) return error(RegistryErrc::not_found, "secret " + in_quotes(name) + " does not exist");
      return {};
    });
  }

private:
  // Runs body, turning SQLite failures into storage errors that say what was being done.
  template <class Body>
  auto guarded(const std::string& what, Body&& body) -> decltype(body()) {
    // One connection: calls from different threads take turns instead of interleaving
    // statements inside each other's transactions.
    std::lock_guard lock(mutex_);
    try {
      return body();
    } catch (const sqlite::Error& e) {
      return error(RegistryErrc::storage, "cannot " + what + ": " + e.what());
    }
  }

  // The lease in a row's dev_session and dev_expires_ms columns (`first` and the next).
  static std::optional<DevLease> lease_columns(const sqlite::Statement& s, int first) {
    auto session = s.column_optional_text(first);
    if (!session) return std::nullopt;
    return DevLease{std::move(*session), from_ms(s.column_optional_int(first + 1).value_or(0))};
  }

  // Writes `wanted` over `held`, the function's lease now, or says why not: svl dev never takes
  // over (and so never removes at its end) a function svl up deployed, and a live lease of
  // another session blocks; a lapsed one is taken over.
  std::optional<RegistryError> take_lease(std::string_view name, const std::optional<DevLease>& held,
                                          const DevLease& wanted) {
    if (!held)
      return error(RegistryErrc::name_taken, "function " + in_quotes(name) +
                                                 " was deployed by svl up, not svl dev; svl dev will not take it over "
                                                 "(it would remove it when it stops): pick another --name");
    if (held->session != wanted.session && held->live(options_.now())) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(held->expires_at - options_.now());
      return error(RegistryErrc::lease_held, "svl dev is already running for " + in_quotes(name) +
                                                 " (its lease lapses in " + std::to_string(left.count()) +
                                                 " s if it stopped); stop that one first");
    }
    write_lease(name, wanted);
    return std::nullopt;
  }

  void write_lease(std::string_view name, const DevLease& lease) {
    sqlite::Statement s(db_, "UPDATE functions SET dev_session = ?2, dev_expires_ms = ?3 WHERE name = ?1");
    s.bind(1, name).bind(2, lease.session).bind(3, to_ms(lease.expires_at)).run();
  }

  bool function_row_exists(std::string_view name) {
    sqlite::Statement s(db_, "SELECT 1 FROM functions WHERE name = ?1");
    s.bind(1, name);
    return s.step();
  }

  // A revision from kRevisionColumns' columns, the first at `first`.
  RegistryResult<Revision> read_revision(const sqlite::Statement& s, int first = 0) {
    Revision r;
    r.function = s.column_text(first);
    r.number = s.column_int(first + 1);
    const std::string text = s.column_text(first + 2);
    r.spec_hash = s.column_text(first + 3);
    r.image_id = s.column_text(first + 4);
    r.source_dir = s.column_text(first + 5);
    r.created_at = from_ms(s.column_int(first + 6));
    r.secret_versions = versions_of(s.column_text(first + 7));
    const auto json = nlohmann::json::parse(text, nullptr, false);
    auto spec = spec_from_json(json);
    if (!spec)
      return error(RegistryErrc::storage, "revision " + std::to_string(r.number) + " of " + in_quotes(r.function) +
                                              " has an unreadable spec: " +
                                              (json.is_discarded() ? "not JSON" : to_string(spec.errors)));
    r.spec = std::move(*spec.spec);
    return r;
  }

  RegistryResult<FunctionRecord> load_function(std::string_view name) {
    static const std::string revision_columns = [] {  // kRevisionColumns of r, built once
      std::string out;
      for (std::string_view rest = kRevisionColumns; !rest.empty();) {
        const auto comma = std::min(rest.find(", "), rest.size());
        out += (out.empty() ? "r." : ", r.") + std::string(rest.substr(0, comma));
        rest.remove_prefix(std::min(comma + 2, rest.size()));
      }
      return out;
    }();
    sqlite::Statement s(db_,
                        "SELECT f.name, f.source_dir, f.min_override, f.max_override, f.created_ms, f.updated_ms, "
                        "f.dev_session, f.dev_expires_ms, " + revision_columns +
                        " FROM functions f JOIN revisions r ON r.function = f.name AND r.number = f.current_revision "
                        "WHERE f.name = ?1 AND f.deleted_ms IS NULL");
    s.bind(1, name);
    if (!s.step()) return not_found(name);
    FunctionRecord f;
    f.name = s.column_text(0);
    f.source_dir = s.column_text(1);
    f.min_override = s.column_optional_int(2);
    f.max_override = s.column_optional_int(3);
    f.created_at = from_ms(s.column_int(4));
    f.updated_at = from_ms(s.column_int(5));
    f.lease = lease_columns(s, 6);
    auto revision = read_revision(s, 8);
    if (!revision) return revision.error();
    f.current = std::move(*revision);
    return f;
  }

  RegistryResult<FunctionRecord> write_overrides(sqlite::Transaction& tx, std::string_view name,
                                                 std::optional<std::int64_t> min, std::optional<std::int64_t> max) {
    sqlite::Statement s(db_,
                        "UPDATE functions SET min_override = ?2, max_override = ?3, updated_ms = ?4 WHERE name = ?1");
    s.bind(1, name).bind(2, min).bind(3, max).bind(4, to_ms(options_.now())).run();
    auto updated = load_function(name);
    if (!updated) return updated.error();
    tx.commit();
    return updated;
  }

  RegistryOptions options_;
  std::mutex mutex_;
  sqlite::Database db_;
};

}  // namespace

RegistryResult<std::unique_ptr<Registry>> open_registry(const std::filesystem::path& state_dir,
                                                        RegistryOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec)
    return error(RegistryErrc::storage, "cannot create the state directory " + state_dir.string() + ": " + ec.message());
  const auto path = registry_database_path(state_dir);
  try {
    return std::unique_ptr<Registry>(std::make_unique<SqliteRegistry>(path, std::move(options)));
  } catch (const sqlite::Error& e) {
    return error(RegistryErrc::storage, "cannot open the registry " + path.string() + ": " + e.what());
  }
}

}  // namespace svl::orchestrator
