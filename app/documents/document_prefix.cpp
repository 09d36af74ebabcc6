#include "app/documents/document_prefix.h"

#include "engine/tokenizer/prompt_encoder.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace flint::documents {
namespace {

// Shorter prefixes prefill in milliseconds; a file for them costs more than it saves.
constexpr std::size_t kMinimumPrefix = 64;

}  // namespace

engine::Stats PrefixReuse::counted(engine::Stats stats) const {
  const std::size_t moved = std::min(prefilledTokens, stats.reusedTokens);
  stats.promptTokens += moved;
  stats.reusedTokens -= moved;
  stats.prefillSeconds += prefillSeconds;
  return stats;
}

PrefixReuse readyDocumentPrefix(const engine::Engine& engine, engine::Session& session,
                                PrefixCache& cache, const engine::GenerateRequest& request,
                                std::string_view question, engine::StreamSink* sink,
                                const std::atomic<bool>* cancel) {
  PrefixReuse reuse;
  if (request.messages.empty()) return reuse;
  const engine::PromptEncoder encoder(engine.tokenizer());
  const std::vector<engine::TokenId> ids = encoder.encode(request.messages, request.mode).ids;
  // What the session holds of this prompt already (a follow-up in the same conversation).
  const auto heldOf = [&] {
    const auto cached = session.cachedIds();
    return std::size_t(std::mismatch(cached.begin(), cached.end(), ids.begin(), ids.end()).first -
                       cached.begin());
  };
  if (auto restored = cache.restore(session, ids, heldOf())) {
    reuse.restoredTokens = *restored;
    return reuse;
  }

  // The documents' part: where the prompt's ids part from those of the same prompt with another
  // question. Found on ids, not text, so a BPE merge across the boundary cannot mislead it.
  std::vector<engine::ChatMessage> other = request.messages;
  std::string& text = other.back().content;
  if (question.empty() || !text.ends_with(question)) return reuse;
  text.resize(text.size() - question.size());
  text += question.front() == '#' ? "?" : "#";
  const std::vector<engine::TokenId> otherIds = encoder.encode(other, request.mode).ids;
  const auto parted = std::mismatch(ids.begin(), ids.end(), otherIds.begin(), otherIds.end());
  const auto prefix = std::size_t(parted.first - ids.begin());
  if (prefix < kMinimumPrefix || prefix >= ids.size()) return reuse;

  // Keep what the session already holds of it; start over when it holds something else.
  const std::size_t held = heldOf();
  if (held >= prefix) return reuse;
  std::size_t start = held;
  if (held < session.cachedIds().size()) {
    session.reset();
    start = 0;
  }
  const std::span<const engine::TokenId> rest(ids.data() + start, prefix - start);
  const auto began = std::chrono::steady_clock::now();
  const std::size_t done = session.prefill(rest, sink, cancel);
  reuse.prefillSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  reuse.prefilledTokens = done;
  if (done < rest.size()) {
    reuse.cancelled = true;
    return reuse;
  }
  cache.store(session);
  return reuse;
}

}  // namespace flint::documents
