#include "ui/engine_worker.h"

#include "engine/logging/log.h"
#include "ui/model_memory.h"

#include <QDir>

#include <exception>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace flint::ui {

QString errorClause(const std::exception& e) {
  QString words = QString::fromUtf8(e.what());
  while (words.endsWith(QLatin1Char('.'))) words.chop(1);
  return words;
}

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}

// The session borrows the engine, so it goes first.
EngineWorker::~EngineWorker() {
  session_.reset();
}

void EngineWorker::load(const LoadRequest& request) {
  if (wantedLoad_.load() != request.ticket) {
    emit loadAbandoned(request.ticket, loadedDir_);
    return;
  }
  emit loading(request.ticket, request.modelDir);
  const std::filesystem::path dir = request.modelDir.toStdString();
  std::unique_ptr<flint::engine::Engine> engine;
  std::unique_ptr<flint::engine::Session> session;
  try {
    if (!std::filesystem::is_directory(dir))
      throw std::runtime_error("the folder " + dir.string() + " does not exist");
    engine = flint::engine::Engine::load(
        dir, loadOptionsFor(planModelMemory(dir), request.hostExpertBytes));
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
  session_.reset();
  engine_ = std::move(engine);
  session_ = std::move(session);
  loadedDir_ = request.modelDir;
  emit loaded(request.ticket, loadedDir_, qint64(engine_->config().maxPositionEmbeddings));
}

void EngineWorker::generate(const flint::engine::GenerateRequest& request) {
  ReplyOutcome outcome;
  if (!session_) {
    outcome.error = QStringLiteral("No model is loaded, so there is nothing to answer with.");
    emit finished(outcome);
    return;
  }
  StreamBatcher batcher([this](StreamBatch batch) { emit streamed(batch); },
                        StreamBatcher::kDefaultInterval,
                        [this] { return engine_->expertResidency(); });
  try {
    const flint::engine::GenerateResult result = session_->generate(request, batcher, &cancel_);
    outcome.reason = result.reason;
    outcome.stats = result.stats;
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("generation failed: {}", e.what());
    outcome.error = QStringLiteral("The reply failed: %1.").arg(errorClause(e));
    session_->reset();
  }
  batcher.flush();
  emit finished(outcome);
}

}  // namespace flint::ui
