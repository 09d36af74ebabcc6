#pragma once
// Options several model commands share: the model folder, numerics, sampling, token ids.
#include "app/cli/arg_parser.h"
#include "engine/engine.h"

#include <cstddef>
#include <filesystem>
#include <vector>

namespace flint::cli {

// --model, or the bundled flint-tiny.
std::filesystem::path modelDir(const ParsedArgs& args);

// --numerics official|fp32 (default official).
engine::Numerics numerics(const ParsedArgs& args);

// --device cpu|cuda|auto (default cpu: the CUDA backbone is opt-in).
engine::ComputeDevice computeDevice(const ParsedArgs& args);

// --gpu-context N (tokens, 64K accepted), or 0 when not given: the model's limit capped at 64K.
std::size_t gpuContextTokens(const ParsedArgs& args);

// --temperature, --top-p, --top-k, --seed.
engine::SamplingParams sampling(const ParsedArgs& args);

// "0,5,9" -> ids; UsageError names the bad entry.
std::vector<engine::TokenId> parseIds(const std::string& list, const std::string& option);

// Loads the engine for --model with --numerics and --threads, mapping load errors to
// CommandError sentences.
std::unique_ptr<engine::Engine> loadEngine(const ParsedArgs& args);
// The options loadEngine() would use (numerics, threads, host expert budget...).
engine::LoadOptions loadOptions(const ParsedArgs& args);

}  // namespace flint::cli
