#include "app/server/chat_server.h"

#include "app/server/chat_request.h"
#include "app/server/completion_json.h"
#include "app/server/sse.h"
#include "engine/logging/log.h"

#include <httplib.h>

#include <chrono>

namespace flint::server {
namespace {

using namespace std::chrono_literals;

// How often a waiting stream writes a keep-alive comment: the bound on how long a client that
// left keeps its place in the queue or its generation running.
constexpr auto kHeartbeat = 200ms;
// Seconds a client told "queue full" should wait before trying again.
constexpr int kRetryAfterSeconds = 2;

std::string jsonText(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void sendError(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  res.set_content(jsonText(errorJson(error)), "application/json");
}

// The label /metrics counts a request under: known routes by name, the rest together.
std::string routeLabel(const std::string& path) {
  for (const char* known : {"/v1/models", "/v1/chat/completions", "/metrics"})
    if (path == known) return known;
  return "other";
}

}  // namespace

ChatServer::ChatServer(engine::Engine& engine, ServerOptions options)
    : options_(std::move(options)),
      queue_(engine, options_.queueCapacity, metrics_, options_.engineLock),
      http_(std::make_unique<httplib::Server>()) {
  // cpp-httplib also sets SO_REUSEPORT, which lets a second server bind the same port and
  // take half its connections; a port in use must be an error instead.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  route();
}

ChatServer::~ChatServer() {
  stop();
}

void ChatServer::route() {
  // Threads for the generating request, every waiting one, and spare ones so /metrics,
  // /v1/models and "queue full" answers never wait behind generation.
  const std::size_t threads = options_.queueCapacity + 8;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(options_.maxBodyBytes);

  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return authorized(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                : httplib::Server::HandlerResponse::Handled;
  });
  http_->Get("/v1/models",
             [this](const httplib::Request&, httplib::Response& res) { models(res); });
  http_->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    chatCompletions(req, res);
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.prometheusText(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Statuses httplib decides itself (404, 413, 400 for a bad request line...) get a body in
  // OpenAI's shape too; handlers' own errors already have one.
  http_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404)
          sendError(res, ApiError(404, "invalid_request_error",
                                  "There is no " + req.method + " " + req.path +
                                      " here; this server answers /v1/models, "
                                      "/v1/chat/completions and /metrics."));
        else if (res.status == 413)
          sendError(res, ApiError(413, "invalid_request_error",
                                  "The request body is larger than this server accepts."));
        else
          sendError(res, ApiError(res.status, "invalid_request_error",
                                  "The request could not be handled (HTTP " +
                                      std::to_string(res.status) + ")."));
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::logger("server")->error("request failed: {}", what);
        sendError(res, ApiError(500, "server_error", "The server failed: " + what + "."));
      });
  http_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics_.countRequest(routeLabel(req.path), res.status);
    log::logger("server")->info("{} {} -> {}", req.method, req.path, res.status);
  });
}

bool ChatServer::authorized(const httplib::Request& req, httplib::Response& res) const {
  if (options_.apiKey.empty()) return true;
  if (req.get_header_value("Authorization") == "Bearer " + options_.apiKey) return true;
  const bool given = req.has_header("Authorization");
  sendError(res, ApiError(401, "authentication_error",
                          given ? "The API key is not valid for this server."
                                : "This server needs an API key: send 'Authorization: Bearer "
                                  "KEY'."));
  return false;
}

void ChatServer::models(httplib::Response& res) const {
  const nlohmann::json body = {
      {"object", "list"},
      {"data",
       {{{"id", options_.modelName}, {"object", "model"}, {"created", 0}, {"owned_by", "flint"}}}}};
  res.set_content(jsonText(body), "application/json");
}

void ChatServer::chatCompletions(const httplib::Request& req, httplib::Response& res) {
  ChatRequest request;
  try {
    request = parseChatRequest(req.body);
  } catch (const ApiError& e) {
    sendError(res, e);
    return;
  }
  auto job = queue_.submit(std::move(request.generate));
  if (!job) {
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
    sendError(res, ApiError(503, "server_busy",
                            "The server is busy: " + std::to_string(options_.queueCapacity) +
                                " requests are already waiting. Try again in a few seconds."));
    return;
  }
  if (request.stream)
    answerStream(job, res);
  else
    answerWhole(job, res);
}

// cpp-httplib 0.11 tells a handler nothing of a client that left, and a peer's close leaves
// its socket writable, so only a failed write shows it. Until the first text comes the status
// may still change (a prompt too long for the context fails at prefill), so the handler waits;
// from then on the answer is a 200 sent as a chunked body that writes a space every kHeartbeat
// (JSON allows leading whitespace), and a write that fails cancels the generation. A client
// that leaves while its request waits in the queue or prefills is noticed only at that point.
void ChatServer::answerWhole(const std::shared_ptr<GenerationJob>& job, httplib::Response& res) {
  const CompletionIdentity identity = newCompletionIdentity(options_.modelName);
  GenerationJob::Progress p;
  do {
    p = job->take(1s);
  } while (!p.finished && p.thinking.empty() && p.answer.empty());
  if (p.finished) {
    if (job->failure())
      sendError(res, *job->failure());
    else
      res.set_content(jsonText(completionJson(identity, *job->result())), "application/json");
    return;
  }
  res.set_chunked_content_provider(
      "application/json",
      [job, identity, lastWrite = std::chrono::steady_clock::now()](
          std::size_t, httplib::DataSink& sink) mutable {
        const auto write = [&](const std::string& text) {
          if (sink.write(text.data(), text.size())) return true;
          job->cancel();  // the client left: stop its generation
          return false;
        };
        if (!job->take(kHeartbeat).finished) {
          // take() wakes for every token; one space per heartbeat is enough.
          const auto now = std::chrono::steady_clock::now();
          if (now - lastWrite < kHeartbeat) return true;
          lastWrite = now;
          return write(" ");
        }
        if (!write(jsonText(job->failure() ? errorJson(*job->failure())
                                           : completionJson(identity, *job->result()))))
          return false;
        sink.done();
        return true;
      },
      [job](bool) { job->cancel(); });
}

void ChatServer::answerStream(const std::shared_ptr<GenerationJob>& job, httplib::Response& res) {
  const CompletionIdentity identity = newCompletionIdentity(options_.modelName);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, identity, opened = false](std::size_t, httplib::DataSink& sink) mutable {
        const auto write = [&](const std::string& text) {
          if (sink.write(text.data(), text.size())) return true;
          job->cancel();  // the client left: stop its generation, or drop it from the queue
          return false;
        };
        const GenerationJob::Progress p = job->take(kHeartbeat);
        if (!opened && (p.started || p.finished) && !job->failure()) {
          opened = true;
          if (!write(sseData(chunkJson(identity, {{"role", "assistant"}, {"content", ""}}))))
            return false;
        }
        if (!p.thinking.empty() &&
            !write(sseData(chunkJson(identity, {{"reasoning_content", p.thinking}}))))
          return false;
        if (!p.answer.empty() && !write(sseData(chunkJson(identity, {{"content", p.answer}}))))
          return false;
        if (!p.finished) {
          // Nothing new: a comment proves the client is still there.
          return p.thinking.empty() && p.answer.empty() ? write(sseComment("waiting")) : true;
        }
        if (job->failure()) {
          if (!write(sseData(errorJson(*job->failure())))) return false;
        } else {
          nlohmann::json last = chunkJson(identity, nlohmann::json::object(),
                                          finishReasonName(job->result()->reason));
          last["usage"] = usageJson(job->result()->stats);
          if (!write(sseData(last))) return false;
        }
        if (!write(sseDone())) return false;
        sink.done();
        return true;
      },
      [job](bool) { job->cancel(); });
}

int ChatServer::bind() {
  const int port = options_.port == 0
                       ? http_->bind_to_any_port(options_.host)
                       : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port < 0)
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) +
                             " (the port is taken or the address is not this machine's)");
  return port;
}

void ChatServer::serve() {
  http_->listen_after_bind();
}

void ChatServer::stop() {
  queue_.stop();
  if (http_) http_->stop();
}

}  // namespace flint::server
