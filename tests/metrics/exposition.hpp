#pragma once
// Reads the Prometheus text format back into samples, so tests assert on
// (name, labels, value) rather than on prometheus-cpp's exact formatting.
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace svl::test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

inline std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const auto eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        std::size_t j = eq + 2;  // skip ="
        std::string value;
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\' && j + 1 < line.size()) ++j;
          value += line[j++];
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // skip }
    }
    while (i < line.size() && line[i] == ' ') ++i;
    s.value = std::strtod(line.c_str() + i, nullptr);
    samples.push_back(std::move(s));
  }
  return samples;
}

// Samples of `name` whose labels include every pair of `match`.
inline std::vector<Sample> select(const std::vector<Sample>& samples, const std::string& name,
                                  const std::map<std::string, std::string>& match = {}) {
  std::vector<Sample> out;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) ok = false;
    }
    if (ok) out.push_back(s);
  }
  return out;
}

// The value of the single sample matching exactly; nullopt when absent.
inline std::optional<double> value_of(const std::vector<Sample>& samples, const std::string& name,
                                      const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

inline std::set<std::string> sample_names(const std::vector<Sample>& samples) {
  std::set<std::string> names;
  for (const auto& s : samples) names.insert(s.name);
  return names;
}

}  // namespace svl::test
