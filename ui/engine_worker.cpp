#include "ui/engine_worker.h"

#include "engine/logging/log.h"

#include <QDir>

#include <exception>
#include <filesystem>

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

void EngineWorker::load(const QString& modelDir) {
  emit loading(modelDir);
  session_.reset();
  engine_.reset();
  const std::filesystem::path dir = modelDir.toStdString();
  try {
    if (!std::filesystem::is_directory(dir))
      throw std::runtime_error("the folder " + dir.string() + " does not exist");
    engine_ = flint::engine::Engine::load(dir, {});
    session_ = engine_->newSession();
  } catch (const std::exception& e) {
    session_.reset();
    engine_.reset();
    flint::log::logger("ui")->error("could not load {}: {}", dir.string(), e.what());
    emit loadFailed(QStringLiteral("The model could not be loaded: %1.").arg(errorClause(e)));
    return;
  }
  emit loaded(QDir(modelDir).dirName(), qint64(engine_->config().maxPositionEmbeddings));
}

void EngineWorker::generate(const flint::engine::GenerateRequest& request) {
  ReplyOutcome outcome;
  if (!session_) {
    outcome.error = QStringLiteral("No model is loaded, so there is nothing to answer with.");
    emit finished(outcome);
    return;
  }
  StreamBatcher batcher([this](StreamBatch batch) { emit streamed(batch); });
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
