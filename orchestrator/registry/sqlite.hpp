#pragma once
// Minimal RAII over the sqlite3 C API: a connection, a prepared statement, a transaction.
// Failures throw sqlite::Error; the registry turns them into RegistryErrc::storage at its
// API boundary, so nothing outside orchestrator/registry sees an exception from here.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace svl::orchestrator::sqlite {

class Error : public std::runtime_error {
public:
  Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

private:
  int code_;
};

class Database {
public:
  // Opens (creating if needed) a read-write database file.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  // Runs one or more statements that return no rows of interest.
  void exec(std::string_view sql);
  // The single value of a one-row, one-column query (e.g. a PRAGMA).
  std::string query_text(std::string_view sql);
  std::int64_t query_int(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  [[noreturn]] void fail(int code, std::string_view what) const;

private:
  sqlite3* db_ = nullptr;
};

class Statement {
public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQL's ?1, ?2...
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::optional<std::int64_t> value);  // nullopt binds NULL
  Statement& bind_blob(int index, std::string_view bytes);

  // Advances to the next row: true while there is one, false once done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  // Ready to run again with new bindings.
  void reset();

  // Columns are 0-based, as in sqlite3_column_*.
  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::string column_blob(int column) const;
  std::optional<std::int64_t> column_optional_int(int column) const;
  std::optional<std::string> column_optional_text(int column) const;

private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE (takes the write lock up front, so a transaction never fails half-way
// on a lock upgrade); rolls back unless commit() was called.
class Transaction {
public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

private:
  Database& db_;
  bool done_ = false;
};

}  // namespace svl::orchestrator::sqlite
