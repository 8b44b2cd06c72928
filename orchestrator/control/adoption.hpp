#pragma once
// Adoption: what to make of the containers the runtime lists for this instance, at start-up and
// after every events-stream reconnect. Running sandboxes and current-revision replicas are
// adopted as they are (no restart, no dropped request). A container whose slot has an operation
// in flight (a create whose id is not known yet) is left alone: its outcome will say what it
// is. Everything else of ours is a stray and is removed.
//
// Spares of the sandbox pool carry no function: one that an adoptable replica has joined (the
// replica's HostConfig.NetworkMode) is that replica's slot's sandbox; one no replica ever joined
// goes back into the pool (when the pool is on); one a replica joined before (the runtime's
// note, `Observed::claimed`) is a stray: a claimed sandbox is never handed to another function.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/control/replica_set.hpp"
#include "orchestrator/control/sandbox_pool.hpp"
#include "orchestrator/control/steps.hpp"

namespace svl::control {

// What adoption needs to know of one function.
struct AdoptionView {
  long revision = 0;
  int port = 0;
  const ReplicaSet* replicas = nullptr;
  bool removing = false;  // being removed: its containers are already on their way out
};

struct AdoptionPlan {
  struct Sandbox {
    std::string function;
    int slot = 0;
    std::string id;
    int port = 0;
    Reach reach;
  };
  struct Replica {
    std::string function;
    int slot = 0;
    std::string id;
    std::string name;
    long revision = 0;
    Phase phase = Phase::stopped;
  };
  std::vector<Sandbox> sandboxes;
  std::vector<Replica> replicas;
  std::vector<Spare> spares;  // back into the pool
  std::vector<std::string> strays;
};

// `leave`: ids already on their way (the pool's, removals in progress) or tracked by the pool.
AdoptionPlan plan_adoption(const std::vector<Observed>& listed, const std::map<std::string, AdoptionView>& functions,
                           bool pool = false, const std::set<std::string>& leave = {});

}  // namespace svl::control
