#pragma once
// One setup run, the same for `flint-cli setup` and the app's first start: verify the folder,
// then measure the tiers' bandwidth (RAM by reading, the disk by an uncached read of the largest
// shard, the GPU from its data sheet) and plan. Blocking (a second or two, more with a checksum):
// the app calls it off the GUI thread.
#include "app/setup/model_verifier.h"
#include "app/setup/workstation_plan.h"
#include "app/system/system_report.h"

#include <optional>

namespace flint::app {

struct SetupOutcome {
  ModelVerification verification;
  std::optional<WorkstationPlan> plan;  // when the folder passed
};

SetupOutcome setUpWorkstation(const std::filesystem::path& modelDir, const SystemReport& machine,
                              const VerifyOptions& verify = {});

// The user chose to chat with flint-tiny for now: remember it, so the app stops asking.
void markSetupSkipped(const std::filesystem::path& file);
// True once a plan was saved or setup was skipped.
bool setupDone(const std::filesystem::path& file);

}  // namespace flint::app
