#include "orchestrator/registry/schema.hpp"

#include <array>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace svl::orchestrator::detail {
namespace {

// Append only: never edit a migration that has shipped.
constexpr std::array kMigrations = std::to_array<std::string_view>({
    // 1: functions, revisions, hourly usage.
    R"sql(
CREATE TABLE functions (
  name             TEXT PRIMARY KEY NOT NULL,
  current_revision INTEGER NOT NULL,
  source_dir       TEXT NOT NULL,
  min_override     INTEGER,
  max_override     INTEGER,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL,
  deleted_ms       INTEGER,
  -- Checked at commit: the function row and its first revision are written together.
  FOREIGN KEY (name, current_revision) REFERENCES revisions (function, number) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE revisions (
  function   TEXT NOT NULL REFERENCES functions (name) DEFERRABLE INITIALLY DEFERRED,
  number     INTEGER NOT NULL CHECK (number > 0),
  spec_json  TEXT NOT NULL,
  spec_hash  TEXT NOT NULL,
  image_id   TEXT NOT NULL,
  source_dir TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (function, number)
) STRICT;

-- No foreign key: usage outlives a deleted function and is written by periodic flushes.
CREATE TABLE usage_hourly (
  function            TEXT NOT NULL,
  hour                INTEGER NOT NULL, -- unix seconds / 3600
  requests            INTEGER NOT NULL DEFAULT 0,
  container_seconds   REAL NOT NULL DEFAULT 0,
  gb_seconds          REAL NOT NULL DEFAULT 0,
  cold_starts_paused  INTEGER NOT NULL DEFAULT 0,
  cold_starts_stopped INTEGER NOT NULL DEFAULT 0,
  cold_starts_removed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (function, hour)
) STRICT, WITHOUT ROWID;
)sql",
    // 2: svl dev's lease on a dev function (session token and expiry; NULL: not a dev function).
    R"sql(
ALTER TABLE functions ADD COLUMN dev_session TEXT;
ALTER TABLE functions ADD COLUMN dev_expires_ms INTEGER;
)sql",
    // 3: cron triggers' runs (no foreign key: history outlives a redeploy that drops the trigger).
    R"sql(
CREATE TABLE cron_runs (
  id           INTEGER PRIMARY KEY,
  function     TEXT NOT NULL,
  trigger      TEXT NOT NULL,
  run          INTEGER,          -- the trigger's run id; NULL for skipped and missed records
  scheduled_ms INTEGER NOT NULL,
  started_ms   INTEGER,
  finished_ms  INTEGER,
  result       TEXT NOT NULL,
  status       INTEGER,
  count        INTEGER NOT NULL DEFAULT 1,
  catch_up     INTEGER NOT NULL DEFAULT 0,
  detail       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX cron_runs_by_trigger ON cron_runs (function, trigger, id);
)sql",
    // 4: API tokens of the remote admin API (hashes only).
    R"sql(
CREATE TABLE api_tokens (
  name         TEXT PRIMARY KEY NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'deploy', 'admin')),
  hash         TEXT NOT NULL UNIQUE,
  created_ms   INTEGER NOT NULL,
  last_used_ms INTEGER
) STRICT;
)sql",
    // 5: secrets, sealed (nonce || crypto_secretbox; never the value), and the versions of the
    // secrets each revision was made with (a JSON object: name -> version).
    R"sql(
CREATE TABLE secrets (
  name       TEXT PRIMARY KEY NOT NULL,
  sealed     BLOB NOT NULL,
  size       INTEGER NOT NULL,
  version    INTEGER NOT NULL CHECK (version > 0),
  updated_ms INTEGER NOT NULL
) STRICT;
ALTER TABLE revisions ADD COLUMN secret_versions TEXT NOT NULL DEFAULT '{}';
)sql",
});

}  // namespace

std::int64_t schema_version() { return static_cast<std::int64_t>(kMigrations.size()); }

void migrate(sqlite::Database& db) {
  const std::int64_t found = db.query_int("PRAGMA user_version");
  if (found > schema_version())
    throw sqlite::Error(SQLITE_ERROR, "the database has schema version " + std::to_string(found) +
                                          ", newer than this svl understands (" + std::to_string(schema_version()) +
                                          "); upgrade svl");
  for (std::int64_t v = found; v < schema_version(); ++v) {
    sqlite::Transaction tx(db);
    db.exec(kMigrations[static_cast<std::size_t>(v)]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

}  // namespace svl::orchestrator::detail
