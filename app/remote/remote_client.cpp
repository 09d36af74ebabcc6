#include "app/remote/remote_client.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace flint::remote {
namespace {

using nlohmann::json;

constexpr time_t kConnectSeconds = 5;
constexpr time_t kQuickReadSeconds = 10;  // /v1/models and /metrics
// A long prompt may keep a server silent for minutes before its first token (vLLM sends no
// keep-alive while it prefills).
constexpr time_t kChatReadSeconds = 600;
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

std::string withPeriod(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  if (!text.empty() && text.back() != '.' && text.back() != '?' && text.back() != '!') text += '.';
  return text;
}

std::string connectionSentence(httplib::Error error, const std::string& url) {
  switch (error) {
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
      return "Nothing answers at " + url +
             ": the connection was refused or the host cannot be reached. Check the address "
             "and that the server is running.";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return "A secure connection to " + url +
             " could not be made: the server's certificate was not accepted.";
    case httplib::Error::Read:
      return "The endpoint at " + url + " stopped answering before it was done.";
    case httplib::Error::Write:
      return "The request could not be sent to " + url + ": the connection broke.";
    default:
      return "The endpoint at " + url + " could not be reached (" + httplib::to_string(error) +
             ").";
  }
}

httplib::Headers headersFor(const RemoteEndpoint& endpoint) {
  httplib::Headers headers;
  if (!endpoint.apiKey.empty()) headers.emplace("Authorization", "Bearer " + endpoint.apiKey);
  return headers;
}

// Tells a waiting thread every kCancelPoll whether `cancel` is set, until the request ends;
// then closes the connection, which wakes a read that waits for a silent server.
class CancelWatch {
 public:
  CancelWatch(httplib::Client& client, const std::atomic<bool>* cancel) {
    if (!cancel) return;
    thread_ = std::thread([this, &client, cancel] {
      std::unique_lock lock(mutex_);
      while (!done_) {
        if (cancel->load()) {
          client.stop();
          return;
        }
        wake_.wait_for(lock, kCancelPoll);
      }
    });
  }
  ~CancelWatch() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

std::string serverMessage(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
        j["error"]["message"].is_string())
      return j["error"]["message"];
    if (j.contains("error") && j["error"].is_string()) return j["error"];
    if (j.contains("message") && j["message"].is_string()) return j["message"];
    if (j.contains("detail") && j["detail"].is_string()) return j["detail"];
  }
  std::string text(body.substr(0, 200));
  return text;
}

std::string statusSentence(int status, std::string_view body, const std::string& model) {
  const std::string said = serverMessage(body);
  const std::string tail = said.empty() ? "." : ": " + withPeriod(said);
  const std::string code = " (HTTP " + std::to_string(status) + ")";
  if (status == 401 || status == 403) return "The endpoint refused the API key" + code + tail;
  if (status == 404) {
    if (said.find("model") != std::string::npos)
      return "The endpoint has no model named '" + model + "'" + code + tail;
    return "The endpoint has no such API" + code + tail +
           " Check that the URL is the API's base, usually ending in /v1.";
  }
  if (status == 429 || status == 503) return "The endpoint is busy" + code + tail;
  if (status >= 500) return "The endpoint failed" + code + tail;
  return "The endpoint refused the request" + code + tail;
}

RemoteClient::RemoteClient(RemoteEndpoint endpoint) : endpoint_(std::move(endpoint)) {
  std::string url = endpoint_.url;
  while (!url.empty() && (url.back() == '/' || url.back() == ' ')) url.pop_back();
  while (!url.empty() && url.front() == ' ') url.erase(url.begin());
  const auto scheme = url.find("://");
  if (scheme == std::string::npos ||
      (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0))
    throw RemoteError(
        "The endpoint's address must start with http:// or https://, as in "
        "http://localhost:8000/v1.");
  const auto path = url.find('/', scheme + 3);
  origin_ = url.substr(0, path);
  apiPath_ = path == std::string::npos ? "" : url.substr(path);
  if (apiPath_.size() < 3 || apiPath_.compare(apiPath_.size() - 3, 3, "/v1") != 0)
    apiPath_ += "/v1";
}

std::string RemoteClient::apiUrl() const {
  return origin_ + apiPath_;
}

std::vector<RemoteModel> RemoteClient::models() {
  httplib::Client client(origin_);
  client.set_connection_timeout(kConnectSeconds);
  client.set_read_timeout(kQuickReadSeconds);
  const auto r = client.Get(apiPath_ + "/models", headersFor(endpoint_));
  if (!r) throw RemoteError(connectionSentence(r.error(), apiUrl()));
  if (r->status != 200) throw RemoteError(statusSentence(r->status, r->body, endpoint_.model));
  const json j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
    throw RemoteError("The endpoint's model list (" + apiUrl() +
                      "/models) is not the JSON an OpenAI-compatible server sends.");
  std::vector<RemoteModel> out;
  for (const json& m : j["data"]) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
    RemoteModel model;
    model.id = m["id"];
    if (m.contains("max_model_len") && m["max_model_len"].is_number_unsigned())
      model.contextMax = m["max_model_len"];
    out.push_back(std::move(model));
  }
  return out;
}

std::optional<MetricSamples> RemoteClient::metrics() {
  httplib::Client client(origin_);
  client.set_connection_timeout(kConnectSeconds);
  client.set_read_timeout(kQuickReadSeconds);
  const std::string root = apiPath_.substr(0, apiPath_.size() - 3);
  const auto r = client.Get(root + "/metrics", headersFor(endpoint_));
  if (!r || r->status != 200) return std::nullopt;
  return MetricSamples::parse(r->body);
}

bool RemoteClient::streamChat(const std::string& body,
                              const std::function<bool(std::string_view)>& onBytes,
                              const std::atomic<bool>* cancel) {
  httplib::Client client(origin_);
  client.set_connection_timeout(kConnectSeconds);
  client.set_read_timeout(kChatReadSeconds);
  httplib::Request req;
  req.method = "POST";
  req.path = apiPath_ + "/chat/completions";
  req.headers = headersFor(endpoint_);
  req.set_header("Accept", "text/event-stream");
  req.set_header("Content-Type", "application/json");
  req.body = body;
  int status = 0;
  std::string errorBody;  // a non-200 answer's body, for its message
  bool stoppedByReader = false;
  req.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (status != 200) {
      errorBody.append(data, n);
      return true;
    }
    if (cancel && cancel->load()) return false;
    if (onBytes(std::string_view(data, n))) return true;
    stoppedByReader = true;
    return false;
  };
  httplib::Result r = [&] {
    CancelWatch watch(client, cancel);
    return client.send(req);
  }();
  if (stoppedByReader || (cancel && cancel->load())) return false;
  if (status != 0 && status != 200)
    throw RemoteError(statusSentence(status, errorBody, endpoint_.model));
  if (!r) throw RemoteError(connectionSentence(r.error(), apiUrl()));
  return true;
}

}  // namespace flint::remote
