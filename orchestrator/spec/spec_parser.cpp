#include "orchestrator/spec/spec_parser.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/spec_reader.hpp"

namespace svl::orchestrator {
namespace {

// Errors in file order; those without a position (missing keys) last.
void sort_errors(std::vector<SpecError>& errors) {
  auto position = [](const SpecError& e) {
    return std::pair{e.line > 0 ? e.line : INT_MAX, e.column};
  };
  std::stable_sort(errors.begin(), errors.end(),
                   [&](const SpecError& a, const SpecError& b) { return position(a) < position(b); });
}

SpecResult finish(std::optional<FunctionSpec> spec, std::vector<SpecError> errors) {
  SpecResult result;
  sort_errors(errors);
  result.errors = std::move(errors);
  if (result.errors.empty()) result.spec = std::move(spec);
  return result;
}

void json_into_table(const nlohmann::json& object, const std::string& prefix, toml::table& out,
                     std::vector<SpecError>& errors);

// Appends one JSON value to a TOML array (arrays of tables: [[scale.schedule]], [[cron]]).
void json_into_array(const nlohmann::json& array, const std::string& path, toml::array& out,
                     std::vector<SpecError>& errors);

// One JSON value as a TOML node, passed to insert; what TOML cannot hold is an error instead.
template <class Insert>
void json_value(const nlohmann::json& value, const std::string& path, std::vector<SpecError>& errors, Insert insert) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      toml::table child;
      json_into_table(value, path, child, errors);
      insert(std::move(child));
      break;
    }
    case nlohmann::json::value_t::array: {
      toml::array child;
      json_into_array(value, path, child, errors);
      insert(std::move(child));
      break;
    }
    case nlohmann::json::value_t::string: insert(value.get<std::string>()); break;
    case nlohmann::json::value_t::boolean: insert(value.get<bool>()); break;
    case nlohmann::json::value_t::number_integer: insert(value.get<std::int64_t>()); break;
    case nlohmann::json::value_t::number_unsigned: {
      const auto v = value.get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        errors.push_back(SpecError{"", 0, 0, path, "number too large", SpecErrc::out_of_range});
      else
        insert(static_cast<std::int64_t>(v));
      break;
    }
    case nlohmann::json::value_t::number_float: insert(value.get<double>()); break;
    case nlohmann::json::value_t::null:
      errors.push_back(SpecError{"", 0, 0, path, "null is not allowed; leave the key out to get its default",
                                 SpecErrc::wrong_type});
      break;
    default:
      errors.push_back(SpecError{"", 0, 0, path, "unsupported JSON value", SpecErrc::wrong_type});
      break;
  }
}

// Copies a JSON object into a TOML table so that JSON goes through the same checks as
// svl.toml. Values TOML cannot hold (null, integers above 2^63) are reported here.
void json_into_table(const nlohmann::json& object, const std::string& prefix, toml::table& out,
                     std::vector<SpecError>& errors) {
  for (const auto& item : object.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture those
    const std::string path = detail::dotted(prefix, key);
    json_value(item.value(), path, errors, [&](auto&& node) { out.insert(key, std::forward<decltype(node)>(node)); });
  }
}

void json_into_array(const nlohmann::json& array, const std::string& path, toml::array& out,
                     std::vector<SpecError>& errors) {
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    json_value(array[i], item, errors, [&](auto&& node) { out.push_back(std::forward<decltype(node)>(node)); });
  }
}

}  // namespace

SpecResult parse_spec(std::string_view toml_text, std::string_view source_name) {
  std::vector<SpecError> errors;
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    errors.push_back(SpecError{std::string(source_name), static_cast<int>(e.source().begin.line),
                               static_cast<int>(e.source().begin.column), "", std::string(e.description()),
                               SpecErrc::syntax});
    return finish(std::nullopt, std::move(errors));
  }
  auto spec = detail::read_spec(root, source_name, errors);
  return finish(std::move(spec), std::move(errors));
}

SpecResult load_spec_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string reason = std::strerror(errno);
    return finish(std::nullopt, {SpecError{name, 0, 0, "", "cannot read: " + reason, SpecErrc::unreadable}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return finish(std::nullopt, {SpecError{name, 0, 0, "", "cannot read", SpecErrc::unreadable}});
  return parse_spec(text.str(), name);
}

SpecResult spec_from_json(const nlohmann::json& json) {
  std::vector<SpecError> errors;
  if (!json.is_object()) {
    errors.push_back(SpecError{"", 0, 0, "", std::string("expected a JSON object, got ") + json.type_name(),
                               SpecErrc::wrong_type});
    return finish(std::nullopt, std::move(errors));
  }
  toml::table root;
  json_into_table(json, "", root, errors);
  auto spec = detail::read_spec(root, "", errors);
  return finish(std::move(spec), std::move(errors));
}

}  // namespace svl::orchestrator
