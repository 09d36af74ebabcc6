// The MessageModel: rows and roles from the store's shown branch, branch navigation, and a
// reply streamed from another thread through the StreamBatcher, as the engine worker does it:
// batched to ~60 updates a second, each applied on the GUI thread to one row, text exact.
#include "app/store/conversation_service.h"
#include "ui/message_model.h"
#include "ui/stream_batcher.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <chrono>
#include <optional>
#include <thread>

using flint::ui::MessageModel;
using flint::ui::StreamBatch;
using flint::ui::StreamBatcher;
namespace store = flint::store;

// Stands in for the EngineWorker: a QObject whose signal is emitted on the streaming thread.
class FakeEngine : public QObject {
  Q_OBJECT
 signals:
  void streamed(const flint::ui::StreamBatch& batch);
};

class MessageModelTest : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    service_.emplace((dir_.path() + "/chat.db").toStdString());
    conversation_ = service_->create("test");
  }
  void cleanup() {
    service_.reset();
    QFile::remove(dir_.path() + "/chat.db");
  }

  void rowsCarryEveryRole() {
    const auto question = service_->addUserMessage(conversation_, "What is **2+2**?");
    store::ReplyInfo info;
    info.mode = store::ThinkingMode::High;
    auto reply = service_->beginReply(conversation_, question, info);
    reply.append("4", "Add them.");
    reply.finish(store::MessageState::Done, {{"thinking_seconds", 2.5}});

    MessageModel model;
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.rowCount(), 2);
    const QModelIndex q = model.index(0), a = model.index(1);
    QCOMPARE(q.data(MessageModel::MessageIdRole).toLongLong(), question);
    QCOMPARE(q.data(MessageModel::RoleRole).toString(), QStringLiteral("user"));
    QCOMPARE(q.data(MessageModel::ContentRole).toString(), QStringLiteral("What is **2+2**?"));
    QCOMPARE(q.data(MessageModel::ModeRole).toString(), QString());
    QCOMPARE(a.data(MessageModel::MessageIdRole).toLongLong(), reply.messageId());
    QCOMPARE(a.data(MessageModel::RoleRole).toString(), QStringLiteral("assistant"));
    QCOMPARE(a.data(MessageModel::ContentRole).toString(), QStringLiteral("4"));
    QCOMPARE(a.data(MessageModel::ThinkingRole).toString(), QStringLiteral("Add them."));
    QCOMPARE(a.data(MessageModel::ThinkingSecondsRole).toDouble(), 2.5);
    QCOMPARE(a.data(MessageModel::ModeRole).toString(), QStringLiteral("high"));
    QCOMPARE(a.data(MessageModel::StateRole).toString(), QStringLiteral("done"));
    QCOMPARE(a.data(MessageModel::StreamingRole).toBool(), false);
    QCOMPARE(a.data(MessageModel::SiblingIndexRole).toInt(), 1);
    QCOMPARE(a.data(MessageModel::SiblingCountRole).toInt(), 1);
    const auto names = model.roleNames().values();
    for (const char* name : {"messageId", "role", "content", "thinking", "thinkingSeconds",
                             "streaming", "mode", "siblingIndex", "siblingCount", "state"})
      QVERIFY2(names.contains(name), name);
  }

  void siblingsNavigateBetweenBranches() {
    const auto question = service_->addUserMessage(conversation_, "Name a colour.");
    auto first = service_->beginReply(conversation_, question, {});
    first.append("Red");
    first.finish(store::MessageState::Done, {});
    auto second = service_->regenerate(first.messageId(), {});
    second.append("Blue");
    second.finish(store::MessageState::Done, {});

    MessageModel model;
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.index(1).data(MessageModel::ContentRole).toString(), QStringLiteral("Blue"));
    QCOMPARE(model.index(1).data(MessageModel::SiblingIndexRole).toInt(), 2);
    QCOMPARE(model.index(1).data(MessageModel::SiblingCountRole).toInt(), 2);

    service_->showSibling(second.messageId(), -1);
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.index(1).data(MessageModel::MessageIdRole).toLongLong(), first.messageId());
    QCOMPARE(model.index(1).data(MessageModel::ContentRole).toString(), QStringLiteral("Red"));
    QCOMPARE(model.index(1).data(MessageModel::SiblingIndexRole).toInt(), 1);

    // An edited question is a branch too: its reply goes with it.
    const auto edited = service_->editUserMessage(question, "Name a fruit.");
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0).data(MessageModel::MessageIdRole).toLongLong(), edited);
    QCOMPARE(model.index(0).data(MessageModel::SiblingIndexRole).toInt(), 2);
    service_->showSibling(edited, -1);
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(1).data(MessageModel::ContentRole).toString(), QStringLiteral("Red"));
  }

  void appendingChangesOnlyItsRow() {
    const auto question = service_->addUserMessage(conversation_, "Hi");
    auto reply = service_->beginReply(conversation_, question, {});
    MessageModel model;
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.index(1).data(MessageModel::StreamingRole).toBool(), true);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

    model.appendText(reply.messageId(), {}, QStringLiteral("Hel"));
    model.appendText(reply.messageId(), {}, QStringLiteral("lo"));
    model.appendText(12345678, {}, QStringLiteral("nobody's"));
    QCOMPARE(changed.count(), 2);
    for (const auto& args : changed) {
      QCOMPARE(args.at(0).toModelIndex().row(), 1);
      QCOMPARE(args.at(1).toModelIndex().row(), 1);
      QCOMPARE(args.at(2).value<QList<int>>(), QList<int>{MessageModel::ContentRole});
    }
    QCOMPARE(reset.count(), 0);
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(model.index(1).data(MessageModel::ContentRole).toString(), QStringLiteral("Hello"));

    model.setState(reply.messageId(), store::MessageState::Interrupted, {});
    QCOMPARE(model.index(1).data(MessageModel::StreamingRole).toBool(), false);
    QCOMPARE(model.index(1).data(MessageModel::StateRole).toString(),
             QStringLiteral("interrupted"));
  }

  // A send or a regenerate keeps the rows the new branch shares: only the new tail is inserted
  // (and the old tail removed), and only shared rows whose data changed are announced.
  void aNewBranchKeepsTheSharedRowsAndInsertsTheRest() {
    const auto question = service_->addUserMessage(conversation_, "Hi");
    auto first = service_->beginReply(conversation_, question, {});
    first.finish(store::MessageState::Done, nlohmann::json::object());
    MessageModel model;
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.rowCount(), 2);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    // Send: two rows more at the end, the first two untouched.
    const auto next = service_->addUserMessage(conversation_, "Again");
    auto second = service_->beginReply(conversation_, next, {});
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 2);
    QCOMPARE(inserted.at(0).at(2).toInt(), 3);
    QCOMPARE(model.index(2).data(MessageModel::ContentRole).toString(), QStringLiteral("Again"));
    second.finish(store::MessageState::Done, nlohmann::json::object());

    // Regenerate the last answer: its row goes, the sibling comes, and the question above it
    // is announced only if its own data changed (it did not).
    inserted.clear();
    auto third = service_->beginReply(conversation_, next, {});
    model.setBranch(service_->shownBranch(conversation_));
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 3);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 3);
    QCOMPARE(model.index(3).data(MessageModel::MessageIdRole).toLongLong(), third.messageId());
    QCOMPARE(model.index(3).data(MessageModel::SiblingCountRole).toInt(), 2);
    QCOMPARE(changed.count(), 0);

    // Another conversation shares nothing: everything is replaced.
    model.setBranch({});
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(reset.count(), 0);
  }

  void batcherHandsTheFirstPieceOnAtOnceAndHoldsTheRest() {
    QList<StreamBatch> got;
    StreamBatcher batcher([&](StreamBatch b) { got << b; }, std::chrono::hours(1));
    batcher.onThinking("a");
    QCOMPARE(got.size(), 1);
    QCOMPARE(got[0].thinking, QStringLiteral("a"));
    batcher.onThinking("b");
    batcher.onAnswer("c");
    flint::engine::Stats stats;
    stats.generatedTokens = 3;
    batcher.onStats(stats);
    QCOMPARE(got.size(), 1);
    batcher.flush();
    QCOMPARE(got.size(), 2);
    QCOMPARE(got[1].thinking, QStringLiteral("b"));
    QCOMPARE(got[1].answer, QStringLiteral("c"));
    QVERIFY(got[1].stats);
    QCOMPARE(got[1].stats->generatedTokens, std::size_t(3));
    batcher.flush();
    QCOMPARE(got.size(), 2);  // nothing held, nothing sent
  }

  void batcherHandsOnPrefillProgressAndAlwaysItsEnd() {
    QList<StreamBatch> got;
    StreamBatcher batcher([&](StreamBatch b) { got << b; }, std::chrono::hours(1));
    batcher.onPrefillProgress(0, 3000);
    QCOMPARE(got.size(), 1);
    QCOMPARE(got[0].prefill, std::make_optional(std::make_pair(std::size_t(0), std::size_t(3000))));
    batcher.onPrefillProgress(256, 3000);  // held: not due
    QCOMPARE(got.size(), 1);
    batcher.onPrefillProgress(3000, 3000);  // the end goes at once: the view must stop its line
    QCOMPARE(got.size(), 2);
    QCOMPARE(got[1].prefill->first, std::size_t(3000));
    batcher.onThinking("a");
    batcher.flush();
    QCOMPARE(got.size(), 3);
    QVERIFY(!got[2].prefill);
  }

  // 10,000 deltas from another thread, as fast as a tight loop with a short pause allows.
  void streamFromAnotherThreadIsBatchedAndExact() {
    const auto question = service_->addUserMessage(conversation_, "Count.");
    auto reply = service_->beginReply(conversation_, question, {});
    const std::int64_t id = reply.messageId();
    MessageModel model;
    model.setBranch(service_->shownBranch(conversation_));

    FakeEngine engine;
    int updates = 0;
    bool offThread = false;
    std::optional<flint::engine::Stats> lastStats;
    connect(&engine, &FakeEngine::streamed, &model, [&](const StreamBatch& batch) {
      offThread |= QThread::currentThread() != model.thread();
      model.appendText(id, batch.thinking, batch.answer);
      if (batch.stats) lastStats = batch.stats;
    });
    connect(&model, &QAbstractItemModel::dataChanged, &model, [&] { ++updates; });

    constexpr int kDeltas = 10000;
    QString expectedThinking, expectedAnswer;
    for (int i = 0; i < kDeltas; ++i) {
      (i < kDeltas / 2 ? expectedThinking : expectedAnswer) += QString::number(i % 10) + "é ";
    }
    double producerSeconds = 0;
    std::atomic<bool> done{false};
    QThread* producer = QThread::create([&] {
      QElapsedTimer clock;
      clock.start();
      StreamBatcher batcher([&](StreamBatch b) { emit engine.streamed(b); });
      flint::engine::Stats stats;
      for (int i = 0; i < kDeltas; ++i) {
        const std::string piece = std::to_string(i % 10) + "é ";
        if (i < kDeltas / 2)
          batcher.onThinking(piece);
        else
          batcher.onAnswer(piece);
        stats.generatedTokens = std::size_t(i + 1);
        if (i % 10 == 9) batcher.onStats(stats);
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      batcher.flush();
      producerSeconds = double(clock.nsecsElapsed()) / 1e9;
      done = true;
    });
    producer->start();
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 60000);
    QVERIFY(producer->wait(10000));
    delete producer;
    QCoreApplication::processEvents();  // the last queued batch

    QCOMPARE(model.index(1).data(MessageModel::ThinkingRole).toString(), expectedThinking);
    QCOMPARE(model.index(1).data(MessageModel::ContentRole).toString(), expectedAnswer);
    QVERIFY(lastStats);
    QCOMPARE(lastStats->generatedTokens, std::size_t(kDeltas));
    QVERIFY2(!offThread, "a batch reached the model off the GUI thread");
    // At most one batch per 1/60 s, plus the first and the final flush.
    const int allowed = int(producerSeconds * 60) + 2;
    QVERIFY2(updates <= allowed,
             qPrintable(QString("%1 updates in %2 s").arg(updates).arg(producerSeconds)));
    QVERIFY2(
        updates >= 5,
        qPrintable(
            QString("only %1 updates in %2 s: not streamed").arg(updates).arg(producerSeconds)));
  }

 private:
  QTemporaryDir dir_;
  std::optional<store::ConversationService> service_;
  std::int64_t conversation_ = 0;
};

QTEST_GUILESS_MAIN(MessageModelTest)
#include "test_message_model.moc"
