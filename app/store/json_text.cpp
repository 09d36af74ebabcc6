#include "app/store/json_text.h"

namespace flint::store {

std::string jsonToText(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json jsonFromText(std::string_view text, const nlohmann::json& fallback) {
  auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? fallback : value;
}

}  // namespace flint::store
