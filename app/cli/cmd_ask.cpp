// flint-cli ask: a question about one or more files. The files are imported and chunked into
// a store that lives only for this run; the answer streams after a line that says whether the
// documents went in whole or, when they do not fit the context, which retrieved passages did.
// Ctrl-C stops the answer (the text so far stays).
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"
#include "app/documents/document_ask.h"
#include "app/documents/document_prefix.h"
#include "app/paths.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ostream>

namespace flint::cli {
namespace {

std::atomic<bool> gCancel{false};
// Saved document prefixes beyond this are evicted, least recently used first.
constexpr std::uint64_t kPrefixCacheBytes = std::uint64_t(4) << 30;

extern "C" void onAskInterrupt(int) {
  gCancel.store(true);
}

class AnswerSink final : public engine::StreamSink {
 public:
  explicit AnswerSink(std::ostream& out) : out_(out) {}
  void onThinking(std::string_view text) override { write("Thinking: ", text); }
  void onAnswer(std::string_view text) override { write("Answer: ", text); }
  void onStats(const engine::Stats&) override {}

 private:
  void write(std::string_view heading, std::string_view text) {
    if (heading != heading_) {
      out_ << (heading_.empty() ? "" : "\n\n") << heading;
      heading_ = heading;
    }
    out_ << text << std::flush;
  }
  std::ostream& out_;
  std::string_view heading_;
};

void printPlan(const documents::DocumentAskPlan& plan, std::ostream& out) {
  for (const auto& d : plan.documents) {
    out << "Document: " << d.record.name << " (" << documents::mimeType(d.imported.format);
    if (d.imported.pages > 0) out << ", " << d.imported.pages << " page(s)";
    out << ", " << d.record.tokenCount << " tokens, " << d.chunks.size() << " passage(s))\n";
    for (const auto& notice : d.imported.notices) out << "Note: " << notice << "\n";
  }
  const documents::DocumentPrompt& p = plan.prompt;
  const documents::Budget& b = p.budget;
  if (!p.retrieval) {
    out << "Mode: whole documents (" << b.documentTokens << " tokens; the prompt with "
        << b.reserveTokens << " kept for the answer takes " << b.totalWithReserve() << " of "
        << b.contextLength << ")\n";
  } else {
    out << "Mode: retrieval (the documents need " << b.documentTokens << " tokens, more than the "
        << b.roomForDocuments << " the context of " << b.contextLength << " leaves them with "
        << b.reserveTokens << " kept for the answer); ";
    if (p.passages.empty()) {
      out << "no passage matched the question's words, so none went in\n";
    } else {
      out << p.passages.size() << " passage(s) went in (" << p.insertedTokens << " tokens):";
      for (const auto& passage : p.passages)
        out << " [" << passage.title << ", passage " << passage.number << "]";
      out << "\n";
    }
  }
  if (b.shortForThinkMax)
    out << "Note: DeepSeek recommends a context of at least "
        << documents::kThinkMaxRecommendedContext << " tokens for Think Max; this one holds "
        << b.contextLength << ".\n";
}

}  // namespace

int runAsk(const ParsedArgs& args, CommandContext& ctx) {
  documents::DocumentAsk ask;
  for (const auto& file : args.values("doc")) ask.files.emplace_back(file);
  if (ask.files.empty()) throw UsageError("ask needs at least one --doc FILE");
  const auto prompt = args.value("prompt");
  if (!prompt || prompt->empty()) throw UsageError("ask needs a question: --prompt Q");
  ask.question = *prompt;
  const std::string modeName = args.valueOr("mode", "non-think");
  const auto mode = engine::parseThinkingMode(modeName);
  if (!mode) throw UsageError("--mode must be non-think, high or max, not '" + modeName + "'");
  ask.request.mode = *mode;
  ask.request.sampling = sampling(args);
  if (auto n = args.integer("max-tokens")) {
    if (*n < 1) throw UsageError("--max-tokens must be 1 or more");
    ask.request.maxTokens = int(*n);
  }
  if (auto n = args.integer("context")) {
    if (*n < 1) throw UsageError("--context must be 1 or more");
    ask.contextLength = std::size_t(*n);
  }
  const std::string spec = args.valueOr("spec", "on");
  if (spec != "on" && spec != "off")
    throw UsageError("--spec must be on or off, not '" + spec + "'");
  if (spec == "off") ask.request.maxDrafts = 0;

  auto engine = loadEngine(args);
  // A file that cannot be read ends here with its DocumentError's sentence (exit status 1).
  const documents::DocumentAskPlan plan = documents::planDocumentAsk(*engine, ask);
  printPlan(plan, ctx.out);

  gCancel.store(false);
  std::signal(SIGINT, onAskInterrupt);
  AnswerSink sink(ctx.out);
  auto session = engine->newSession();
  documents::PrefixReuse reuse;
  if (!args.has("no-cache")) {
    // A follow-up over the same documents, in this run or a later one, skips their prefill.
    documents::PrefixCache cache(app::dataDir() / "prefix-cache", kPrefixCacheBytes, *engine);
    reuse = documents::readyDocumentPrefix(*engine, *session, cache, plan.request, ask.question,
                                           nullptr, &gCancel);
    if (reuse.restoredTokens)
      ctx.out << "Prefix: " << reuse.restoredTokens << " tokens resumed from the cache\n";
    else if (reuse.prefilledTokens)
      ctx.out << "Prefix: " << reuse.prefilledTokens
              << " tokens read and saved, so a follow-up starts at once\n";
  }
  engine::GenerateResult r = session->generate(plan.request, sink, &gCancel);
  r.stats = reuse.counted(r.stats);
  char line[160];
  std::snprintf(line, sizeof line, "\n\n[prompt %zu tokens at %.1f tok/s; decode %zu tokens%s]\n",
                r.stats.promptTokens, r.stats.prefillTokensPerSecond(), r.stats.generatedTokens,
                r.reason == engine::FinishReason::kCancelled   ? " (stopped)"
                : r.reason == engine::FinishReason::kMaxTokens ? " (token limit)"
                                                               : "");
  ctx.out << line;
  return 0;
}

}  // namespace flint::cli
