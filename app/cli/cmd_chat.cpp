// flint-cli chat: one answer with --prompt, or a conversation read line by line from
// standard input. Thinking streams under "Thinking:", the answer under "Answer:", and the
// prompt and decode speeds close each reply. Ctrl-C stops the reply (the text so far stays);
// a second Ctrl-C quits.
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <ostream>

namespace flint::cli {
namespace {

std::atomic<bool> gCancel{false};
std::atomic<int> gInterrupts{0};

extern "C" void onInterrupt(int) {
  if (gInterrupts.fetch_add(1) >= 1) std::_Exit(130);
  gCancel.store(true);
}

class TerminalSink final : public engine::StreamSink {
 public:
  explicit TerminalSink(std::ostream& out) : out_(out) {}
  void onThinking(std::string_view text) override {
    if (section_ != Section::Thinking) {
      out_ << "Thinking: ";
      section_ = Section::Thinking;
    }
    out_ << text << std::flush;
  }
  void onAnswer(std::string_view text) override {
    if (section_ != Section::Answer) {
      out_ << (section_ == Section::Thinking ? "\n\nAnswer: " : "Answer: ");
      section_ = Section::Answer;
    }
    out_ << text << std::flush;
  }
  void onStats(const engine::Stats&) override {}

 private:
  enum class Section { None, Thinking, Answer };
  std::ostream& out_;
  Section section_ = Section::None;
};

void printStats(const engine::GenerateResult& r, std::ostream& out) {
  char line[256];
  const char* why = r.reason == engine::FinishReason::kCancelled   ? " (stopped)"
                    : r.reason == engine::FinishReason::kMaxTokens ? " (token limit)"
                                                                   : "";
  std::snprintf(line, sizeof line, "\n\n[prompt %zu tokens at %.1f tok/s; decode %zu tokens at %.1f tok/s%s]\n",
                r.stats.promptTokens, r.stats.prefillTokensPerSecond(), r.stats.generatedTokens,
                r.stats.decodeTokensPerSecond(), why);
  out << line;
}

}  // namespace

int runChat(const ParsedArgs& args, CommandContext& ctx) {
  engine::GenerateRequest request;
  const std::string modeName = args.valueOr("mode", "non-think");
  const auto mode = engine::parseThinkingMode(modeName);
  if (!mode) throw UsageError("--mode must be non-think, high or max, not '" + modeName + "'");
  request.mode = *mode;
  request.sampling = sampling(args);
  if (auto n = args.integer("max-tokens")) {
    if (*n < 1) throw UsageError("--max-tokens must be 1 or more");
    request.maxTokens = int(*n);
  }
  if (auto system = args.value("system")) request.messages.push_back({engine::ChatRole::kSystem, *system, ""});

  auto engine = loadEngine(args);
  auto session = engine->newSession();
  std::signal(SIGINT, onInterrupt);

  auto reply = [&](const std::string& text) {
    request.messages.push_back({engine::ChatRole::kUser, text, ""});
    gCancel.store(false);
    gInterrupts.store(0);
    TerminalSink turnSink(ctx.out);
    const engine::GenerateResult r = session->generate(request, turnSink, &gCancel);
    request.messages.push_back({engine::ChatRole::kAssistant, r.answer, r.thinking});
    printStats(r, ctx.out);
  };

  if (const auto prompt = args.value("prompt")) {
    reply(*prompt);
    return 0;
  }
  ctx.out << "Chatting with " << modelDir(args).filename().string()
          << ". Type a message and press Enter; /reset starts over; Ctrl-D quits.\n";
  std::string line;
  while (ctx.out << "\n> " << std::flush, std::getline(std::cin, line)) {
    if (line == "/reset") {
      request.messages.erase(std::remove_if(request.messages.begin(), request.messages.end(),
                                            [](const auto& m) { return m.role != engine::ChatRole::kSystem; }),
                             request.messages.end());
      session->reset();
      ctx.out << "(a new conversation)\n";
      continue;
    }
    if (line.empty()) continue;
    reply(line);
  }
  ctx.out << "\n";
  return 0;
}

}  // namespace flint::cli
