#include "orchestrator/dev/dotenv.hpp"

namespace svl::dev {
namespace {

using orchestrator::SpecErrc;
using orchestrator::SpecError;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool is_env_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Walks the text line by line; a double-quoted value may consume further lines.
class Parser {
public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  DotenvResult run() {
    while (pos_ < text_.size()) entry();
    if (!errors_.empty()) return std::move(errors_);
    return std::move(values_);
  }

private:
  // The rest of the current line (without '\n'), and the cursor moved past it.
  std::string_view take_line() {
    auto end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_;
    return line;
  }

  void error(int line, SpecErrc code, std::string message) {
    errors_.push_back(SpecError{std::string(file_), line, 0, "", std::move(message), code});
  }

  void entry() {
    const int at = line_ + 1;
    std::string_view line = trim(take_line());
    if (line.empty() || line.front() == '#') return;
    if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t") line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return error(at, SpecErrc::syntax, "expected NAME=value");
    const std::string name(trim(line.substr(0, eq)));
    const std::string_view rest = line.substr(eq + 1);  // untrimmed: "A= #x" is a comment, "A=#x" is not
    if (!is_env_name(name))
      return error(at, SpecErrc::bad_value,
                   "'" + name + "' is not a valid variable name (letters, digits and _, not starting with a digit)");
    std::string value;
    if (!value_of(rest, at, value)) return;
    if (name == "PORT") return error(at, SpecErrc::conflict, "svl sets PORT from svl.toml's port; set port there instead");
    values_[name] = std::move(value);
  }

  // False after reporting an error.
  bool value_of(std::string_view raw, int at, std::string& out) {
    std::string_view rest = trim(raw);
    if (rest.empty()) return true;
    if (rest.front() == '\'') {
      const auto close = rest.find('\'', 1);
      if (close == std::string_view::npos) return error(at, SpecErrc::syntax, "unterminated single-quoted value"), false;
      out = rest.substr(1, close - 1);
      return after_quote(rest.substr(close + 1), at);
    }
    if (rest.front() == '"') return double_quoted(rest, at, out);
    // Unquoted: a '#' after a blank starts a comment.
    for (std::size_t i = 1; i < raw.size(); ++i)
      if (raw[i] == '#' && is_blank(raw[i - 1])) {
        raw = raw.substr(0, i);
        break;
      }
    out = trim(raw);
    return true;
  }

  // Only blanks or a comment may follow a closing quote.
  bool after_quote(std::string_view tail, int at) {
    tail = trim(tail);
    if (tail.empty() || tail.front() == '#') return true;
    return error(at, SpecErrc::syntax, "unexpected text after the closing quote"), false;
  }

  bool double_quoted(std::string_view rest, int at, std::string& out) {
    // `rest` lies inside text_, so the value can run on past its line.
    std::size_t i = static_cast<std::size_t>(rest.data() - text_.data()) + 1;
    for (; i < text_.size() && text_[i] != '"'; ++i) {
      char c = text_[i];
      if (c == '\n') ++line_;
      if (c == '\\' && i + 1 < text_.size()) {
        switch (text_[i + 1]) {
          case 'n': out += '\n'; ++i; continue;
          case 't': out += '\t'; ++i; continue;
          case '"': out += '"'; ++i; continue;
          case '\\': out += '\\'; ++i; continue;
          default: break;  // other backslashes are kept as written
        }
      }
      out += c;
    }
    if (i >= text_.size()) {
      pos_ = text_.size();
      return error(at, SpecErrc::syntax, "unterminated double-quoted value"), false;
    }
    // Continue after the closing quote, on whatever line it is.
    pos_ = i + 1;
    const int closing_line = line_;
    --line_;  // take_line counts the rest of this line again
    return after_quote(take_line(), closing_line);
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t pos_ = 0;
  int line_ = 0;  // lines consumed so far
  Dotenv values_;
  std::vector<SpecError> errors_;
};

}  // namespace

DotenvResult parse_dotenv(std::string_view text, std::string_view file) { return Parser(text, file).run(); }

}  // namespace svl::dev
