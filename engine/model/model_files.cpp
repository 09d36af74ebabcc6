#include "engine/model/model_files.h"

#include "engine/logging/log.h"
#include "engine/model/checkpoint_validator.h"
#include "engine/model/model_error.h"

namespace flint::engine {

ModelFiles openModelFiles(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) throw ModelError(dir.string() + " is not a folder");
  if (!std::filesystem::exists(dir / "config.json"))
    throw ModelError("no config.json in " + dir.string());
  ModelFiles files{dir, loadModelConfig(dir / "config.json"), TensorStore::open(dir)};
  std::vector<std::string> names;
  names.reserve(files.weights.tensors().size());
  for (const TensorView& t : files.weights.tensors()) names.push_back(t.name());
  files.config.nDraftStages = countDraftStages(names);
  validateCheckpoint(files.config, files.weights);
  log::logger("engine")->info(
      "opened {}: {} tensors in {} shard(s), {} layers, {} drafter stage(s)", dir.string(),
      names.size(), files.weights.shardCount(), files.config.numHiddenLayers,
      files.config.nDraftStages);
  return files;
}

}  // namespace flint::engine
