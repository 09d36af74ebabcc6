#include "app/server/sse.h"

namespace flint::server {

std::string sseData(const nlohmann::json& payload) {
  // dump() escapes newlines, so one event is one data line.
  return "data: " + payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

std::string sseDone() {
  return "data: [DONE]\n\n";
}

std::string sseComment(const std::string& text) {
  return ": " + text + "\n\n";
}

}  // namespace flint::server
