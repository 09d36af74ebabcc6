// The ChatController end to end on the bundled flint-tiny and a temporary store: a message
// streams into the MessageModel and the store, stop, regenerate and edit-and-resend make
// branches that showSibling walks, the thinking mode is stored per conversation and on each
// answer, and failures read as sentences.
#include "app/store/conversation_service.h"
#include "app/store/settings.h"
#include "tests/ui/greedy_database.h"
#include "ui/chat_controller.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <optional>

using flint::ui::ChatController;
using flint::ui::MessageModel;
namespace store = flint::store;

namespace {

constexpr int kReplyTimeoutMs = 60000;

QVariant at(const ChatController& chat, int row, int role) {
  return chat.messages()->index(row).data(role);
}

}  // namespace

class ChatControllerTest : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    dbPath_ = dir_.path() + "/chat.db";
    flint::ui::testing::createGreedyDatabase(dbPath_, 24);
    chat_.emplace();
    chat_->setDatabasePath(dbPath_);
  }
  void cleanup() { chat_.reset(); }

  void loadsTheModel() {
    chat_->setModelDir(FLINT_TINY_DIR);
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kReplyTimeoutMs);
    QCOMPARE(chat_->modelName(), QStringLiteral("flint-tiny"));
    QCOMPARE(chat_->error(), QString());
  }

  void aMissingModelIsASentenceAndRepliesFailInWords() {
    chat_->setModelDir(dir_.path() + "/no-such-model");
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("failed"), kReplyTimeoutMs);
    QVERIFY2(chat_->error().startsWith("The model could not be loaded: ") &&
                 chat_->error().contains("no-such-model") && chat_->error().endsWith('.'),
             qPrintable(chat_->error()));
    chat_->send("Hello?");
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    QCOMPARE(at(*chat_, 1, MessageModel::StateRole).toString(), QStringLiteral("error"));
    QVERIFY(chat_->error().startsWith("No model is loaded"));
  }

  void sendStreamsIntoTheModelAndTheStore() {
    loadModel();
    QSignalSpy listChanged(chat_.operator->(), &ChatController::conversationsChanged);
    QSignalSpy contentChanged(chat_->messages(), &QAbstractItemModel::dataChanged);
    chat_->send("  Hello, who are you? This title is longer than forty characters  ");
    QVERIFY(chat_->busy());
    QVERIFY(chat_->conversationId() > 0);
    QCOMPARE(chat_->messages()->rowCount(), 2);
    QCOMPARE(at(*chat_, 1, MessageModel::StreamingRole).toBool(), true);
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);

    QCOMPARE(at(*chat_, 1, MessageModel::StateRole).toString(), QStringLiteral("done"));
    QCOMPARE(at(*chat_, 1, MessageModel::StreamingRole).toBool(), false);
    const QString answer = at(*chat_, 1, MessageModel::ContentRole).toString();
    QVERIFY(!answer.isEmpty());
    QVERIFY(contentChanged.count() >= 1);
    QVERIFY(listChanged.count() >= 2);  // created, then the reply ended

    store::ConversationService reader(dbPath_.toStdString());
    const auto conversations = reader.list();
    QCOMPARE(conversations.size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(conversations[0].title),
             QStringLiteral("Hello, who are you? This title is longer…"));
    const auto branch = reader.shownBranch(chat_->conversationId());
    QCOMPARE(branch.size(), std::size_t(2));
    QCOMPARE(QString::fromStdString(branch[0].message.content),
             QStringLiteral("Hello, who are you? This title is longer than forty characters"));
    QCOMPARE(QString::fromStdString(branch[1].message.content), answer);
    QVERIFY(branch[1].message.state == store::MessageState::Done);
    QVERIFY(branch[1].message.stats.value("generated_tokens", 0) > 0);

    // A second message while the first is still answering is not taken.
    chat_->send("One");
    chat_->send("Two");
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    QCOMPARE(chat_->messages()->rowCount(), 4);
    QCOMPARE(at(*chat_, 2, MessageModel::ContentRole).toString(), QStringLiteral("One"));
  }

  void thinkingModeIsStoredPerConversationAndOnEachAnswer() {
    loadModel();
    QSignalSpy modeChanged(chat_.operator->(), &ChatController::modeChanged);
    chat_->setMode("high");
    QCOMPARE(chat_->mode(), QStringLiteral("high"));
    QCOMPARE(modeChanged.count(), 1);
    chat_->send("Hello, who are you?");
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    const qint64 first = chat_->conversationId();
    QCOMPARE(at(*chat_, 1, MessageModel::ModeRole).toString(), QStringLiteral("high"));
    // flint-tiny reasons in High mode; the block says how long it took.
    QVERIFY(!at(*chat_, 1, MessageModel::ThinkingRole).toString().isEmpty());
    QVERIFY(at(*chat_, 1, MessageModel::ThinkingSecondsRole).toDouble() > 0);

    chat_->setMode("max");
    chat_->newConversation();
    QCOMPARE(chat_->conversationId(), 0);
    QCOMPARE(chat_->messages()->rowCount(), 0);
    chat_->setMode("non-think");
    chat_->open(first);
    QCOMPARE(chat_->mode(), QStringLiteral("max"));
    QCOMPARE(chat_->messages()->rowCount(), 2);
    QVERIFY(at(*chat_, 1, MessageModel::ThinkingSecondsRole).toDouble() > 0);  // from the store

    store::ConversationService reader(dbPath_.toStdString());
    QVERIFY(store::effectiveSettings(reader.database(), first).thinkingMode ==
            store::ThinkingMode::Max);
    QVERIFY(reader.shownBranch(first)[1].message.mode == store::ThinkingMode::High);

    chat_->setMode("ultra");
    QCOMPARE(chat_->mode(), QStringLiteral("max"));
    QVERIFY(chat_->error().contains("ultra"));
  }

  // Stop lands before the first token: the model is still loading when the reply is asked for.
  void stopEndsTheReplyAsInterrupted() {
    chat_->setModelDir(FLINT_TINY_DIR);
    chat_->send("Tell me a long story.");
    chat_->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    QCOMPARE(at(*chat_, 1, MessageModel::StateRole).toString(), QStringLiteral("interrupted"));
    store::ConversationService reader(dbPath_.toStdString());
    QVERIFY(reader.shownBranch(chat_->conversationId())[1].message.state ==
            store::MessageState::Interrupted);
    QCOMPARE(chat_->error(), QString());
  }

  void regenerateAndEditMakeBranchesThatShowSiblingWalks() {
    loadModel();
    chat_->send("Hello, who are you?");
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    const qint64 question = at(*chat_, 0, MessageModel::MessageIdRole).toLongLong();
    const qint64 firstReply = at(*chat_, 1, MessageModel::MessageIdRole).toLongLong();

    chat_->regenerate(firstReply);
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    const qint64 secondReply = at(*chat_, 1, MessageModel::MessageIdRole).toLongLong();
    QVERIFY(secondReply != firstReply);
    QCOMPARE(at(*chat_, 1, MessageModel::SiblingIndexRole).toInt(), 2);
    QCOMPARE(at(*chat_, 1, MessageModel::SiblingCountRole).toInt(), 2);

    chat_->showSibling(secondReply, -1);
    QCOMPARE(at(*chat_, 1, MessageModel::MessageIdRole).toLongLong(), firstReply);
    QCOMPARE(at(*chat_, 1, MessageModel::SiblingIndexRole).toInt(), 1);
    chat_->showSibling(firstReply, +1);
    QCOMPARE(at(*chat_, 1, MessageModel::MessageIdRole).toLongLong(), secondReply);

    chat_->editAndResend(question, "What is two plus two?");
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->busy(), kReplyTimeoutMs);
    QCOMPARE(chat_->messages()->rowCount(), 2);
    const qint64 editedQuestion = at(*chat_, 0, MessageModel::MessageIdRole).toLongLong();
    QVERIFY(editedQuestion != question);
    QCOMPARE(at(*chat_, 0, MessageModel::ContentRole).toString(),
             QStringLiteral("What is two plus two?"));
    QCOMPARE(at(*chat_, 0, MessageModel::SiblingIndexRole).toInt(), 2);
    QCOMPARE(at(*chat_, 1, MessageModel::SiblingCountRole).toInt(), 1);
    QCOMPARE(at(*chat_, 1, MessageModel::StateRole).toString(), QStringLiteral("done"));

    chat_->showSibling(editedQuestion, -1);
    QCOMPARE(at(*chat_, 0, MessageModel::MessageIdRole).toLongLong(), question);
    QCOMPARE(at(*chat_, 1, MessageModel::MessageIdRole).toLongLong(), secondReply);
  }

  void copyPutsTheTextOnTheClipboard() {
    chat_->copyToClipboard("some **markdown**");
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("some **markdown**"));
  }

 private:
  void loadModel() {
    chat_->setModelDir(FLINT_TINY_DIR);
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kReplyTimeoutMs);
  }

  QTemporaryDir dir_;
  QString dbPath_;
  std::optional<ChatController> chat_;
};

QTEST_MAIN(ChatControllerTest)
#include "test_chat_controller.moc"
