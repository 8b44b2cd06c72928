#pragma once
// `svl up`'s advice when a build fails on its base image: the FROM step Docker was at, resolved
// to the image it names, and how to point the build at a local image instead.
#include <map>
#include <string>
#include <string_view>

namespace svl::cli {

// The image named by a build step line such as "Step 2/5 : FROM ${BASE} AS build", with $VAR and
// ${VAR} taken from `build_args`, else from the Dockerfile's `ARG VAR=default` lines. Empty when
// the line is not a FROM step.
std::string from_step_image(std::string_view step_line, std::string_view dockerfile,
                            const std::map<std::string, std::string>& build_args);

// The error for a build that failed at `step_line` with `error`: when that step is a FROM, it
// names the image and says how to use a local one (BASE under [build.args], `docker images`).
// Empty when the failure was not at a FROM step.
std::string base_image_error(std::string_view step_line, std::string_view dockerfile,
                             const std::map<std::string, std::string>& build_args, std::string_view error);

}  // namespace svl::cli
