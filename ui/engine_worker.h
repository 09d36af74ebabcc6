#pragma once
// The engine's side of the GUI: a QObject that lives on its own QThread (the ChatController
// owns both), loads a model folder and runs Session::generate there. It speaks only in queued
// signals: streamed batches at most ~60 a second (the experts' residency in at most ~2 of them),
// then one finished(). Stop is an atomic flag the engine checks between tokens, so the reply so
// far is kept. A load keeps the model before it until the new one is ready, so a failed or
// cancelled load leaves the chat working. A load may name an OpenAI-compatible endpoint instead
// of a folder: the worker then holds a RemoteChat, driven the same way (app/remote/remote_chat.h).
#include "app/documents/prefix_cache.h"
#include "app/remote/remote_chat.h"
#include "app/server/chat_server.h"
#include "engine/engine.h"
#include "ui/stream_batcher.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace flint::ui {

// An exception's words as the end of a user-facing sentence (its own closing period dropped).
QString errorClause(const std::exception& e);

// How a reply ended, with its final figures.
struct ReplyOutcome {
  flint::engine::FinishReason reason = flint::engine::FinishReason::kEndOfSentence;
  QString error;  // a sentence when generation failed; empty otherwise
  flint::engine::Stats stats;
};

// What the signals call a remote model in place of a folder: "URL#model".
QString remoteModelKey(const flint::remote::RemoteEndpoint& endpoint);
// True for such a key.
bool isRemoteModel(const QString& dirOrKey);
// The name to show for what the signals call the loaded model: the folder's name, or for a
// remote model its name on the endpoint.
QString loadedModelName(const QString& dirOrKey);

// One load: its folder, the routed experts' host budget (none: this machine's plan), where the
// backbone computes, and the ticket that names it in the signals and in cancellation; or an
// endpoint (modelDir unused).
struct LoadRequest {
  QString modelDir;
  std::optional<flint::remote::RemoteEndpoint> remote;
  std::optional<std::uint64_t> hostExpertBytes;
  flint::engine::ComputeDevice device = flint::engine::ComputeDevice::Cpu;
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
  // With documents (`documentQuestion` set), the session first resumes the longest start of the
  // prompt the prefix cache holds; when the last turn is the one that carries them (the question
  // is its user's words, not empty) and the cache misses, the documents' part is read, with
  // progress, and saved, so a later question over them (after a restart, in another
  // conversation) starts at once.
  void generate(const flint::engine::GenerateRequest& request,
                const std::optional<std::string>& documentQuestion = std::nullopt);

  // Serves the loaded local model to other programs (OpenAI-compatible, flint-cli serve's
  // protocol) on 127.0.0.1:`port` (0: any free port), taking turns with the chat; it follows
  // the model through reloads until stopServing(). servingChanged says where, or why not.
  void serve(int port, const QString& apiKey);
  void stopServing();

  // Safe from any thread: stop the reply in progress after its current token / allow the
  // next one to run. The controller clears before queueing a reply, so an early stop holds.
  void requestStop() { cancel_.store(true); }
  void clearStop() { cancel_.store(false); }
  // Safe from any thread: only the load with this ticket may replace the model; 0 abandons
  // every load (one already running ends, and its model is then dropped).
  void wantLoad(quint64 ticket) { wantedLoad_.store(ticket); }

 signals:
  void loading(quint64 ticket, const QString& modelDir);
  // compute: where a local model computes (Engine::computeDescription; empty for an endpoint);
  // devicePlan: the device memory plan's explanation when it computes on a GPU, else empty.
  void loaded(quint64 ticket, const QString& modelDir, qint64 contextMax, const QString& compute,
              const QString& devicePlan);
  // keptDir: the folder of the model still loaded (empty: none).
  void loadFailed(quint64 ticket, const QString& error, const QString& keptDir);
  void loadAbandoned(quint64 ticket, const QString& keptDir);
  // A local load's stage in words and its fraction done in [0, 1], rising.
  void loadProgress(quint64 ticket, const QString& stage, double fraction);
  void streamed(const flint::ui::StreamBatch& batch);
  void finished(const flint::ui::ReplyOutcome& outcome);
  // url: where the server answers (empty: not serving); error: why not, as a sentence.
  void servingChanged(const QString& url, const QString& error);

 private:
  // Checks the endpoint's model list, then chats there instead of with a local model.
  void loadRemote(const LoadRequest& request);

  std::unique_ptr<flint::engine::Engine> engine_;
  // One session, so a follow-up turn reuses the cache; it resets itself when a prompt does
  // not extend what it holds (another conversation, another branch).
  std::unique_ptr<flint::engine::Session> session_;
  // Set instead of engine_ and session_ while a remote endpoint answers.
  std::unique_ptr<flint::remote::RemoteChat> remote_;
  // Saved document prefixes of the loaded model, opened at its first document question.
  std::optional<flint::documents::PrefixCache> prefixCache_;
  // The engine answers the chat and the local server one reply at a time.
  std::mutex engineTurn_;
  std::unique_ptr<flint::server::ChatServer> server_;
  std::thread serverThread_;
  std::optional<std::pair<int, QString>> wantServe_;  // port and key, while the switch is on
  void startServer();
  void endServer();
  QString loadedDir_;  // the folder, or remoteModelKey() of the endpoint
  std::atomic<bool> cancel_{false};
  std::atomic<quint64> wantedLoad_{0};
};

}  // namespace flint::ui
