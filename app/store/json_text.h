#pragma once
// JSON <-> TEXT columns. Dumping never throws on invalid UTF-8 inside a string (it becomes
// U+FFFD); a column that does not parse reads back as the fallback instead of failing a list.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace flint::store {

std::string jsonToText(const nlohmann::json& value, int indent = -1);
nlohmann::json jsonFromText(std::string_view text,
                            const nlohmann::json& fallback = nlohmann::json::object());

}  // namespace flint::store
