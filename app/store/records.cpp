#include "app/store/records.h"

#include <array>
#include <chrono>
#include <utility>

namespace flint::store {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parseWord(const std::array<std::pair<Enum, std::string_view>, N>& names,
                              std::string_view word) {
  for (const auto& [value, name] : names)
    if (name == word) return value;
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view wordOf(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return {};
}

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoleNames{{
    {Role::System, "system"},
    {Role::User, "user"},
    {Role::Assistant, "assistant"},
}};
constexpr std::array<std::pair<ThinkingMode, std::string_view>, 3> kModeNames{{
    {ThinkingMode::NonThink, "non-think"},
    {ThinkingMode::High, "high"},
    {ThinkingMode::Max, "max"},
}};
constexpr std::array<std::pair<MessageState, std::string_view>, 4> kStateNames{{
    {MessageState::Streaming, "streaming"},
    {MessageState::Done, "done"},
    {MessageState::Interrupted, "interrupted"},
    {MessageState::Error, "error"},
}};

}  // namespace

std::string_view toString(Role role) {
  return wordOf(kRoleNames, role);
}
std::string_view toString(ThinkingMode mode) {
  return wordOf(kModeNames, mode);
}
std::string_view toString(MessageState state) {
  return wordOf(kStateNames, state);
}
std::optional<Role> parseRole(std::string_view word) {
  return parseWord(kRoleNames, word);
}
std::optional<ThinkingMode> parseThinkingMode(std::string_view word) {
  return parseWord(kModeNames, word);
}
std::optional<MessageState> parseMessageState(std::string_view word) {
  return parseWord(kStateNames, word);
}

std::int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace flint::store
