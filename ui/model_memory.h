#pragma once
// A model folder's memory on this machine: its headers opened and counted, the plan for what
// stays in RAM, and the load options that follow from the plan or from the user's own budget
// for the routed experts. Reads headers only, no weights; no Qt (the engine thread uses it).
#include "app/system/memory_plan.h"
#include "engine/engine.h"
#include "engine/model/model_census.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace flint::ui {

struct ModelMemory {
  engine::ModelCensus census;
  std::uint64_t expertsPerToken = 0;
  app::MemoryPlan plan;
};

// Throws ModelError (a sentence naming the culprit) when the folder is not a V4 checkpoint.
ModelMemory planModelMemory(const std::filesystem::path& dir);

// The user's host budget for the routed experts when set, else the machine's plan; the
// backbone on `device`.
engine::LoadOptions loadOptionsFor(const ModelMemory& memory,
                                   std::optional<std::uint64_t> hostExpertBytes,
                                   engine::ComputeDevice device);

// What goes to RAM and what is read from disk, in sentences, for that budget (none: the plan),
// and what computes: the CPU, or the GPU with the weights it holds.
std::string describeMemory(const ModelMemory& memory, std::optional<std::uint64_t> hostExpertBytes,
                           engine::ComputeDevice device);

}  // namespace flint::ui
