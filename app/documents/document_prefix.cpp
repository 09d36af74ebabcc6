#include "app/documents/document_prefix.h"

#include "engine/tokenizer/prompt_encoder.h"

#include <algorithm>
#include <vector>

namespace flint::documents {
namespace {

// Shorter prefixes prefill in milliseconds; a file for them costs more than it saves.
constexpr std::size_t kMinimumPrefix = 64;

}  // namespace

PrefixReuse readyDocumentPrefix(const engine::Engine& engine, engine::Session& session,
                                PrefixCache& cache, const engine::GenerateRequest& request,
                                std::string_view question, engine::StreamSink* sink,
                                const std::atomic<bool>* cancel) {
  PrefixReuse reuse;
  if (request.messages.empty()) return reuse;
  const engine::PromptEncoder encoder(engine.tokenizer());
  const std::vector<engine::TokenId> ids = encoder.encode(request.messages, request.mode).ids;
  if (auto restored = cache.restore(session, ids)) {
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
  const auto held = session.cachedIds();
  std::size_t start = held.size();
  if (held.size() > prefix || !std::equal(held.begin(), held.end(), ids.begin())) {
    session.reset();
    start = 0;
  }
  const std::span<const engine::TokenId> rest(ids.data() + start, prefix - start);
  const std::size_t done = session.prefill(rest, sink, cancel);
  if (done < rest.size()) {
    reuse.cancelled = true;
    return reuse;
  }
  cache.store(session);
  reuse.prefilledTokens = prefix;
  return reuse;
}

}  // namespace flint::documents
