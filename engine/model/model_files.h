#pragma once
// A model folder opened and checked: config.json parsed, the safetensors headers read, the
// drafter stages counted from the weight names, and every tensor validated against the config.
// No tensor data has been touched yet.
#include "engine/model/model_config.h"
#include "engine/model/tensor_store.h"

#include <filesystem>

namespace flint::engine {

struct ModelFiles {
  std::filesystem::path dir;
  ModelConfig config;
  TensorStore weights;
};

// Throws ModelError with a message that names the file, tensor or field at fault.
ModelFiles openModelFiles(const std::filesystem::path& dir);

}  // namespace flint::engine
