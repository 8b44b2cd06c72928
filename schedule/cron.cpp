#include "schedule/cron.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace svl::schedule {
namespace {

using namespace std::chrono;

struct Field {
  const char* name;
  int lo, hi;                       // the values written (day-of-week allows 7 for Sunday)
  const char* const* names = nullptr;  // names[i] is value names_base + i
  int names_base = 0;
  int name_count = 0;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr const char* kMonthLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};

constexpr Field kSecond{"second", 0, 59};
constexpr Field kMinute{"minute", 0, 59};
constexpr Field kHour{"hour", 0, 23};
constexpr Field kDom{"day-of-month", 1, 31};
constexpr Field kMonth{"month", 1, 12, kMonthNames, 1, 12};
constexpr Field kDow{"day-of-week", 0, 7, kDayNames, 0, 7};

ScheduleError error(ScheduleErrc code, std::string message) { return ScheduleError{code, std::move(message)}; }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A value: a number or, where the field has them, a name.
Result<int, ScheduleError> parse_value(const Field& f, std::string_view s) {
  if (s.empty()) return error(ScheduleErrc::bad_syntax, std::string(f.name) + ": a value is missing");
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range)
      return error(ScheduleErrc::out_of_range, std::string(f.name) + " " + std::string(s) + " is out of range " +
                                                   std::to_string(f.lo) + "-" + std::to_string(f.hi));
    if (ec != std::errc{} || end != s.data() + s.size())
      return error(ScheduleErrc::bad_syntax, std::string(f.name) + ": " + quoted(s) + " is not a number");
    if (v < f.lo || v > f.hi)
      return error(ScheduleErrc::out_of_range, std::string(f.name) + " " + std::to_string(v) + " is out of range " +
                                                   std::to_string(f.lo) + "-" + std::to_string(f.hi));
    return v;
  }
  for (int i = 0; i < f.name_count; ++i) {
    const std::string_view n = f.names[i];
    if (s.size() == n.size() && std::equal(s.begin(), s.end(), n.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        }))
      return f.names_base + i;
  }
  std::string why = std::string(f.name) + ": " + quoted(s) + " is not a number";
  if (f.name_count > 0) why += std::string(" or a name (") + f.names[0] + ".." + f.names[f.name_count - 1] + ")";
  return error(ScheduleErrc::bad_syntax, why);
}

// Sets the bits of one field; `star` tells whether the field starts with '*'.
template <std::size_t N>
std::optional<ScheduleError> parse_field(const Field& f, std::string_view text, std::bitset<N>& bits, bool& star) {
  star = !text.empty() && text[0] == '*';
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string_view item = text.substr(begin, comma == std::string_view::npos ? text.npos : comma - begin);
    if (item.empty()) return error(ScheduleErrc::bad_syntax, std::string(f.name) + ": an empty item in " + quoted(text));
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view s = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      const int span = f.hi - f.lo + 1;
      if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
        return error(ScheduleErrc::bad_syntax, std::string(f.name) + ": step " + quoted(s) + " is not a number");
      if (step < 1 || step > span)
        return error(ScheduleErrc::out_of_range, std::string(f.name) + ": step " + std::string(s) +
                                                     " is out of range 1-" + std::to_string(span));
      has_step = true;
    }
    const int top = &f == &kDow ? 6 : f.hi;  // '*' and 'a/n' on day-of-week stop at Saturday
    int lo = f.lo, hi = top;
    if (range != "*") {
      const auto dash = range.find('-');
      auto a = parse_value(f, range.substr(0, dash));
      if (!a) return a.error();
      lo = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_value(f, range.substr(dash + 1));
        if (!b) return b.error();
        hi = *b;
        if (&f == &kDow && hi == 0 && lo > 0) hi = 7;  // FRI-SUN
        if (hi < lo)
          return error(ScheduleErrc::out_of_range, std::string(f.name) + ": range " + std::string(range) +
                                                       " runs backwards");
      } else if (!has_step) {
        hi = lo;
      }
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<std::size_t>(&f == &kDow ? v % 7 : v));
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return std::nullopt;
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::optional<std::string_view> macro(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "@yearly" || lower == "@annually") return "0 0 1 1 *";
  if (lower == "@monthly") return "0 0 1 * *";
  if (lower == "@weekly") return "0 0 * * 0";
  if (lower == "@daily" || lower == "@midnight") return "0 0 * * *";
  if (lower == "@hourly") return "0 * * * *";
  return std::nullopt;
}

template <std::size_t N>
std::optional<int> next_bit(const std::bitset<N>& bits, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(N); ++i)
    if (bits.test(static_cast<std::size_t>(i))) return i;
  return std::nullopt;
}

template <std::size_t N>
std::optional<int> prev_bit(const std::bitset<N>& bits, int from) {
  for (int i = std::min(from, static_cast<int>(N) - 1); i >= 0; --i)
    if (bits.test(static_cast<std::size_t>(i))) return i;
  return std::nullopt;
}

// The Gregorian calendar, weekdays included, repeats every 400 years: a search that spans
// one cycle finds a match if there is any.
constexpr int kSearchYears = 401;

}  // namespace

Result<CronExpr, ScheduleError> CronExpr::parse(std::string_view text) {
  auto fields = split(text);
  if (fields.size() == 1 && fields[0].starts_with('@')) {
    const auto expanded = macro(fields[0]);
    if (!expanded)
      return error(ScheduleErrc::bad_syntax, quoted(fields[0]) +
                                                 " is not a macro: use @yearly, @annually, @monthly, @weekly, @daily, "
                                                 "@midnight or @hourly");
    fields = split(*expanded);
  }
  if (fields.size() != 5 && fields.size() != 6)
    return error(ScheduleErrc::bad_syntax,
                 "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, "
                 "got " + std::to_string(fields.size()));
  CronExpr e;
  e.text_ = std::string(text);
  std::size_t i = 0;
  bool star = false;
  if (fields.size() == 6) {
    if (auto err = parse_field(kSecond, fields[i++], e.seconds_, star)) return *err;
  } else {
    e.seconds_.set(0);
  }
  if (auto err = parse_field(kMinute, fields[i++], e.minutes_, star)) return *err;
  if (auto err = parse_field(kHour, fields[i++], e.hours_, e.hour_star_)) return *err;
  if (auto err = parse_field(kDom, fields[i++], e.days_, e.dom_star_)) return *err;
  if (auto err = parse_field(kMonth, fields[i++], e.months_, star)) return *err;
  if (auto err = parse_field(kDow, fields[i++], e.weekdays_, e.dow_star_)) return *err;

  const local_seconds cycle_start{local_days{year{2000} / 1 / 1}.time_since_epoch()};
  if (!e.next_match(cycle_start)) {
    // Name the likely cause: days of the month that none of the months has.
    std::string why = "never fires: ";
    const int first_day = *next_bit(e.days_, 1);
    std::string months;
    for (int m = 1; m <= 12; ++m)
      if (e.months_.test(static_cast<std::size_t>(m))) months += (months.empty() ? "" : ", ") + std::string(kMonthLong[m - 1]);
    if (e.dow_star_)
      why += "day-of-month " + std::to_string(first_day) + " never occurs in " + months;
    else
      why += "day-of-month and day-of-week never meet in " + months;
    return error(ScheduleErrc::never_fires, why);
  }
  return e;
}

bool CronExpr::day_matches(local_days day) const {
  const year_month_day ymd{day};
  const bool dom = days_.test(static_cast<unsigned>(ymd.day()));
  const bool dow = weekdays_.test(weekday{day}.c_encoding());
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;  // Vixie cron's OR rule
}

bool CronExpr::matches(local_seconds t) const {
  const auto day = floor<days>(t);
  const hh_mm_ss tod{t - day};
  return months_.test(static_cast<unsigned>(year_month_day{day}.month())) && day_matches(day) &&
         hours_.test(static_cast<std::size_t>(tod.hours().count())) &&
         minutes_.test(static_cast<std::size_t>(tod.minutes().count())) &&
         seconds_.test(static_cast<std::size_t>(tod.seconds().count()));
}

std::optional<local_seconds> CronExpr::next_match(local_seconds from) const {
  local_seconds t = from;
  const int last_year = static_cast<int>(year_month_day{floor<days>(from)}.year()) + kSearchYears;
  while (true) {
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    if (static_cast<int>(ymd.year()) > last_year) return std::nullopt;
    if (!months_.test(static_cast<unsigned>(ymd.month()))) {
      const year_month next = year_month{ymd.year(), ymd.month()} + months{1};
      t = local_seconds{local_days{next / 1}};
      continue;
    }
    if (!day_matches(day)) {
      t = local_seconds{day + days{1}};
      continue;
    }
    const hh_mm_ss tod{t - day};
    const int h = static_cast<int>(tod.hours().count());
    const auto hour = next_bit(hours_, h);
    if (!hour) {
      t = local_seconds{day + days{1}};
      continue;
    }
    if (*hour != h) {
      t = day + hours{*hour};
      continue;
    }
    const int m = static_cast<int>(tod.minutes().count());
    const auto minute = next_bit(minutes_, m);
    if (!minute) {
      t = day + hours{h + 1};
      continue;
    }
    if (*minute != m) {
      t = day + hours{h} + minutes{*minute};
      continue;
    }
    const auto second = next_bit(seconds_, static_cast<int>(tod.seconds().count()));
    if (!second) {
      t = day + hours{h} + minutes{m + 1};
      continue;
    }
    return day + hours{h} + minutes{m} + seconds{*second};
  }
}

std::optional<local_seconds> CronExpr::prev_match(local_seconds at) const {
  local_seconds t = at;
  const int first_year = static_cast<int>(year_month_day{floor<days>(at)}.year()) - kSearchYears;
  while (true) {
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    if (static_cast<int>(ymd.year()) < first_year) return std::nullopt;
    if (!months_.test(static_cast<unsigned>(ymd.month()))) {
      t = local_seconds{local_days{ymd.year() / ymd.month() / 1}} - seconds{1};
      continue;
    }
    if (!day_matches(day)) {
      t = local_seconds{day} - seconds{1};
      continue;
    }
    const hh_mm_ss tod{t - day};
    const int h = static_cast<int>(tod.hours().count());
    const auto hour = prev_bit(hours_, h);
    if (!hour) {
      t = local_seconds{day} - seconds{1};
      continue;
    }
    if (*hour != h) {
      t = day + hours{*hour + 1} - seconds{1};
      continue;
    }
    const int m = static_cast<int>(tod.minutes().count());
    const auto minute = prev_bit(minutes_, m);
    if (!minute) {
      t = day + hours{h} - seconds{1};
      continue;
    }
    if (*minute != m) {
      t = day + hours{h} + minutes{*minute + 1} - seconds{1};
      continue;
    }
    const auto second = prev_bit(seconds_, static_cast<int>(tod.seconds().count()));
    if (!second) {
      t = day + hours{h} + minutes{m} - seconds{1};
      continue;
    }
    return day + hours{h} + minutes{m} + seconds{*second};
  }
}

}  // namespace svl::schedule
