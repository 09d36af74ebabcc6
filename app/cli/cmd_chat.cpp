// flint-cli chat: one answer with --prompt, or a conversation read line by line from
// standard input. Thinking streams under "Thinking:", the answer under "Answer:", and the
// prompt and decode speeds close each reply. Ctrl-C stops the reply (the text so far stays);
// a second Ctrl-C quits. The conversation is saved in the database the GUI reads (--db
// elsewhere, --no-save not at all), streaming as it grows like the GUI's.
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"
#include "app/store/conversation_service.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
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
  TerminalSink(std::ostream& out, store::StreamingReply* saved) : out_(out), saved_(saved) {}
  void onThinking(std::string_view text) override {
    if (saved_) saved_->append({}, text);
    if (section_ != Section::Thinking) {
      out_ << "Thinking: ";
      section_ = Section::Thinking;
    }
    out_ << text << std::flush;
  }
  void onAnswer(std::string_view text) override {
    if (saved_) saved_->append(text, {});
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
  store::StreamingReply* saved_;
  Section section_ = Section::None;
};

// The first line of the first message, cut at a character boundary.
std::string titleFrom(const std::string& text) {
  std::size_t end = std::min(text.find('\n'), std::size_t(60));
  if (end >= text.size()) return text.substr(0, text.find('\n'));
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

store::ThinkingMode storedMode(engine::ThinkingMode mode) {
  switch (mode) {
    case engine::ThinkingMode::kNonThink:
      return store::ThinkingMode::NonThink;
    case engine::ThinkingMode::kHigh:
      return store::ThinkingMode::High;
    case engine::ThinkingMode::kMax:
      return store::ThinkingMode::Max;
  }
  return store::ThinkingMode::NonThink;
}

nlohmann::json specJson(const engine::SpecCounters& s) {
  nlohmann::json byPosition = nlohmann::json::array();
  for (std::size_t k = 0; k < s.triedAt.size(); ++k) byPosition.push_back(s.acceptanceAt(k));
  return {{"verify_passes", s.steps},
          {"plain_steps", s.plainSteps},
          {"draft_tokens", s.draftTokens},
          {"accepted_tokens", s.acceptedTokens},
          {"acceptance_rate", s.acceptanceRate()},
          {"mean_accepted_length", s.meanAcceptedLength()},
          {"acceptance_by_position", byPosition},
          {"draft_seconds", s.draftSeconds},
          {"verify_seconds", s.verifySeconds},
          {"plain_seconds", s.plainSeconds},
          {"experts_per_verify_pass", s.expertsPerVerify()},
          {"experts_per_plain_step", s.expertsPerPlainStep()},
          {"speedup_over_plain_steps", s.speedupOverPlain()}};
}

nlohmann::json statsJson(const engine::GenerateResult& r) {
  nlohmann::json j = {{"prompt_tokens", r.stats.promptTokens},
                      {"prefill_tokens_per_second", r.stats.prefillTokensPerSecond()},
                      {"generated_tokens", r.stats.generatedTokens},
                      {"decode_tokens_per_second", r.stats.decodeTokensPerSecond()},
                      {"context_used", r.stats.contextUsed}};
  if (r.stats.expertTiers)
    j["experts"] = {{"uses", r.stats.experts.uses()},
                    {"host_hits", r.stats.experts.hostHits},
                    {"disk_reads", r.stats.experts.diskReads},
                    {"bytes_read", r.stats.experts.bytesRead},
                    {"device_hits", r.stats.experts.deviceHits},
                    {"device_loads", r.stats.experts.deviceLoads},
                    {"device_promotions", r.stats.experts.devicePromotions},
                    {"bytes_to_device", r.stats.experts.bytesToDevice},
                    {"transfer_seconds", r.stats.experts.transferSeconds},
                    {"prefetch_guessed", r.stats.experts.prefetchGuessed},
                    {"prefetch_correct", r.stats.experts.prefetchCorrect}};
  if (r.stats.speculating) {
    j["speculation"] = specJson(r.stats.spec);
    j["speculation"]["recent"] = specJson(r.stats.spec.recent);
  }
  return j;
}

// One line of speculation figures: `what` names the span they cover.
void printSpecCounters(const char* what, const engine::SpecCounters& s, std::ostream& out) {
  char line[640];
  int n = std::snprintf(line, sizeof line,
                        "[%s: %zu verify passes and %zu plain steps, %zu drafts, %zu accepted "
                        "(%.0f%%), %.2f tokens per pass; by position:",
                        what, s.steps, s.plainSteps, s.draftTokens, s.acceptedTokens,
                        100.0 * s.acceptanceRate(), s.meanAcceptedLength());
  // Conditional acceptance: accepted at k among the drafts that reached position k.
  for (std::size_t k = 0; k < s.triedAt.size() && n > 0 && std::size_t(n) < sizeof line; ++k)
    n +=
        std::snprintf(line + n, sizeof line - std::size_t(n), " %.0f%%", 100.0 * s.acceptanceAt(k));
  if (n > 0 && std::size_t(n) < sizeof line)
    n += std::snprintf(line + n, sizeof line - std::size_t(n),
                       "; draft %.3f s, verify %.3f s, plain %.3f s; experts read per pass %.1f "
                       "(plain %.1f)",
                       s.draftSeconds, s.verifySeconds, s.plainSeconds, s.expertsPerVerify(),
                       s.expertsPerPlainStep());
  if (n > 0 && std::size_t(n) < sizeof line) {
    if (s.speedupOverPlain() > 0)
      std::snprintf(line + n, sizeof line - std::size_t(n),
                    "; %.2fx the speed of its plain steps]\n", s.speedupOverPlain());
    else
      std::snprintf(line + n, sizeof line - std::size_t(n), "; no speedup figure: %s]\n",
                    s.steps ? "no plain step ran to compare with" : "nothing was drafted");
  }
  out << line;
}

void printStats(const engine::GenerateResult& r, std::ostream& out) {
  char line[256];
  const char* why = r.reason == engine::FinishReason::kCancelled   ? " (stopped)"
                    : r.reason == engine::FinishReason::kMaxTokens ? " (token limit)"
                                                                   : "";
  std::snprintf(line, sizeof line,
                "\n\n[prompt %zu tokens at %.1f tok/s; decode %zu tokens at %.1f tok/s%s]\n",
                r.stats.promptTokens, r.stats.prefillTokensPerSecond(), r.stats.generatedTokens,
                r.stats.decodeTokensPerSecond(), why);
  out << line;
  if (r.stats.expertTiers) {
    const engine::ExpertStats& e = r.stats.experts;
    const bool device = e.deviceHits + e.deviceLoads + e.devicePromotions + e.mappedUses > 0;
    std::snprintf(line, sizeof line,
                  "[experts: %zu uses, %.0f%% from %s memory, %zu read from disk (%.1f MB in "
                  "%.3f s)",
                  e.uses(), 100.0 * e.hitRate(), device ? "device or host" : "host", e.diskReads,
                  double(e.bytesRead) / 1e6, e.readSeconds);
    out << line;
    if (device) {
      std::snprintf(line, sizeof line,
                    "; device %.0f%% of uses, %zu moved up for a batch and %zu behind decode "
                    "(%.1f MB, %.3f s on the link)",
                    100.0 * e.deviceHitRate(), e.deviceLoads, e.devicePromotions,
                    double(e.bytesToDevice) / 1e6, e.transferSeconds);
      out << line;
    }
    if (e.prefetchGuessed > 0) {
      std::snprintf(line, sizeof line, "; look-ahead guessed %.0f%% right",
                    100.0 * e.prefetchAccuracy());
      out << line;
    }
    out << "]\n";
  }
  if (r.stats.speculating) {
    printSpecCounters("speculation", r.stats.spec, out);
    constexpr std::size_t window = engine::SpecStats::kWindow;
    if (r.stats.spec.steps + r.stats.spec.plainSteps > window)
      printSpecCounters(("last " + std::to_string(window) + " steps").c_str(), r.stats.spec.recent,
                        out);
  }
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
  const std::string spec = args.valueOr("spec", "on");
  if (spec != "on" && spec != "off")
    throw UsageError("--spec must be on or off, not '" + spec + "'");
  if (auto n = args.integer("max-drafts")) {
    if (*n < 0) throw UsageError("--max-drafts must be 0 or more");
    request.maxDrafts = std::size_t(*n);
  }
  if (spec == "off") request.maxDrafts = 0;
  if (auto system = args.value("system"))
    request.messages.push_back({engine::ChatRole::kSystem, *system, ""});

  auto engine = loadEngine(args);
  if (const auto placement = engine->expertPlacement()) {
    // The measured rule, once: where a batch's expert computes when it is not on the device.
    char line[240];
    std::snprintf(line, sizeof line,
                  "[device tier: one expert takes %.1f us per token here and %.1f us to move up; "
                  "batches of %zu or more tokens compute on the device]\n",
                  placement->hostSecondsPerToken() * 1e6, placement->transferSeconds() * 1e6,
                  placement->threshold());
    ctx.err << line;
  }
  auto session = engine->newSession();
  const std::string modelName = modelDir(args).filename().string();
  std::optional<store::ConversationService> saved;
  if (!args.has("no-save")) {
    const auto db =
        args.value("db") ? std::filesystem::path(*args.value("db")) : store::defaultDatabasePath();
    saved.emplace(db);
  }
  std::int64_t conversation = 0;
  std::signal(SIGINT, onInterrupt);

  auto reply = [&](const std::string& text) {
    request.messages.push_back({engine::ChatRole::kUser, text, ""});
    gCancel.store(false);
    gInterrupts.store(0);
    std::optional<store::StreamingReply> stored;
    if (saved) {
      if (conversation == 0) conversation = saved->create(titleFrom(text), modelName);
      const std::int64_t question = saved->addUserMessage(conversation, text);
      const nlohmann::json samplingUsed = {{"temperature", request.sampling.temperature},
                                           {"top_p", request.sampling.topP},
                                           {"top_k", request.sampling.topK},
                                           {"seed", request.sampling.seed}};
      stored.emplace(saved->beginReply(conversation, question,
                                       {storedMode(request.mode), modelName, samplingUsed}));
    }
    TerminalSink turnSink(ctx.out, stored ? &*stored : nullptr);
    const engine::GenerateResult r = session->generate(request, turnSink, &gCancel);
    if (stored)
      stored->finish(r.reason == engine::FinishReason::kCancelled ? store::MessageState::Interrupted
                                                                  : store::MessageState::Done,
                     statsJson(r));
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
      request.messages.erase(
          std::remove_if(request.messages.begin(), request.messages.end(),
                         [](const auto& m) { return m.role != engine::ChatRole::kSystem; }),
          request.messages.end());
      session->reset();
      conversation = 0;
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
