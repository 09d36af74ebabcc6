#include "app/remote/sse_parser.h"

namespace flint::remote {

void SseParser::feed(std::string_view bytes) {
  for (const char c : bytes) {
    if (afterCr_ && c == '\n') {
      afterCr_ = false;
      continue;
    }
    afterCr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      line(pending_);
      pending_.clear();
    } else {
      pending_ += c;
    }
  }
}

void SseParser::finish() {
  if (!pending_.empty()) line(pending_);
  pending_.clear();
  dispatch();
}

// Only "data" matters here; "event", "id" and "retry" fields are ignored, as are comments.
void SseParser::line(std::string_view text) {
  if (text.empty()) {
    dispatch();
    return;
  }
  if (text.front() == ':') return;
  const auto colon = text.find(':');
  if (text.substr(0, colon) != "data") return;
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (hasData_) data_ += '\n';
  data_ += value;
  hasData_ = true;
}

void SseParser::dispatch() {
  if (!hasData_) return;
  hasData_ = false;
  const std::string data = std::move(data_);
  data_.clear();
  onData_(data);
}

}  // namespace flint::remote
