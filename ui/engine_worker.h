#pragma once
// The engine's side of the GUI: a QObject that lives on its own QThread (the ChatController
// owns both), loads a model folder and runs Session::generate there. It speaks only in queued
// signals: streamed batches at most ~60 a second (the experts' residency in at most ~2 of them),
// then one finished(). Stop is an atomic flag the engine checks between tokens, so the reply so
// far is kept. A load keeps the model before it until the new one is ready, so a failed or
// cancelled load leaves the chat working.
#include "engine/engine.h"
#include "ui/stream_batcher.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>

namespace flint::ui {

// An exception's words as the end of a user-facing sentence (its own closing period dropped).
QString errorClause(const std::exception& e);

// How a reply ended, with its final figures.
struct ReplyOutcome {
  flint::engine::FinishReason reason = flint::engine::FinishReason::kEndOfSentence;
  QString error;  // a sentence when generation failed; empty otherwise
  flint::engine::Stats stats;
};

// One load: its folder, the routed experts' host budget (none: this machine's plan) and the
// ticket that names it in the signals and in cancellation.
struct LoadRequest {
  QString modelDir;
  std::optional<std::uint64_t> hostExpertBytes;
  quint64 ticket = 0;
};

class EngineWorker : public QObject {
  Q_OBJECT

 public:
  explicit EngineWorker(QObject* parent = nullptr);
  ~EngineWorker() override;

  // Run on the worker's thread (queue them with QMetaObject::invokeMethod). Calls queue up
  // in order, so a reply asked for while the model loads starts once it is loaded.
  void load(const LoadRequest& request);
  void generate(const flint::engine::GenerateRequest& request);

  // Safe from any thread: stop the reply in progress after its current token / allow the
  // next one to run. The controller clears before queueing a reply, so an early stop holds.
  void requestStop() { cancel_.store(true); }
  void clearStop() { cancel_.store(false); }
  // Safe from any thread: only the load with this ticket may replace the model; 0 abandons
  // every load (one already running ends, and its model is then dropped).
  void wantLoad(quint64 ticket) { wantedLoad_.store(ticket); }

 signals:
  void loading(quint64 ticket, const QString& modelDir);
  void loaded(quint64 ticket, const QString& modelDir, qint64 contextMax);
  // keptDir: the folder of the model still loaded (empty: none).
  void loadFailed(quint64 ticket, const QString& error, const QString& keptDir);
  void loadAbandoned(quint64 ticket, const QString& keptDir);
  void streamed(const flint::ui::StreamBatch& batch);
  void finished(const flint::ui::ReplyOutcome& outcome);

 private:
  std::unique_ptr<flint::engine::Engine> engine_;
  // One session, so a follow-up turn reuses the cache; it resets itself when a prompt does
  // not extend what it holds (another conversation, another branch).
  std::unique_ptr<flint::engine::Session> session_;
  QString loadedDir_;
  std::atomic<bool> cancel_{false};
  std::atomic<quint64> wantedLoad_{0};
};

}  // namespace flint::ui
