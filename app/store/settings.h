#pragma once
// Settings in two layers over built-in defaults: global (the preferences page) and
// per-conversation overrides. Each layer stores only what the user set, so changing a global
// value reaches every conversation that did not override it.
#include "app/store/records.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flint::store {

class Database;

struct Sampling {
  double temperature = 1.0;
  double topP = 1.0;
  int topK = 0;                       // 0: off
  std::optional<std::uint64_t> seed;  // none: a fresh seed per reply
  int maxTokens = 0;                  // 0: until the context is full
  bool operator==(const Sampling&) const = default;
};

struct MemoryBudgets {
  // None: sized at load from what the machine has.
  std::optional<std::uint64_t> gpuBytes;
  std::optional<std::uint64_t> hostBytes;
  bool operator==(const MemoryBudgets&) const = default;
};

enum class Theme { Light, Dark };
std::string_view toString(Theme theme);  // "light", "dark"
std::optional<Theme> parseTheme(std::string_view word);

// Where the model computes: the CPU, or the GPU (opt-in; engine::ComputeDevice::Cuda).
enum class ComputeChoice { Cpu, Gpu };
std::string_view toString(ComputeChoice choice);  // "cpu", "gpu"
std::optional<ComputeChoice> parseComputeChoice(std::string_view word);

struct Settings {
  ThinkingMode thinkingMode = ThinkingMode::NonThink;
  Sampling sampling;
  std::string systemPrompt;
  bool speculation = true;  // DSpark drafting
  int maxDrafts = 5;        // drafts per verify pass when speculating
  MemoryBudgets memory;
  Theme theme = Theme::Light;
  ComputeChoice compute = ComputeChoice::Cpu;
  bool operator==(const Settings&) const = default;
};

// One layer: each field set here replaces the layer below.
struct SettingsOverrides {
  std::optional<ThinkingMode> thinkingMode;
  std::optional<Sampling> sampling;
  std::optional<std::string> systemPrompt;
  std::optional<bool> speculation;
  std::optional<int> maxDrafts;
  std::optional<MemoryBudgets> memory;
  std::optional<Theme> theme;
  std::optional<ComputeChoice> compute;
  bool operator==(const SettingsOverrides&) const = default;
};

SettingsOverrides globalSettings(Database& db);
// Replaces the global layer (fields left unset return to the defaults).
void saveGlobalSettings(Database& db, const SettingsOverrides& overrides);
SettingsOverrides conversationSettings(Database& db, std::int64_t conversationId);
void saveConversationSettings(Database& db, std::int64_t conversationId,
                              const SettingsOverrides& overrides);
// Defaults, then the global layer, then the conversation's (none: global only).
Settings effectiveSettings(Database& db, std::optional<std::int64_t> conversationId);

// The JSON form used in exports: only the set fields, with the keys the database uses.
nlohmann::json settingsToJson(const SettingsOverrides& overrides);
// Unknown keys are ignored; a known key with a wrong type throws StoreError InvalidInput.
SettingsOverrides settingsFromJson(const nlohmann::json& json);

}  // namespace flint::store
