#pragma once
// Server-sent events as OpenAI-compatible streams send them: "data: ..." lines, an empty line
// ends an event, lines starting with ":" are comments (keep-alives). The bytes arrive in
// arbitrary pieces, so a line or an event may be cut anywhere, even between "\r" and "\n".
#include <functional>
#include <string>
#include <string_view>

namespace flint::remote {

class SseParser {
 public:
  // Called once per event with its data lines joined by "\n".
  using OnData = std::function<void(std::string_view data)>;
  explicit SseParser(OnData onData) : onData_(std::move(onData)) {}

  void feed(std::string_view bytes);
  // The stream ended: an event not yet closed by an empty line is delivered.
  void finish();

 private:
  void line(std::string_view text);
  void dispatch();

  OnData onData_;
  std::string pending_;  // the line being received
  std::string data_;     // this event's data lines so far
  bool hasData_ = false;
  bool afterCr_ = false;  // the last byte ended a line with "\r"; a "\n" next belongs to it
};

}  // namespace flint::remote
