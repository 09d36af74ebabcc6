#pragma once
// Follow-up questions over the same documents start at once: before generate(), the session is
// restored from the prefix cache to the longest saved start of the prompt, or, on a miss, the
// documents' part of the prompt (everything before the question) is prefilled and saved.
// Generate() then reuses what the session holds and reads only the question.
#include "app/documents/prefix_cache.h"
#include "engine/engine.h"

#include <atomic>
#include <cstddef>

namespace flint::documents {

struct PrefixReuse {
  std::size_t restoredTokens = 0;   // from the cache: the prefill skipped
  std::size_t prefilledTokens = 0;  // read now and saved for the next question
  double prefillSeconds = 0;        // how long that took
  bool cancelled = false;           // stopped during the prefill; nothing was saved

  // The reply's figures with this prefill in them: generate() sees those tokens as reused.
  engine::Stats counted(engine::Stats stats) const;
};

// `request.messages` ends with the user turn whose text ends with `question` (as
// buildDocumentPrompt writes it). Progress of a prefill goes to `sink`; `cancel` stops it.
PrefixReuse readyDocumentPrefix(const engine::Engine& engine, engine::Session& session,
                                PrefixCache& cache, const engine::GenerateRequest& request,
                                std::string_view question, engine::StreamSink* sink = nullptr,
                                const std::atomic<bool>* cancel = nullptr);

}  // namespace flint::documents
