#include "app/setup/workstation_setup.h"

#include "engine/model/model_census.h"
#include "engine/model/model_files.h"
#include "kernels/cpu/bandwidth.h"
#include "kernels/cpu/thread_pool.h"

#include <fstream>

namespace flint::app {

namespace fs = std::filesystem;

SetupOutcome setUpWorkstation(const fs::path& modelDir, const SystemReport& machine,
                              const VerifyOptions& verify) {
  SetupOutcome outcome;
  outcome.verification = verifyModelFolder(modelDir, verify);
  if (!outcome.verification.ok()) return outcome;

  const engine::ModelFiles files = engine::openModelFiles(modelDir);
  const engine::ModelCensus census = engine::takeCensus(files.config, files.weights);
  TierBandwidths bw;
  {
    kernels::ThreadPool pool(0);
    bw.host = kernels::measureReadBandwidth(pool, std::size_t(256) << 20, 3);
  }
  if (machine.gpu.usable && !machine.gpu.devices.empty()) {
    bw.gpu = knownGpuBandwidth(machine.gpu.devices.front().name).value_or(1e12);
    bw.gpuAssumed = true;
  }
  fs::path largest;
  std::uint64_t largestBytes = 0;
  for (const auto& s : outcome.verification.shards)
    if (s.actualBytes > largestBytes) largestBytes = s.actualBytes, largest = modelDir / s.name;
  if (auto disk = measureDiskRead(largest)) {
    bw.disk = *disk;
  } else {
    bw.disk = 2e9;  // a mid-range NVMe drive; the plan says it is assumed
    bw.diskAssumed = true;
  }
  outcome.plan = planWorkstation(fs::absolute(modelDir), files.config, census, machine, bw);
  return outcome;
}

void markSetupSkipped(const fs::path& file) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::trunc) << "{\"skipped\": true}\n";
}

bool setupDone(const fs::path& file) {
  std::error_code ec;
  return fs::exists(file, ec);
}

}  // namespace flint::app
