#pragma once
// A chat with an OpenAI-compatible endpoint, in the call shape of engine::Session::generate
// (request, StreamSink, cancel flag; a GenerateResult back), so the app's engine thread drives
// a remote model exactly as it drives a local one.
//
// Why not an engine::Session subclass: a Session also promises feed() (raw logits for
// benchmarks) and reset() of a prefix cache it owns; an HTTP endpoint has neither, and a
// subclass would have to throw there. The worker holds one of the two and calls generate().
//
// Figures: tokens/s come from the stream (one content or reasoning piece is one token until
// the server's usage gives the exact count at the end; prefill time is the wait for the first
// piece, network included). Speculation comes from the server's /metrics, read before and
// after the reply (remote_spec_metrics.h); experts and residency are not available remotely
// (Stats::expertTiers stays false). The thinking mode travels as Flint's "thinking_mode" and
// as chat_template_kwargs {"thinking": bool, "thinking_mode": name}, which vLLM and SGLang pass
// to DeepSeek's chat template.
#include "app/remote/remote_client.h"
#include "engine/engine.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstddef>
#include <string>

namespace flint::remote {

// The /v1/chat/completions body for `request` (stream on, usage asked for).
nlohmann::json chatCompletionBody(const engine::GenerateRequest& request, const std::string& model);

class RemoteChat {
 public:
  // `contextMax`: the model's context as the server's model list gave it (0: unknown).
  explicit RemoteChat(RemoteEndpoint endpoint, std::size_t contextMax = 0);

  const RemoteEndpoint& endpoint() const { return client_.endpoint(); }
  std::size_t contextMax() const { return contextMax_; }

  // Streams one reply. A cancel closes the connection and keeps the text so far. Throws
  // RemoteError (a sentence) when the endpoint cannot be reached, refuses the request, or
  // sends something that is not an OpenAI stream.
  engine::GenerateResult generate(const engine::GenerateRequest& request, engine::StreamSink& sink,
                                  const std::atomic<bool>* cancel = nullptr);

 private:
  RemoteClient client_;
  std::size_t contextMax_;
};

}  // namespace flint::remote
