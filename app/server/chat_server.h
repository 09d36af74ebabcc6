#pragma once
// An OpenAI-compatible HTTP server over one loaded engine (cpp-httplib):
//   GET  /v1/models            the loaded model
//   POST /v1/chat/completions  one answer, or server-sent events with "stream": true
//   GET  /metrics              Prometheus text: requests, tokens, speculation, expert tiers
// Errors come in OpenAI's JSON shape: 400 bad request, 401 missing or wrong API key, 404
// unknown path, 413 body too large, 503 queue full (with Retry-After).
#include "app/server/generation_queue.h"
#include "app/server/server_metrics.h"

#include <memory>
#include <mutex>
#include <string>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace flint::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;     // 0: any free port (bind() returns it)
  std::string apiKey;  // empty: no key needed
  std::size_t queueCapacity = 8;
  std::size_t maxBodyBytes = std::size_t(4) << 20;
  std::string modelName;  // what /v1/models and every answer call the model
  // When the engine also answers someone else (the app's own chat), both take this lock
  // around each reply: the engine runs one at a time. Null: the server has it to itself.
  std::mutex* engineLock = nullptr;
};

class ChatServer {
 public:
  ChatServer(engine::Engine& engine, ServerOptions options);
  ~ChatServer();
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;

  // Binds the listening socket and returns its port; throws std::runtime_error in words when
  // the address cannot be bound.
  int bind();
  // Answers requests until stop(); call after bind().
  void serve();
  // Safe from any thread (not from a signal handler): cancels generation, ends serve().
  void stop();

  const ServerMetrics& metrics() const { return metrics_; }

 private:
  void route();
  bool authorized(const httplib::Request& req, httplib::Response& res) const;
  void models(httplib::Response& res) const;
  void chatCompletions(const httplib::Request& req, httplib::Response& res);
  void answerWhole(const std::shared_ptr<GenerationJob>& job, httplib::Response& res);
  void answerStream(const std::shared_ptr<GenerationJob>& job, httplib::Response& res);

  ServerOptions options_;
  ServerMetrics metrics_;
  GenerationQueue queue_;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace flint::server
