#include "autoscaler/trace.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <istream>
#include <map>
#include <string_view>
#include <unordered_map>

namespace svl::autoscaler {
namespace {

// A CSV file read line by line; fields split on commas (the trace has no quoting).
class CsvReader {
public:
  CsvReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {}

  bool next(std::vector<std::string_view>& fields) {
    if (!std::getline(in_, line_)) return false;
    ++line_no_;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    fields.clear();
    std::string_view s = line_;
    while (true) {
      auto comma = s.find(',');
      fields.push_back(s.substr(0, comma));
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
    return true;
  }

  Failure fail(Error e, std::string what, std::size_t column = 0) const {
    std::string where = name_ + ":" + std::to_string(line_no_);
    if (column > 0) where += ":" + std::to_string(column);
    return Failure{make_error_code(e), where + ": " + what};
  }
  std::size_t line() const { return line_no_; }
  const std::string& name() const { return name_; }

private:
  std::istream& in_;
  std::string name_;
  std::string line_;
  std::size_t line_no_ = 0;
};

std::optional<std::size_t> find_column(const std::vector<std::string>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

// Counts like "3.0" appear in some derived traces: accept integral floats too.
bool parse_count(std::string_view s, std::uint32_t& out) {
  if (parse_number(s, out)) return true;
  double d = 0;
  if (!parse_number(s, d) || d < 0 || d > 4e9 || d != static_cast<double>(static_cast<std::uint64_t>(d))) return false;
  out = static_cast<std::uint32_t>(d);
  return true;
}

std::variant<std::vector<std::string>, Failure> read_header(CsvReader& csv) {
  std::vector<std::string_view> fields;
  if (!csv.next(fields)) return csv.fail(Error::empty_file, "empty file: expected a header line");
  std::vector<std::string> header(fields.begin(), fields.end());
  return header;
}

std::variant<std::size_t, Failure> require(const CsvReader& csv, const std::vector<std::string>& header,
                                           std::string_view name) {
  if (auto c = find_column(header, name)) return *c;
  return csv.fail(Error::missing_column, "missing column \"" + std::string(name) + "\" in the header");
}

}  // namespace

std::variant<Trace, Failure> read_invocations(std::istream& in, const std::string& name) {
  CsvReader csv(in, name);
  auto h = read_header(csv);
  if (auto* f = std::get_if<Failure>(&h)) return *f;
  const auto& header = std::get<std::vector<std::string>>(h);

  Trace trace;
  // Minute columns: "1".."N" (original) or "minute_1".."minute_N" (invitro), in minute order.
  std::map<std::uint32_t, std::size_t> minute_columns;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string_view col = header[i];
    if (col.starts_with("minute_")) {
      trace.schema = TraceSchema::invitro;
      col.remove_prefix(7);
    }
    std::uint32_t minute = 0;
    if (parse_number(col, minute) && minute >= 1) minute_columns[minute] = i;
  }
  if (minute_columns.empty())
    return csv.fail(Error::missing_column, "no per-minute columns (\"1\"... or \"minute_1\"...) in the header");
  if (minute_columns.rbegin()->first != minute_columns.size())
    return csv.fail(Error::missing_column, "per-minute columns are not numbered 1.." +
                                              std::to_string(minute_columns.size()));
  trace.minutes = static_cast<std::uint32_t>(minute_columns.size());

  std::size_t c_function = 0, c_app = 0, c_owner = 0;
  for (auto [name_, slot] : {std::pair<const char*, std::size_t*>{"HashFunction", &c_function},
                             {"HashApp", &c_app}, {"HashOwner", &c_owner}}) {
    auto c = require(csv, header, name_);
    if (auto* f = std::get_if<Failure>(&c)) return *f;
    *slot = std::get<std::size_t>(c);
  }
  auto c_trigger = find_column(header, "Trigger");

  std::vector<std::string_view> fields;
  while (csv.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != header.size())
      return csv.fail(Error::bad_field_count, "expected " + std::to_string(header.size()) + " fields, found " +
                                                  std::to_string(fields.size()));
    TraceFunction fn;
    fn.hash_function = std::string(fields[c_function]);
    fn.hash_app = std::string(fields[c_app]);
    fn.hash_owner = std::string(fields[c_owner]);
    if (c_trigger) fn.trigger = std::string(fields[*c_trigger]);
    fn.per_minute.resize(trace.minutes);
    for (auto [minute, column] : minute_columns) {
      if (!parse_count(fields[column], fn.per_minute[minute - 1]))
        return csv.fail(Error::bad_number,
                        "column \"" + header[column] + "\": expected an invocation count, found \"" +
                            std::string(fields[column]) + "\"",
                        column + 1);
    }
    trace.functions.push_back(std::move(fn));
  }
  return trace;
}

std::optional<Failure> join_durations(Trace& trace, std::istream& in, const std::string& name) {
  CsvReader csv(in, name);
  auto h = read_header(csv);
  if (auto* f = std::get_if<Failure>(&h)) return *f;
  const auto& header = std::get<std::vector<std::string>>(h);
  auto key = require(csv, header, "HashFunction");
  if (auto* f = std::get_if<Failure>(&key)) return *f;
  auto avg = require(csv, header, "Average");
  if (auto* f = std::get_if<Failure>(&avg)) return *f;
  std::vector<std::pair<double, std::size_t>> pct_columns;
  for (double p : {0.0, 1.0, 25.0, 50.0, 75.0, 99.0, 100.0}) {
    auto c = find_column(header, "percentile_Average_" + std::to_string(static_cast<int>(p)));
    if (c) pct_columns.push_back({p, *c});
  }

  std::unordered_map<std::string_view, TraceFunction*> by_hash;
  for (auto& fn : trace.functions) by_hash[fn.hash_function] = &fn;

  std::vector<std::string_view> fields;
  while (csv.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() != header.size())
      return csv.fail(Error::bad_field_count, "expected " + std::to_string(header.size()) + " fields, found " +
                                                  std::to_string(fields.size()));
    DurationPercentiles d;
    const std::size_t ca = std::get<std::size_t>(avg);
    if (!parse_number(fields[ca], d.average_ms) || d.average_ms < 0)
      return csv.fail(Error::bad_number, "column \"Average\": expected milliseconds, found \"" +
                                             std::string(fields[ca]) + "\"", ca + 1);
    for (auto [p, c] : pct_columns) {
      double v = 0;
      if (!parse_number(fields[c], v) || v < 0)
        return csv.fail(Error::bad_number, "column \"" + header[c] + "\": expected milliseconds, found \"" +
                                               std::string(fields[c]) + "\"", c + 1);
      d.points.push_back({p, v});
    }
    // Weighted percentiles are monotone in theory; keep them so for sampling.
    for (std::size_t i = 1; i < d.points.size(); ++i)
      d.points[i].second = std::max(d.points[i].second, d.points[i - 1].second);
    auto it = by_hash.find(fields[std::get<std::size_t>(key)]);
    if (it != by_hash.end()) it->second->durations = std::move(d);
  }
  return std::nullopt;
}

std::optional<Failure> join_memory(Trace& trace, std::istream& in, const std::string& name) {
  CsvReader csv(in, name);
  auto h = read_header(csv);
  if (auto* f = std::get_if<Failure>(&h)) return *f;
  const auto& header = std::get<std::vector<std::string>>(h);
  // Per function when the file says so, else per application.
  auto by_function = find_column(header, "HashFunction");
  auto key = by_function ? std::variant<std::size_t, Failure>(*by_function) : require(csv, header, "HashApp");
  if (auto* f = std::get_if<Failure>(&key)) return *f;
  auto mem = require(csv, header, "AverageAllocatedMb");
  if (auto* f = std::get_if<Failure>(&mem)) return *f;

  std::unordered_map<std::string_view, std::vector<TraceFunction*>> by_key;
  for (auto& fn : trace.functions) by_key[by_function ? fn.hash_function : fn.hash_app].push_back(&fn);

  std::vector<std::string_view> fields;
  while (csv.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() != header.size())
      return csv.fail(Error::bad_field_count, "expected " + std::to_string(header.size()) + " fields, found " +
                                                  std::to_string(fields.size()));
    const std::size_t cm = std::get<std::size_t>(mem);
    double mb = 0;
    if (!parse_number(fields[cm], mb) || mb <= 0)
      return csv.fail(Error::bad_number, "column \"AverageAllocatedMb\": expected megabytes, found \"" +
                                             std::string(fields[cm]) + "\"", cm + 1);
    auto it = by_key.find(fields[std::get<std::size_t>(key)]);
    if (it != by_key.end())
      for (auto* fn : it->second) fn->memory_mb = mb;
  }
  return std::nullopt;
}

namespace {
template <typename F>
auto with_file(const std::string& path, F&& f) -> decltype(f(std::declval<std::istream&>())) {
  std::ifstream in(path);
  if (!in) return Failure{make_error_code(Error::file_not_found), path + ": cannot open file"};
  return f(in);
}
}  // namespace

std::variant<Trace, Failure> read_invocations_file(const std::string& path) {
  return with_file(path, [&](std::istream& in) { return read_invocations(in, path); });
}
std::optional<Failure> join_durations_file(Trace& trace, const std::string& path) {
  return with_file(path, [&](std::istream& in) { return join_durations(trace, in, path); });
}
std::optional<Failure> join_memory_file(Trace& trace, const std::string& path) {
  return with_file(path, [&](std::istream& in) { return join_memory(trace, in, path); });
}

}  // namespace svl::autoscaler
