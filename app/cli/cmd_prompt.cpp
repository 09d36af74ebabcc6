// flint-cli prompt: the exact DeepSeek-V4 prompt Flint would send for a conversation, as its
// text bytes (no newline added; no model needed) or, with --json, as text and the ids of the
// model's tokenizer.
#include "app/cli/cli_app.h"
#include "engine/tokenizer/prompt_encoder.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <ostream>

namespace flint::cli {
namespace {

engine::ChatRole parseRole(const std::string& role, std::size_t index) {
  if (role == "system") return engine::ChatRole::kSystem;
  if (role == "user") return engine::ChatRole::kUser;
  if (role == "assistant") return engine::ChatRole::kAssistant;
  throw CommandError("message " + std::to_string(index) + " has the role '" + role +
                     "'; flint-cli prompt knows system, user and assistant");
}

// F.json: [{"role": ..., "content": ..., "reasoning_content": ...}, ...] as the OpenAI API has it.
std::vector<engine::ChatMessage> readMessages(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CommandError("cannot read " + path);
  nlohmann::json list;
  try {
    list = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw CommandError(path + " is not valid JSON");
  }
  if (!list.is_array()) throw CommandError(path + " is not a list of messages");
  std::vector<engine::ChatMessage> messages;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& m = list[i];
    auto text = [&](const char* key) {
      if (!m.is_object()) throw CommandError("message " + std::to_string(i) + " is not an object");
      const auto it = m.find(key);
      if (it == m.end() || it->is_null()) return std::string();
      if (!it->is_string())
        throw CommandError("message " + std::to_string(i) + " has a non-string \"" + key + "\"");
      return it->get<std::string>();
    };
    messages.push_back({parseRole(text("role"), i), text("content"), text("reasoning_content")});
  }
  return messages;
}

std::vector<engine::ChatMessage> messagesFromArgs(const ParsedArgs& args) {
  const auto user = args.value("user");
  const auto file = args.value("messages");
  if (user.has_value() == file.has_value())
    throw UsageError("flint-cli prompt: give either --user or --messages");
  if (file) {
    if (args.has("system"))
      throw UsageError("flint-cli prompt: --system goes with --user; put it in the messages file");
    return readMessages(*file);
  }
  std::vector<engine::ChatMessage> messages;
  if (const auto system = args.value("system"))
    messages.push_back({engine::ChatRole::kSystem, *system, {}});
  messages.push_back({engine::ChatRole::kUser, *user, {}});
  return messages;
}

}  // namespace

int runPrompt(const ParsedArgs& args, CommandContext& ctx) {
  const std::string modeName = args.valueOr("mode", "");
  const std::optional<engine::ThinkingMode> mode = engine::parseThinkingMode(modeName);
  if (!mode)
    throw UsageError("flint-cli prompt: --mode must be non-think, high or max, not '" + modeName +
                     "'");
  const std::vector<engine::ChatMessage> messages = messagesFromArgs(args);
  // The text needs no vocabulary; ids (--json) and a named --model use the model's tokenizer,
  // which also checks that it has every control token.
  if (!args.has("json") && !args.has("model")) {
    ctx.out << engine::PromptEncoder().encode(messages, *mode).text;
    return 0;
  }
  const engine::Tokenizer tokenizer = loadModelTokenizer(args);
  const engine::EncodedPrompt prompt = engine::PromptEncoder(tokenizer).encode(messages, *mode);
  if (args.has("json"))
    ctx.out << nlohmann::json{{"mode", modeName}, {"text", prompt.text}, {"ids", prompt.ids}}.dump()
            << "\n";
  else
    ctx.out << prompt.text;
  return 0;
}

}  // namespace flint::cli
