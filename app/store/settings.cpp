#include "app/store/settings.h"

#include "app/store/database.h"
#include "app/store/json_text.h"
#include "app/store/store_error.h"
#include "engine/logging/log.h"

#include <array>

namespace flint::store {
namespace {

using nlohmann::json;

constexpr const char* kKeyThinkingMode = "thinking_mode";
constexpr const char* kKeySampling = "sampling";
constexpr const char* kKeySystemPrompt = "system_prompt";
constexpr const char* kKeySpeculation = "speculation";
constexpr const char* kKeyMaxDrafts = "max_drafts";
constexpr const char* kKeyMemory = "memory";
constexpr const char* kKeyTheme = "theme";
constexpr const char* kKeyCompute = "compute";
constexpr std::array<const char*, 8> kKnownKeys = {
    kKeyThinkingMode, kKeySampling, kKeySystemPrompt, kKeySpeculation,
    kKeyMaxDrafts,    kKeyMemory,   kKeyTheme,        kKeyCompute};

constexpr const char* kSelectGlobal = "SELECT key, value FROM settings";
constexpr const char* kDeleteGlobal = "DELETE FROM settings WHERE key = ?1";
constexpr const char* kInsertGlobal = "INSERT INTO settings (key, value) VALUES (?1, ?2)";
constexpr const char* kSelectConversation =
    "SELECT key, value FROM conversation_settings WHERE conversation_id = ?1";
constexpr const char* kDeleteConversation =
    "DELETE FROM conversation_settings WHERE key = ?1 AND conversation_id = ?3";
constexpr const char* kInsertConversation =
    "INSERT INTO conversation_settings (key, value, conversation_id) VALUES (?1, ?2, ?3)";

json samplingToJson(const Sampling& s) {
  json j = {{"temperature", s.temperature},
            {"top_p", s.topP},
            {"top_k", s.topK},
            {"max_tokens", s.maxTokens}};
  if (s.seed) j["seed"] = *s.seed;
  return j;
}

Sampling samplingFromJson(const json& j) {
  Sampling s;
  s.temperature = j.value("temperature", s.temperature);
  s.topP = j.value("top_p", s.topP);
  s.topK = j.value("top_k", s.topK);
  s.maxTokens = j.value("max_tokens", s.maxTokens);
  if (j.contains("seed")) s.seed = j.at("seed").get<std::uint64_t>();
  return s;
}

json memoryToJson(const MemoryBudgets& m) {
  json j = json::object();
  if (m.gpuBytes) j["gpu_bytes"] = *m.gpuBytes;
  if (m.hostBytes) j["host_bytes"] = *m.hostBytes;
  return j;
}

MemoryBudgets memoryFromJson(const json& j) {
  MemoryBudgets m;
  if (j.contains("gpu_bytes")) m.gpuBytes = j.at("gpu_bytes").get<std::uint64_t>();
  if (j.contains("host_bytes")) m.hostBytes = j.at("host_bytes").get<std::uint64_t>();
  return m;
}

void apply(Settings& settings, const SettingsOverrides& layer) {
  if (layer.thinkingMode) settings.thinkingMode = *layer.thinkingMode;
  if (layer.sampling) settings.sampling = *layer.sampling;
  if (layer.systemPrompt) settings.systemPrompt = *layer.systemPrompt;
  if (layer.speculation) settings.speculation = *layer.speculation;
  if (layer.maxDrafts) settings.maxDrafts = *layer.maxDrafts;
  if (layer.memory) settings.memory = *layer.memory;
  if (layer.theme) settings.theme = *layer.theme;
  if (layer.compute) settings.compute = *layer.compute;
}

// Reads one layer's rows. A row that no longer parses is skipped with a warning: one bad
// value should not cost the user every other setting.
SettingsOverrides readLayer(Statement& select) {
  json layer = json::object();
  while (select.step()) layer[select.text(0)] = jsonFromText(select.text(1), json());
  try {
    return settingsFromJson(layer);
  } catch (const StoreError& e) {
    flint::log::logger("store")->warn("ignoring stored settings: {}", e.what());
    return {};
  }
}

// Replaces the known keys of one layer; keys other parts of Flint keep there survive. The
// conversation's id, when there is one, is parameter ?3 of both statements.
void writeLayer(Database& db, const SettingsOverrides& overrides, const char* deleteSql,
                const char* insertSql, std::optional<std::int64_t> conversationId) {
  Transaction transaction(db);
  for (const char* key : kKnownKeys) {
    auto erase = db.prepare(deleteSql);
    erase.bind(1, key);
    if (conversationId) erase.bind(3, *conversationId);
    erase.run();
  }
  const nlohmann::json values = settingsToJson(overrides);
  for (const auto& [key, value] : values.items()) {
    auto insert = db.prepare(insertSql);
    insert.bind(1, key).bind(2, jsonToText(value));
    if (conversationId) insert.bind(3, *conversationId);
    insert.run();
  }
  transaction.commit();
}

}  // namespace

std::string_view toString(Theme theme) {
  return theme == Theme::Dark ? "dark" : "light";
}

std::optional<Theme> parseTheme(std::string_view word) {
  if (word == "light") return Theme::Light;
  if (word == "dark") return Theme::Dark;
  return std::nullopt;
}

std::string_view toString(ComputeChoice choice) {
  return choice == ComputeChoice::Gpu ? "gpu" : "cpu";
}

std::optional<ComputeChoice> parseComputeChoice(std::string_view word) {
  if (word == "cpu") return ComputeChoice::Cpu;
  if (word == "gpu") return ComputeChoice::Gpu;
  return std::nullopt;
}

json settingsToJson(const SettingsOverrides& o) {
  json j = json::object();
  if (o.thinkingMode) j[kKeyThinkingMode] = toString(*o.thinkingMode);
  if (o.sampling) j[kKeySampling] = samplingToJson(*o.sampling);
  if (o.systemPrompt) j[kKeySystemPrompt] = *o.systemPrompt;
  if (o.speculation) j[kKeySpeculation] = *o.speculation;
  if (o.maxDrafts) j[kKeyMaxDrafts] = *o.maxDrafts;
  if (o.memory) j[kKeyMemory] = memoryToJson(*o.memory);
  if (o.theme) j[kKeyTheme] = toString(*o.theme);
  if (o.compute) j[kKeyCompute] = toString(*o.compute);
  return j;
}

SettingsOverrides settingsFromJson(const json& j) {
  SettingsOverrides o;
  if (!j.is_object()) throw StoreError(StoreErrorKind::InvalidInput, "settings must be an object");
  try {
    if (j.contains(kKeyThinkingMode)) {
      const auto word = j.at(kKeyThinkingMode).get<std::string>();
      o.thinkingMode = parseThinkingMode(word);
      if (!o.thinkingMode)
        throw StoreError(StoreErrorKind::InvalidInput, "unknown thinking mode '" + word + "'");
    }
    if (j.contains(kKeySampling)) o.sampling = samplingFromJson(j.at(kKeySampling));
    if (j.contains(kKeySystemPrompt)) o.systemPrompt = j.at(kKeySystemPrompt).get<std::string>();
    if (j.contains(kKeySpeculation)) o.speculation = j.at(kKeySpeculation).get<bool>();
    if (j.contains(kKeyMaxDrafts)) o.maxDrafts = j.at(kKeyMaxDrafts).get<int>();
    if (j.contains(kKeyMemory)) o.memory = memoryFromJson(j.at(kKeyMemory));
    if (j.contains(kKeyTheme)) {
      const auto word = j.at(kKeyTheme).get<std::string>();
      o.theme = parseTheme(word);
      if (!o.theme) throw StoreError(StoreErrorKind::InvalidInput, "unknown theme '" + word + "'");
    }
    if (j.contains(kKeyCompute)) {
      const auto word = j.at(kKeyCompute).get<std::string>();
      o.compute = parseComputeChoice(word);
      if (!o.compute)
        throw StoreError(StoreErrorKind::InvalidInput, "unknown compute device '" + word + "'");
    }
  } catch (const json::exception& e) {
    throw StoreError(StoreErrorKind::InvalidInput, std::string("bad settings: ") + e.what());
  }
  return o;
}

SettingsOverrides globalSettings(Database& db) {
  auto select = db.prepare(kSelectGlobal);
  return readLayer(select);
}

void saveGlobalSettings(Database& db, const SettingsOverrides& overrides) {
  writeLayer(db, overrides, kDeleteGlobal, kInsertGlobal, std::nullopt);
}

SettingsOverrides conversationSettings(Database& db, std::int64_t conversationId) {
  auto select = db.prepare(kSelectConversation);
  select.bind(1, conversationId);
  return readLayer(select);
}

void saveConversationSettings(Database& db, std::int64_t conversationId,
                              const SettingsOverrides& overrides) {
  writeLayer(db, overrides, kDeleteConversation, kInsertConversation, conversationId);
}

Settings effectiveSettings(Database& db, std::optional<std::int64_t> conversationId) {
  Settings settings;
  apply(settings, globalSettings(db));
  if (conversationId) apply(settings, conversationSettings(db, *conversationId));
  return settings;
}

}  // namespace flint::store
