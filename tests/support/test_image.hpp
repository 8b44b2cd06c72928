#pragma once
// Helpers for tests that need real containers: the fixture image (the static test server in a
// FROM-scratch image) and a janitor that removes what a test run created, even when it fails.
//
//   svl::docker::Client client;
//   svl::test::ContainerJanitor janitor;                       // removes this run's containers at scope exit
//   const std::string image = svl::test::ensure_test_server_image(client);
//   svl::docker::ContainerSpec spec;
//   spec.image = image;
//   spec.labels = svl::test::test_labels();                   // {"svl.test": <run id>}
//   spec.publish_port = 8080;                                  // the server listens on $PORT (8080)
#include <cstddef>
#include <string>

#include "orchestrator/docker/client.hpp"

namespace svl::test {

// Label key carried by everything a test creates.
inline constexpr const char* test_label = "svl.test";

// Identifies this test process: "<pid>-<random hex>", or $SVL_TEST_RUN_ID when set.
const std::string& test_run_id();

// {"svl.test": test_run_id()}; add svl.managed=true etc. yourself where the test needs them.
docker::Labels test_labels();

// Path of the static svl_test_server binary this build produced.
std::string test_server_binary();

// Builds `svl-test-server:<content hash>` once (cached by tag across runs; labelled svl.test=fixture)
// through Client::build_image and returns the tag. Throws std::runtime_error with Docker's message.
std::string ensure_test_server_image(docker::Client& client);

// On destruction (or remove_all()) force-removes every container labelled svl.test=<run id>.
// Uses its own Client, so it works whatever state the test's client is in.
class ContainerJanitor {
public:
  explicit ContainerJanitor(docker::ClientOptions options = {});
  ~ContainerJanitor();
  ContainerJanitor(const ContainerJanitor&) = delete;
  ContainerJanitor& operator=(const ContainerJanitor&) = delete;

  // Returns how many were removed.
  std::size_t remove_all();

private:
  docker::Client client_;
};

// Removes containers labelled svl.test=<run id> whose test process (the pid in the run id) is gone.
// Containers of live test processes (other engineers' runs) are left alone. Returns how many.
std::size_t remove_dead_run_leftovers(docker::Client& client);

}  // namespace svl::test
