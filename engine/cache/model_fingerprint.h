#pragma once
// What identifies a model's weights for saved session state (session_file.h): a hash of
// config.json, of every shard's safetensors header and size, and of the first and last 64 KiB
// of each shard's data. Cheap (a few reads per shard, never the whole checkpoint); a re-trained
// checkpoint with the same shapes still changes the sampled bytes.
#include "engine/model/model_files.h"

#include <cstdint>

namespace flint::engine {

// Throws ModelError when a file cannot be read.
std::uint64_t modelFingerprint(const ModelFiles& files);

}  // namespace flint::engine
