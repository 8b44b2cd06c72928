#pragma once
// A folder's .env (dotenv syntax), loaded by `svl dev` into the dev replica's environment.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "orchestrator/spec/spec_error.hpp"

namespace svl::dev {

using Dotenv = std::map<std::string, std::string>;
// Errors are svl.toml's kind (file, line, message), so the CLI prints both the same way.
using DotenvResult = svl::Result<Dotenv, std::vector<orchestrator::SpecError>>;

// `#` comment lines and blank lines; an optional `export `; NAME=value with NAME a valid
// environment name other than PORT. Unquoted values are trimmed and ` #` starts a comment;
// '...' is literal; "..." knows \n \t \" \\ and may span lines. A later NAME wins.
// Every malformed line is reported, with `file` and its line number.
DotenvResult parse_dotenv(std::string_view text, std::string_view file = ".env");

}  // namespace svl::dev
