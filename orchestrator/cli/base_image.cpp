#include "orchestrator/cli/base_image.hpp"

#include <cctype>
#include <sstream>

namespace svl::cli {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}

// The FROM instruction's text after "FROM ", or nothing.
std::string_view from_argument(std::string_view step_line) {
  const auto colon = step_line.find(" : ");
  std::string_view instruction = trim(colon == std::string_view::npos ? step_line : step_line.substr(colon + 3));
  if (!iequals_prefix(instruction, "FROM ")) return {};
  instruction = trim(instruction.substr(5));
  while (instruction.rfind("--", 0) == 0) {  // --platform=...
    const auto space = instruction.find(' ');
    if (space == std::string_view::npos) return {};
    instruction = trim(instruction.substr(space));
  }
  return instruction.substr(0, instruction.find(' '));
}

std::string lookup(const std::string& name, std::string_view dockerfile, const std::map<std::string, std::string>& args) {
  if (auto it = args.find(name); it != args.end()) return it->second;
  std::istringstream lines{std::string(dockerfile)};
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view l = trim(line);
    if (!iequals_prefix(l, "ARG ")) continue;
    l = trim(l.substr(4));
    const auto eq = l.find('=');
    if (eq == std::string_view::npos || l.substr(0, eq) != name) continue;
    std::string value(trim(l.substr(eq + 1)));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

}  // namespace

std::string from_step_image(std::string_view step_line, std::string_view dockerfile,
                            const std::map<std::string, std::string>& build_args) {
  const std::string_view text = from_argument(step_line);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    std::size_t start = i + 1, end;
    const bool braced = start < text.size() && text[start] == '{';
    if (braced) {
      end = text.find('}', start);
      if (end == std::string_view::npos) return std::string(text);
      out += lookup(std::string(text.substr(start + 1, end - start - 1)), dockerfile, build_args);
      i = end + 1;
    } else {
      end = start;
      while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
      out += lookup(std::string(text.substr(start, end - start)), dockerfile, build_args);
      i = end;
    }
  }
  return out;
}

std::string base_image_error(std::string_view step_line, std::string_view dockerfile,
                             const std::map<std::string, std::string>& build_args, std::string_view error) {
  const std::string image = from_step_image(step_line, dockerfile, build_args);
  if (image.empty()) return {};
  std::string_view why = trim(error);
  // Docker's message may repeat the step: "Step 2/5 : FROM ${BASE}: Get ...".
  const std::string_view step = trim(step_line);
  if (why.size() > step.size() + 2 && why.substr(0, step.size()) == step && why.substr(step.size(), 2) == ": ")
    why.remove_prefix(step.size() + 2);
  std::string message = "cannot get the base image \"" + image + "\": " + std::string(why) + "\n";
  if (from_argument(step_line).find("BASE") != std::string_view::npos)
    message += "  The Dockerfile takes its base from the BASE build argument: point it at an image this machine has,\n"
               "  in svl.toml:   [build.args]\n"
               "                 BASE = \"my-registry.example/" + image + "\"   # or a local tag\n";
  else
    message += "  Change the FROM line of the Dockerfile to an image this machine has (or can pull).\n";
  message += "  List the local images with: docker images";
  return message;
}

}  // namespace svl::cli
