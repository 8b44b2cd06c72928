// `svl up`'s error when a build fails on its base image (no registry reachable).
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "orchestrator/cli/base_image.hpp"

using svl::cli::base_image_error;
using svl::cli::from_step_image;

namespace {
const std::string dockerfile = "# comment\nARG BASE=node:20-slim\nARG OTHER=\"x:1\"\nFROM ${BASE} AS build\nRUN true\n";
}

TEST_CASE("the FROM step's image, with build args over the Dockerfile's ARG defaults") {
  CHECK(from_step_image("Step 2/5 : FROM ${BASE} AS build", dockerfile, {}) == "node:20-slim");
  CHECK(from_step_image("Step 2/5 : FROM ${BASE}", dockerfile, {{"BASE", "svl-base-node:bookworm"}}) ==
        "svl-base-node:bookworm");
  CHECK(from_step_image("Step 1/1 : FROM $OTHER", dockerfile, {}) == "x:1");
  CHECK(from_step_image("Step 1/1 : from --platform=linux/amd64 debian:bookworm", "", {}) == "debian:bookworm");
  CHECK(from_step_image("Step 3/5 : RUN npm ci", dockerfile, {}).empty());
  CHECK(from_step_image("", dockerfile, {}).empty());
}

TEST_CASE("a failed pull names the image and says how to use a local one") {
  const std::string pull_error = "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host";
  const auto message = base_image_error("Step 2/5 : FROM ${BASE}", dockerfile, {}, pull_error);
  CHECK(message.find("cannot get the base image \"node:20-slim\"") != std::string::npos);
  CHECK(message.find("no such host") != std::string::npos);
  // Docker's own repetition of the step is dropped.
  const auto repeated = base_image_error("Step 2/5 : FROM ${BASE}", dockerfile, {}, "Step 2/5 : FROM ${BASE}: " + pull_error);
  CHECK(repeated.find("\"node:20-slim\": Get \"https://registry-1") != std::string::npos);
  CHECK(message.find("BASE") != std::string::npos);
  CHECK(message.find("[build.args]") != std::string::npos);
  CHECK(message.find("docker images") != std::string::npos);
  // A literal FROM: no BASE to set, change the Dockerfile.
  const auto literal = base_image_error("Step 1/3 : FROM golang:1.19 AS build", "", {}, pull_error);
  CHECK(literal.find("\"golang:1.19\"") != std::string::npos);
  CHECK(literal.find("FROM line") != std::string::npos);
  // Not a FROM step: no advice about base images.
  CHECK(base_image_error("Step 3/5 : RUN npm ci", dockerfile, {}, "exit code 1").empty());
}
