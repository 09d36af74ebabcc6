// The settings page's model on a temporary store: edits round-trip through the global layer
// only on save, bad values are refused in words, the theme follows the saved value, and the
// saved settings shape the ChatController's next reply on flint-tiny (max tokens, speculation,
// the system prompt).
#include "app/store/conversation_service.h"
#include "app/store/settings.h"
#include "ui/chat_controller.h"
#include "ui/settings_model.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <optional>

using flint::ui::ChatController;
using flint::ui::SettingsModel;
namespace store = flint::store;

namespace {

constexpr int kReplyTimeoutMs = 60000;

// The stored figures of the conversation's last reply.
nlohmann::json lastReplyStats(const QString& dbPath, qint64 conversationId) {
  store::ConversationService service(dbPath.toStdString());
  const std::vector<store::PathEntry> branch = service.shownBranch(conversationId);
  return branch.back().message.stats;
}

}  // namespace

class SettingsModelTest : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    dbPath_ = dir_.path() + "/settings.db";
    QFile::remove(dbPath_);
    store::ConversationService setup(dbPath_.toStdString());  // creates the schema
  }

  void startsFromTheDefaults() {
    SettingsModel settings;
    settings.setDatabasePath(dbPath_);
    const store::Settings defaults;
    QCOMPARE(settings.temperature(), defaults.sampling.temperature);
    QCOMPARE(settings.maxDrafts(), defaults.maxDrafts);
    QCOMPARE(settings.speculation(), true);
    QCOMPARE(settings.theme(), QStringLiteral("light"));
    QVERIFY(!settings.dark());
    QCOMPARE(settings.error(), QString());
  }

  void editsRoundTripThroughTheStoreOnSave() {
    {
      SettingsModel settings;
      settings.setDatabasePath(dbPath_);
      QSignalSpy edited(&settings, &SettingsModel::edited);
      settings.setTemperature(0.7);
      settings.setTopP(0.9);
      settings.setTopK(40);
      settings.setMaxTokens(128);
      settings.setSpeculation(false);
      settings.setMaxDrafts(3);
      settings.setSystemPrompt("Answer like a pirate.");
      settings.setTheme("dark");
      QCOMPARE(edited.count(), 8);
      QVERIFY(!settings.dark());  // the window changes on save, not while editing
      {
        store::ConversationService peek(dbPath_.toStdString());
        QVERIFY(store::effectiveSettings(peek.database(), {}) == store::Settings{});
      }
      QVERIFY(settings.save());
      QVERIFY(settings.dark());
    }
    SettingsModel again;
    again.setDatabasePath(dbPath_);
    QCOMPARE(again.temperature(), 0.7);
    QCOMPARE(again.topP(), 0.9);
    QCOMPARE(again.topK(), 40);
    QCOMPARE(again.maxTokens(), 128);
    QCOMPARE(again.speculation(), false);
    QCOMPARE(again.maxDrafts(), 3);
    QCOMPARE(again.systemPrompt(), QStringLiteral("Answer like a pirate."));
    QCOMPARE(again.theme(), QStringLiteral("dark"));
    QVERIFY(again.dark());

    store::ConversationService service(dbPath_.toStdString());
    const store::Settings stored = store::effectiveSettings(service.database(), {});
    QCOMPARE(stored.sampling.maxTokens, 128);
    QCOMPARE(stored.maxDrafts, 3);
    QVERIFY(stored.theme == store::Theme::Dark);
  }

  void saveKeepsTheModeAndTheMemoryBudget() {
    {
      store::ConversationService setup(dbPath_.toStdString());
      store::SettingsOverrides global;
      global.thinkingMode = store::ThinkingMode::High;
      global.memory = store::MemoryBudgets{std::nullopt, 1ull << 30};
      store::saveGlobalSettings(setup.database(), global);
    }
    SettingsModel settings;
    settings.setDatabasePath(dbPath_);
    settings.setTopK(7);
    QVERIFY(settings.save());
    store::ConversationService service(dbPath_.toStdString());
    const store::Settings stored = store::effectiveSettings(service.database(), {});
    QCOMPARE(stored.sampling.topK, 7);
    QVERIFY(stored.thinkingMode == store::ThinkingMode::High);
    QCOMPARE(stored.memory.hostBytes, std::optional<std::uint64_t>(1ull << 30));
  }

  void reloadDropsEditsAndBadValuesAreRefusedInWords() {
    SettingsModel settings;
    settings.setDatabasePath(dbPath_);
    settings.setMaxTokens(64);
    settings.reload();
    QCOMPARE(settings.maxTokens(), 0);

    settings.setTemperature(3.5);
    QVERIFY(!settings.save());
    QVERIFY2(settings.error().startsWith("The temperature") && settings.error().endsWith('.'),
             qPrintable(settings.error()));
    settings.setTemperature(1.0);
    settings.setMaxDrafts(0);
    QVERIFY(!settings.save());
    QVERIFY(settings.error().contains("drafts"));
    settings.setTheme("sepia");
    QVERIFY(settings.error().contains("not a theme"));
    QCOMPARE(settings.theme(), QStringLiteral("light"));

    settings.restoreDefaults();
    QVERIFY(settings.save());
    QCOMPARE(settings.error(), QString());
  }

  // Saved settings reach the GenerateRequest of the next reply.
  void savedSettingsShapeTheReply() {
    ChatController chat;
    chat.setDatabasePath(dbPath_);
    chat.setModelDir(FLINT_TINY_DIR);
    QTRY_COMPARE_WITH_TIMEOUT(chat.modelStatus(), QStringLiteral("ready"), kReplyTimeoutMs);

    SettingsModel settings;
    settings.setDatabasePath(dbPath_);
    settings.setTemperature(0);
    settings.setMaxTokens(5);
    QVERIFY(settings.save());

    const nlohmann::json plain = reply(chat, "Tell me a long story about the sea.");
    QCOMPARE(plain.value("generated_tokens", 0), 5);
    QVERIFY(chat.stats()->speculating());

    settings.setSpeculation(false);
    settings.setSystemPrompt("You are a terse assistant who speaks only about lighthouses.");
    QVERIFY(settings.save());
    const nlohmann::json shaped = reply(chat, "Tell me a long story about the sea.");
    QCOMPARE(shaped.value("generated_tokens", 0), 5);
    QVERIFY(!chat.stats()->speculating());
    // The same question in a new conversation: only the system prompt makes it longer.
    const int plainPrompt = plain.value("prompt_tokens", 0) + plain.value("reused_tokens", 0);
    const int shapedPrompt = shaped.value("prompt_tokens", 0) + shaped.value("reused_tokens", 0);
    QVERIFY2(shapedPrompt >= plainPrompt + 10,
             qPrintable(QString("%1 vs %2").arg(shapedPrompt).arg(plainPrompt)));
  }

 private:
  nlohmann::json reply(ChatController& chat, const QString& question) {
    chat.newConversation();
    QSignalSpy finished(&chat, &ChatController::replyFinished);
    chat.send(question);
    if (!finished.wait(kReplyTimeoutMs)) return {};
    return lastReplyStats(dbPath_, chat.conversationId());
  }

  QTemporaryDir dir_;
  QString dbPath_;
};

QTEST_MAIN(SettingsModelTest)
#include "test_settings_model.moc"
