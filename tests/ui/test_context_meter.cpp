// The ContextMeter on flint-tiny: the maximum from config.json, counts that add up to the
// exact prompt of the next turn (checked against the prompt encoder itself), a reply still
// streaming left out, the latest text winning, blank text at once, large text counted off the
// GUI thread, and a folder without a model.
#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/tokenizer.h"
#include "ui/context_meter.h"

#include <QSignalSpy>
#include <QStandardItemModel>
#include <QtTest>

using flint::engine::ChatMessage;
using flint::engine::ChatRole;
using flint::engine::ThinkingMode;
using flint::ui::ContextMeter;

namespace {

constexpr int kRole = Qt::UserRole + 1, kContent = kRole + 1, kThinking = kRole + 2,
              kStreaming = kRole + 3;

void addMessage(QStandardItemModel& model, const QString& role, const QString& content,
                const QString& thinking = {}, bool streaming = false) {
  auto* item = new QStandardItem;
  item->setData(role, kRole);
  item->setData(content, kContent);
  item->setData(thinking, kThinking);
  item->setData(streaming, kStreaming);
  model.appendRow(item);
}

}  // namespace

class ContextMeterTest : public QObject {
  Q_OBJECT

  flint::engine::Tokenizer tokenizer_ = flint::engine::Tokenizer::fromModelDir(FLINT_TINY_DIR);
  QStandardItemModel messages_;

  // The prompt the ChatController would build for the shown messages and a new question.
  int promptLength(std::vector<ChatMessage> conversation, const QString& question,
                   ThinkingMode mode) {
    conversation.push_back({ChatRole::kUser, question.toStdString(), ""});
    return int(flint::engine::PromptEncoder(tokenizer_).encode(conversation, mode).ids.size());
  }

  std::vector<ChatMessage> sampleConversation() {
    return {{ChatRole::kUser, "What is 2+2?", ""},
            {ChatRole::kAssistant, "It is **4**.", "Two and two make four."}};
  }

 private slots:
  void init() {
    messages_.clear();
    messages_.setItemRoleNames({{kRole, "role"},
                                {kContent, "content"},
                                {kThinking, "thinking"},
                                {kStreaming, "streaming"}});
    addMessage(messages_, "user", "What is 2+2?");
    addMessage(messages_, "assistant", "It is **4**.", "Two and two make four.");
  }

  void readsTheMaximumFromTheConfig() {
    ContextMeter meter;
    QVERIFY(!meter.ready());
    meter.setModelDir(FLINT_TINY_DIR);
    QTRY_VERIFY(meter.ready());
    QCOMPARE(meter.max(), 4096);
    QVERIFY(meter.error().isEmpty());
    QVERIFY(meter.shortForThinkMax());  // 4K is far below the 384K Think Max wants
    QCOMPARE(meter.thinkMaxRecommendedContext(), 393216);
  }

  void countsAddUpToTheNextPrompt() {
    ContextMeter meter;
    meter.setMode(QStringLiteral("high"));
    meter.setMessages(&messages_);
    meter.setModelDir(FLINT_TINY_DIR);
    const int empty = promptLength(sampleConversation(), QString(), ThinkingMode::kHigh);
    QTRY_COMPARE(meter.used(), empty);
    QCOMPARE(meter.typed(), 0);

    const QString question = QStringLiteral("  And what is 47+38, written out in words?\n");
    meter.setText(question);
    QCOMPARE(meter.typed(), 0);  // counted a moment after typing stops, not at once
    QTRY_VERIFY(meter.typed() > 0);
    // What Send sends (trimmed) gives the whole prompt: the meter predicts it exactly.
    QCOMPARE(meter.total(),
             promptLength(sampleConversation(), question.trimmed(), ThinkingMode::kHigh));
    QCOMPARE(meter.fraction(), double(meter.total()) / 4096);
    QVERIFY(!meter.nearLimit());
    QVERIFY(!meter.overLimit());

    // Think Max adds its preamble to the conversation's share.
    meter.setMode(QStringLiteral("max"));
    QTRY_COMPARE(meter.used(), promptLength(sampleConversation(), QString(), ThinkingMode::kMax));
    QVERIFY(meter.used() > empty);
  }

  void aStreamingReplyCountsOnceItEnds() {
    ContextMeter meter;
    meter.setMessages(&messages_);
    meter.setModelDir(FLINT_TINY_DIR);
    const int before = promptLength(sampleConversation(), QString(), ThinkingMode::kNonThink);
    QTRY_COMPARE(meter.used(), before);

    addMessage(messages_, "user", "Thanks!");
    addMessage(messages_, "assistant", "You are welcome", QString(), true);
    std::vector<ChatMessage> asked = sampleConversation();
    asked.push_back({ChatRole::kUser, "Thanks!", ""});
    QTRY_COMPARE(meter.used(), promptLength(asked, QString(), ThinkingMode::kNonThink));

    // Text streaming into the reply changes nothing; its end does.
    QSignalSpy counts(&meter, &ContextMeter::countsChanged);
    messages_.item(3)->setData(QStringLiteral("You are welcome, any time."), kContent);
    QTest::qWait(100);
    QCOMPARE(counts.count(), 0);
    messages_.item(3)->setData(false, kStreaming);
    asked.push_back({ChatRole::kAssistant, "You are welcome, any time.", ""});
    QTRY_COMPARE(meter.used(), promptLength(asked, QString(), ThinkingMode::kNonThink));
  }

  void theLatestTextWinsAndBlankTextIsZeroAtOnce() {
    ContextMeter meter;
    meter.setModelDir(FLINT_TINY_DIR);
    QTRY_VERIFY(meter.ready());
    QString text;
    for (char c : std::string("the quick brown fox jumps")) {
      text += QLatin1Char(c);
      meter.setText(text);
    }
    const int expected =
        int(tokenizer_.encode(text.toStdString(), flint::engine::SpecialTokens::kPlainText).size());
    QTRY_COMPARE(meter.typed(), expected);

    meter.setText(QStringLiteral(" \n "));
    QCOMPARE(meter.typed(), 0);
    QTest::qWait(ContextMeter::kTypingPauseMs * 2);
    QCOMPARE(meter.typed(), 0);
  }

  void largeTextIsCountedOffTheGuiThread() {
    ContextMeter meter;
    meter.setModelDir(FLINT_TINY_DIR);
    QTRY_VERIFY(meter.ready());
    const QString pasted =
        QStringLiteral("Lorem ipsum dolor sit amet, consectetur. ").repeated(20000);
    meter.setText(pasted);
    QCOMPARE(meter.typed(), 0);  // setText only starts the count
    QTRY_VERIFY_WITH_TIMEOUT(meter.overLimit(), 30000);
    QVERIFY(meter.nearLimit());
    QVERIFY(meter.fraction() > 1);
    QCOMPARE(meter.typed(), int(tokenizer_
                                    .encode(pasted.trimmed().toStdString(),
                                            flint::engine::SpecialTokens::kPlainText)
                                    .size()));
  }

  void aFolderWithoutAModelSaysSo() {
    ContextMeter meter;
    meter.setModelDir(QStringLiteral("/nonexistent/flint-model"));
    QTRY_VERIFY(!meter.error().isEmpty());
    QVERIFY(meter.error().startsWith("Tokens cannot be counted for this model: "));
    QVERIFY(meter.error().endsWith('.'));
    QVERIFY(!meter.ready());
    QCOMPARE(meter.max(), 0);
    QVERIFY(!meter.shortForThinkMax());
    meter.setText(QStringLiteral("hello"));
    QTest::qWait(ContextMeter::kTypingPauseMs * 2);
    QCOMPARE(meter.typed(), 0);
    QVERIFY(!meter.overLimit());

    // Back to a model: it counts again.
    meter.setModelDir(FLINT_TINY_DIR);
    QTRY_VERIFY(meter.ready());
    QVERIFY(meter.error().isEmpty());
    QTRY_VERIFY(meter.typed() > 0);
  }

  void aRemoteModelIsNotCountedWithAnotherTokenizer() {
    ContextMeter meter;
    meter.setText(QStringLiteral("hello"));
    meter.setModelDir(QStringLiteral("http://127.0.0.1:8080/v1#deepseek-v4-flash"));
    QVERIFY(meter.error().contains("remote endpoint counts its own tokens"));
    QVERIFY(!meter.ready());
    QTest::qWait(ContextMeter::kTypingPauseMs * 2);
    QCOMPARE(meter.typed(), 0);
  }
};

QTEST_GUILESS_MAIN(ContextMeterTest)
#include "test_context_meter.moc"
