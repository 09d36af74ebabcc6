// flint-cli serve: the loaded model behind an OpenAI-compatible HTTP API on this machine (see
// app/server/chat_server.h). Prints the address once it listens, so scripts and tests started
// with --port 0 learn the port; Ctrl-C (or SIGTERM) stops it cleanly.
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"
#include "app/server/chat_server.h"
#include "engine/logging/log.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <ostream>
#include <thread>

namespace flint::cli {
namespace {

std::atomic<bool> gStop{false};

extern "C" void onStopSignal(int) {
  gStop.store(true);
}

}  // namespace

int runServe(const ParsedArgs& args, CommandContext& ctx) {
  server::ServerOptions options;
  options.host = args.valueOr("host", "127.0.0.1");
  if (auto port = args.integer("port")) {
    if (*port < 0 || *port > 65535) throw UsageError("--port must be from 0 to 65535");
    options.port = int(*port);
  }
  if (auto queue = args.integer("queue")) {
    if (*queue < 0) throw UsageError("--queue must be 0 or more");
    options.queueCapacity = std::size_t(*queue);
  }
  if (auto limit = args.integer("max-body")) {
    if (*limit < 1024) throw UsageError("--max-body must be at least 1024 bytes");
    options.maxBodyBytes = std::size_t(*limit);
  }
  options.apiKey = args.valueOr("api-key", "");
  if (args.has("api-key") && options.apiKey.empty())
    throw UsageError("--api-key must not be empty");
  options.modelName = modelDir(args).filename().string();

  auto engine = loadEngine(args);
  server::ChatServer server(*engine, options);
  const int port = server.bind();
  // A client that leaves mid-answer must not kill the server with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGTERM, onStopSignal);
  std::thread serving([&] { server.serve(); });
  ctx.out << "Serving " << options.modelName << " on http://" << options.host << ":" << port
          << "/v1 (Ctrl-C stops)" << std::endl;
  log::logger("server")->info("serving {} on {}:{}", options.modelName, options.host, port);
  while (!gStop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  serving.join();
  ctx.out << "Stopped." << std::endl;
  log::logger("server")->info("stopped");
  return 0;
}

}  // namespace flint::cli
