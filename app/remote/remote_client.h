#pragma once
// HTTP to an OpenAI-compatible endpoint (vLLM, SGLang, flint-cli serve, ...) through
// cpp-httplib: its model list, its Prometheus metrics, and a streamed chat completion. Every
// failure the user can meet (nothing listening, a wrong key, an unknown model, a server error,
// an answer that is not JSON) is a RemoteError whose message is a full sentence.
#include "app/remote/prometheus_text.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flint::remote {

struct RemoteEndpoint {
  // The API's base, e.g. http://gpu-box:8000/v1 ("/v1" is added when missing).
  std::string url;
  std::string apiKey;  // empty: none sent
  std::string model;   // as the server's /v1/models names it
};

struct RemoteModel {
  std::string id;
  std::size_t contextMax = 0;  // vLLM's max_model_len; 0 when the server does not say
};

class RemoteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RemoteClient {
 public:
  // Throws RemoteError for a URL that is not http:// or https://.
  explicit RemoteClient(RemoteEndpoint endpoint);
  RemoteClient(const RemoteClient&) = delete;
  RemoteClient& operator=(const RemoteClient&) = delete;

  const RemoteEndpoint& endpoint() const { return endpoint_; }
  // The API's base with "/v1", as requests use it (for messages).
  std::string apiUrl() const;

  // GET /v1/models.
  std::vector<RemoteModel> models();
  // GET /metrics beside the API (vLLM, SGLang and flint-cli serve all serve it at the root);
  // nullopt when the server has none or it cannot be read: statistics are optional.
  std::optional<MetricSamples> metrics();
  // POSTs `body` to /v1/chat/completions and hands the answer's bytes to `onBytes` as they
  // come. Returns false when `cancel` was set or `onBytes` returned false (the connection is
  // closed, which is how a server learns to stop), true when the server ended the answer.
  bool streamChat(const std::string& body, const std::function<bool(std::string_view)>& onBytes,
                  const std::atomic<bool>* cancel);

 private:
  RemoteEndpoint endpoint_;
  std::string origin_;   // scheme://host:port
  std::string apiPath_;  // "/v1" or "/prefix/v1"
};

// The server's own words in an error body (OpenAI's {"error": {"message"}}, vLLM's
// {"message"}, FastAPI's {"detail"}); else the body's start.
std::string serverMessage(std::string_view body);

// A non-200 answer as a sentence, with the server's own message when it sent one (OpenAI's
// {"error": {"message"}}, vLLM's {"message"}, FastAPI's {"detail"}).
std::string statusSentence(int status, std::string_view body, const std::string& model);

}  // namespace flint::remote
