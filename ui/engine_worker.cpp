#include "ui/engine_worker.h"

#include "app/documents/document_prefix.h"
#include "app/paths.h"
#include "engine/logging/log.h"
#include "ui/model_memory.h"

#include <QDir>

#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace flint::ui {

QString errorClause(const std::exception& e) {
  QString words = QString::fromUtf8(e.what());
  while (words.endsWith(QLatin1Char('.'))) words.chop(1);
  return words;
}

QString remoteModelKey(const flint::remote::RemoteEndpoint& endpoint) {
  return QString::fromStdString(endpoint.url + "#" + endpoint.model);
}

bool isRemoteModel(const QString& dirOrKey) {
  return dirOrKey.startsWith(QLatin1String("http://")) ||
         dirOrKey.startsWith(QLatin1String("https://"));
}

QString loadedModelName(const QString& dirOrKey) {
  return isRemoteModel(dirOrKey) ? dirOrKey.section(QLatin1Char('#'), 1) : QDir(dirOrKey).dirName();
}

namespace {

// Saved document prefixes beyond this are evicted, least recently used first.
constexpr std::uint64_t kPrefixCacheBytes = std::uint64_t(4) << 30;

// Hands the stream on with the documents' prefill, done before generate(), in the figures.
class PrefillCounted final : public flint::engine::StreamSink {
 public:
  PrefillCounted(flint::engine::StreamSink& next, const flint::documents::PrefixReuse& reuse)
      : next_(next), reuse_(reuse) {}
  void onThinking(std::string_view text) override { next_.onThinking(text); }
  void onAnswer(std::string_view text) override { next_.onAnswer(text); }
  void onStats(const flint::engine::Stats& stats) override { next_.onStats(reuse_.counted(stats)); }
  void onPrefillProgress(std::size_t done, std::size_t total) override {
    next_.onPrefillProgress(done, total);
  }

 private:
  flint::engine::StreamSink& next_;
  const flint::documents::PrefixReuse& reuse_;
};

}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}

// The session borrows the engine, so it goes first.
EngineWorker::~EngineWorker() {
  endServer();
  session_.reset();
}

void EngineWorker::serve(int port, const QString& apiKey) {
  wantServe_ = std::make_pair(port, apiKey);
  endServer();
  startServer();
}

void EngineWorker::stopServing() {
  wantServe_.reset();
  endServer();
  emit servingChanged({}, {});
}

void EngineWorker::startServer() {
  if (!wantServe_) return;
  if (!engine_) {
    emit servingChanged({}, remote_ ? tr("A remote endpoint is not served again from here; "
                                         "the server starts with the next local model.")
                                    : tr("The server starts once a model is loaded."));
    return;
  }
  flint::server::ServerOptions options;
  options.port = wantServe_->first;
  options.apiKey = wantServe_->second.toStdString();
  options.modelName = loadedModelName(loadedDir_).toStdString();
  options.engineLock = &engineTurn_;
  try {
    auto server = std::make_unique<flint::server::ChatServer>(*engine_, options);
    const int port = server->bind();
    server_ = std::move(server);
    serverThread_ = std::thread([server = server_.get()] { server->serve(); });
    const QString url = QStringLiteral("http://127.0.0.1:%1/v1").arg(port);
    flint::log::logger("ui")->info("serving {} at {}", options.modelName, url.toStdString());
    emit servingChanged(url, {});
  } catch (const std::exception& e) {
    emit servingChanged({}, tr("The local server could not start: %1.").arg(errorClause(e)));
  }
}

void EngineWorker::endServer() {
  if (!server_) return;
  server_->stop();
  if (serverThread_.joinable()) serverThread_.join();
  server_.reset();
}

void EngineWorker::load(const LoadRequest& request) {
  if (wantedLoad_.load() != request.ticket) {
    emit loadAbandoned(request.ticket, loadedDir_);
    return;
  }
  if (request.remote) {
    loadRemote(request);
    return;
  }
  emit loading(request.ticket, request.modelDir);
  const std::filesystem::path dir = request.modelDir.toStdString();
  std::unique_ptr<flint::engine::Engine> engine;
  std::unique_ptr<flint::engine::Session> session;
  try {
    if (!std::filesystem::is_directory(dir))
      throw std::runtime_error("the folder " + dir.string() + " does not exist");
    // Cancel reaches into the load itself: it ends at the next few MiB read.
    flint::engine::LoadProgress progress;
    progress.report = [this, ticket = request.ticket](std::string_view stage, double fraction) {
      emit loadProgress(ticket, QString::fromUtf8(stage.data(), qsizetype(stage.size())), fraction);
    };
    progress.cancelled = [this, ticket = request.ticket] { return wantedLoad_.load() != ticket; };
    engine = flint::engine::Engine::load(
        dir, loadOptionsFor(planModelMemory(dir), request.hostExpertBytes, request.device),
        &progress);
    session = engine->newSession();
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not load {}: {}", dir.string(), e.what());
    if (wantedLoad_.load() != request.ticket) {
      emit loadAbandoned(request.ticket, loadedDir_);
      return;
    }
    emit loadFailed(request.ticket,
                    QStringLiteral("The model could not be loaded: %1.").arg(errorClause(e)),
                    loadedDir_);
    return;
  }
  if (wantedLoad_.load() != request.ticket) {
    flint::log::logger("ui")->info("load of {} cancelled; the previous model stays", dir.string());
    emit loadAbandoned(request.ticket, loadedDir_);
    return;
  }
  endServer();  // it answers from the engine about to go
  session_.reset();
  remote_.reset();
  prefixCache_.reset();
  engine_ = std::move(engine);
  session_ = std::move(session);
  loadedDir_ = request.modelDir;
  const std::optional<flint::engine::DeviceMemoryPlan> plan = engine_->deviceMemoryPlan();
  emit loaded(request.ticket, loadedDir_, qint64(engine_->config().maxPositionEmbeddings),
              QString::fromStdString(engine_->computeDescription()),
              plan ? QString::fromStdString(plan->explanation) : QString());
  startServer();
}

void EngineWorker::loadRemote(const LoadRequest& request) {
  const flint::remote::RemoteEndpoint endpoint = *request.remote;
  const QString key = remoteModelKey(endpoint);
  emit loading(request.ticket, key);
  std::unique_ptr<flint::remote::RemoteChat> chat;
  try {
    flint::remote::RemoteClient client(endpoint);
    const std::vector<flint::remote::RemoteModel> models = client.models();
    std::string served;
    const flint::remote::RemoteModel* chosen = nullptr;
    for (const flint::remote::RemoteModel& m : models) {
      served += (served.empty() ? "" : ", ") + m.id;
      if (m.id == endpoint.model) chosen = &m;
    }
    if (!chosen)
      throw flint::remote::RemoteError("the endpoint serves " +
                                       (served.empty() ? std::string("no model") : served) +
                                       ", not '" + endpoint.model + "'");
    chat = std::make_unique<flint::remote::RemoteChat>(endpoint, chosen->contextMax);
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not use {}: {}", key.toStdString(), e.what());
    if (wantedLoad_.load() != request.ticket) {
      emit loadAbandoned(request.ticket, loadedDir_);
      return;
    }
    emit loadFailed(request.ticket,
                    QStringLiteral("The endpoint could not be used: %1.").arg(errorClause(e)),
                    loadedDir_);
    return;
  }
  if (wantedLoad_.load() != request.ticket) {
    emit loadAbandoned(request.ticket, loadedDir_);
    return;
  }
  // The local model goes: its memory is what a remote endpoint spares.
  endServer();
  session_.reset();
  prefixCache_.reset();
  engine_.reset();
  remote_ = std::move(chat);
  loadedDir_ = key;
  emit loaded(request.ticket, loadedDir_, qint64(remote_->contextMax()), {}, {});
  startServer();
}

void EngineWorker::generate(const flint::engine::GenerateRequest& request,
                            const std::optional<std::string>& documentQuestion) {
  ReplyOutcome outcome;
  if (!session_ && !remote_) {
    outcome.error = QStringLiteral("No model is loaded, so there is nothing to answer with.");
    emit finished(outcome);
    return;
  }
  // Expert residency is a local engine's; a remote endpoint has none to show.
  StreamBatcher::ResidencySource residency;
  if (engine_) residency = [this] { return engine_->expertResidency(); };
  StreamBatcher batcher([this](StreamBatch batch) { emit streamed(batch); },
                        StreamBatcher::kDefaultInterval, residency);
  try {
    // The local server, when on, answers from the same engine: one reply at a time.
    std::unique_lock<std::mutex> turn;
    if (session_) turn = std::unique_lock(engineTurn_);
    flint::documents::PrefixReuse reuse;
    if (session_ && documentQuestion) {
      if (!prefixCache_)
        prefixCache_.emplace(flint::app::dataDir() / "prefix-cache", kPrefixCacheBytes, *engine_);
      reuse = flint::documents::readyDocumentPrefix(*engine_, *session_, *prefixCache_, request,
                                                    *documentQuestion, &batcher, &cancel_);
    }
    PrefillCounted sink(batcher, reuse);
    flint::engine::GenerateResult result = remote_ ? remote_->generate(request, sink, &cancel_)
                                                   : session_->generate(request, sink, &cancel_);
    result.stats = reuse.counted(result.stats);
    outcome.reason = result.reason;
    outcome.stats = result.stats;
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("generation failed: {}", e.what());
    outcome.error = QStringLiteral("The reply failed: %1.").arg(errorClause(e));
    if (session_) session_->reset();
  }
  batcher.flush();
  emit finished(outcome);
}

}  // namespace flint::ui
