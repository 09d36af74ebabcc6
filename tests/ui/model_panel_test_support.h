#pragma once
// What the model panel's tests share: the controller each test starts with, flint-tiny's folder
// (FLINT_TINY_DIR, set by the test's target), loading it on the controller and asking it a
// question, and a window that shows the panel on that controller.
#include "tests/ui/greedy_database.h"
#include "ui/chat_controller.h"
#include "ui/message_model.h"

#include <QDir>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>
#include <optional>

namespace flint::ui::testing {

constexpr int kTimeoutMs = 60000;

// A controller in `chat` on a fresh store in `dir` (its path in `dbPath`) whose replies are
// short and greedy.
inline void startChatOnFreshStore(const QTemporaryDir& dir, QString& dbPath,
                                  std::optional<ChatController>& chat) {
  dbPath = dir.path() + "/panel.db";
  createGreedyDatabase(dbPath, 4);
  chat.emplace();
  chat->setDatabasePath(dbPath);
}

inline QString tinyDir() {
  return QDir::cleanPath(QStringLiteral(FLINT_TINY_DIR));
}

inline void loadTiny(ChatController& chat) {
  chat.setModelDir(tinyDir());
  QTRY_COMPARE_WITH_TIMEOUT(chat.modelStatus(), QStringLiteral("ready"), kTimeoutMs);
}

// Sends a question in a new conversation; the state of its reply.
inline QString replyState(ChatController& chat) {
  chat.newConversation();
  QSignalSpy finished(&chat, &ChatController::replyFinished);
  chat.send("Hello?");
  if (!finished.wait(kTimeoutMs)) return QStringLiteral("timed out");
  return chat.messages()->index(1).data(MessageModel::StateRole).toString();
}

// A window with the model panel on `chat`, the panel open; tall enough for the panel with a
// device plan, so every control in it can be clicked. On failure the test has failed and
// `window` may be empty.
inline void openModelPanel(QQmlEngine& engine, ChatController& chat,
                           std::unique_ptr<QObject>& window) {
  engine.addImportPath(QStringLiteral("qrc:/"));
  QQmlComponent component(&engine);
  component.setData(
      "import QtQuick\nimport QtQuick.Controls\nimport Flint\n"
      "ApplicationWindow { width: 700; height: 900; visible: true\n"
      "  required property ChatController chat\n"
      "  ModelPanel { objectName: 'panel'; controller: chat } }",
      QUrl());
  window.reset(component.createWithInitialProperties({{"chat", QVariant::fromValue(&chat)}}));
  QVERIFY2(window, qPrintable(component.errorString()));
  QVERIFY(QTest::qWaitForWindowExposed(qobject_cast<QQuickWindow*>(window.get())));
  QObject* panel = window->findChild<QObject*>("panel");
  QVERIFY(panel);
  QMetaObject::invokeMethod(panel, "open");
}

}  // namespace flint::ui::testing
