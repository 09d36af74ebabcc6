// Documents in the chat: the DocumentListModel imports a file on its own thread with progress,
// refuses a binary one in a sentence and stops when cancelled; the ContextMeter says whether
// documents fit whole; and the ChatController's questions over them carry them to flint-tiny,
// whole when they fit and as cited passages when they do not. "Attach…" offers the importer's
// formats in its file picker, and attaches every file chosen there.
#include "app/documents/document_import.h"
#include "app/store/conversation_service.h"
#include "app/store/documents.h"
#include "tests/ui/greedy_database.h"
#include "tests/ui/window_probe.h"
#include "ui/chat_controller.h"
#include "ui/context_meter.h"
#include "ui/document_file_types.h"
#include "ui/document_list_model.h"

#include <QFile>
#include <QQuickItem>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

using flint::ui::ChatController;
using flint::ui::ContextMeter;
using flint::ui::DocumentListModel;
namespace store = flint::store;

namespace {

constexpr int kTimeoutMs = 120000;

void writeFile(const QString& path, const QByteArray& bytes) {
  QFile file(path);
  QVERIFY(file.open(QIODevice::WriteOnly));
  QCOMPARE(file.write(bytes), bytes.size());
}

// Prose of `paragraphs` paragraphs, each about its own numbered topic.
QByteArray prose(int paragraphs) {
  QByteArray text;
  for (int i = 0; i < paragraphs; ++i)
    text += QByteArray("Paragraph ") + QByteArray::number(i) +
            " describes the garden of house number " + QByteArray::number(i * 7) +
            ", where the roses grow beside a stone wall and the bees visit every morning.\n\n";
  return text;
}

// "Markdown (*.md *.markdown)" -> {"*.md", "*.markdown"}; none when the filter is not named so.
QStringList patternsIn(const QString& filter, const QString& name) {
  if (!filter.startsWith(name + " (") || !filter.endsWith(')')) return {};
  return filter.mid(name.size() + 2).chopped(1).split(' ', Qt::SkipEmptyParts);
}

// Repeater delegates are items of the scene, not QObject children: walk the items.
QQuickItem* findItem(QQuickItem* root, const QString& name) {
  for (QQuickItem* child : root->childItems()) {
    if (child->objectName() == name) return child;
    if (QQuickItem* found = findItem(child, name)) return found;
  }
  return nullptr;
}

qint64 statOf(const store::Message& message, const char* name) {
  return message.stats.value(name, qint64(-1));
}

}  // namespace

class DocumentListModelTest : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    // Saved document prefixes go under the data folder: each case starts with none.
    qputenv("XDG_DATA_HOME", (dir_.path() + "/data-" + QString::number(++case_)).toUtf8());
    dbPath_ = dir_.path() + "/chat.db";
    flint::ui::testing::createGreedyDatabase(dbPath_, 8);
    store::ConversationService service(dbPath_.toStdString());
    conversation_ = service.create("Documents", "flint-tiny");
  }

  void importsATextFileOffTheGuiThreadWithProgress() {
    DocumentListModel model;
    readyModel(model);
    const QString file = dir_.path() + "/garden.md";
    writeFile(file, prose(400));
    std::vector<double> progress;
    connect(&model, &DocumentListModel::progressChanged, this,
            [&] { progress.push_back(model.progress()); });
    QSignalSpy finished(&model, &DocumentListModel::importFinished);

    model.add(QUrl::fromLocalFile(file).toString());
    // add() returned before the file was read: the import runs on another thread.
    QVERIFY(model.importing());
    QCOMPARE(model.importingName(), QStringLiteral("garden.md"));
    QCOMPARE(model.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);

    QVERIFY(!model.importing());
    QCOMPARE(model.error(), QString());
    QCOMPARE(model.count(), 1);
    const qint64 id = finished.at(0).at(0).toLongLong();
    QVERIFY(id > 0);
    const QModelIndex row = model.index(0);
    QCOMPARE(row.data(DocumentListModel::DocumentIdRole).toLongLong(), id);
    QCOMPARE(row.data(DocumentListModel::NameRole).toString(), QStringLiteral("garden.md"));
    QCOMPARE(row.data(DocumentListModel::FormatRole).toString(), QStringLiteral("text/markdown"));
    QCOMPARE(row.data(DocumentListModel::ByteSizeRole).toLongLong(), QFileInfo(file).size());
    const qint64 tokens = row.data(DocumentListModel::TokenCountRole).toLongLong();
    QVERIFY(tokens > 1000);
    // The document's block in the prompt: its text and the delimiters with its title.
    QVERIFY(model.documentTokens() > tokens);

    // Progress rose through values between 0 and 1 and ended at 1.
    QVERIFY(std::is_sorted(progress.begin(), progress.end()));
    QVERIFY(std::any_of(progress.begin(), progress.end(), [](double p) { return p > 0 && p < 1; }));
    QCOMPARE(progress.back(), 1.0);

    // It is in the store, attached to the conversation, with its chunks.
    store::Database db = store::Database::open(dbPath_.toStdString());
    const std::vector<store::Document> stored = store::listDocuments(db, conversation_);
    QCOMPARE(stored.size(), std::size_t(1));
    QCOMPARE(stored[0].id, id);
    QVERIFY(!store::searchChunks(db, id, "roses", 3).empty());

    model.remove(id);
    QCOMPARE(model.count(), 0);
    QCOMPARE(model.documentTokens(), 0);
    QVERIFY(store::listDocuments(db, conversation_).empty());
  }

  // Picked files arrive as URLs: a name with '#' and '%' arrives whole, and a file that is not
  // on this computer is refused in a sentence.
  void pickedUrlsKeepEveryCharacterOfTheName() {
    DocumentListModel model;
    readyModel(model);
    const QString file = dir_.path() + "/notes #1 100%.txt";
    writeFile(file, prose(50));
    QSignalSpy finished(&model, &DocumentListModel::importFinished);
    model.addUrls({QUrl::fromLocalFile(file)});
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(model.error(), QString());
    QCOMPARE(model.index(0).data(DocumentListModel::NameRole).toString(),
             QStringLiteral("notes #1 100%.txt"));

    model.addUrls({QUrl(QStringLiteral("https://example.com/a.txt"))});
    QVERIFY(model.error().startsWith(
        QStringLiteral("Flint opens files and folders on this computer only")));
    QCOMPARE(model.count(), 1);
  }

  void aFileThatChangesOnDiskIsMarkedAndItsCopyKept() {
    DocumentListModel model;
    readyModel(model);
    const QString file = dir_.path() + "/plan.txt";
    writeFile(file, "The meeting is on Tuesday.\n");
    QSignalSpy finished(&model, &DocumentListModel::importFinished);
    QSignalSpy checked(&model, &DocumentListModel::filesChecked);
    model.add(file);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, kTimeoutMs);
    QCOMPARE(model.index(0).data(DocumentListModel::StaleRole).toString(), QString());

    // Same size, other bytes: only the hash can tell.
    writeFile(file, "The meeting is on Thursday\n");
    checked.clear();
    model.refresh();
    QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, kTimeoutMs);
    QVERIFY2(model.index(0).data(DocumentListModel::StaleRole).toString().contains("has changed"),
             qPrintable(model.index(0).data(DocumentListModel::StaleRole).toString()));

    QFile::remove(file);
    checked.clear();
    model.refresh();
    QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, kTimeoutMs);
    QVERIFY(model.index(0).data(DocumentListModel::StaleRole).toString().contains("no longer"));
    // The attached copy stays in the store, whole.
    QCOMPARE(model.count(), 1);
  }

  void refusesABinaryFileInASentence() {
    DocumentListModel model;
    readyModel(model);
    const QString file = dir_.path() + "/data.txt";
    QByteArray bytes(4096, '\0');
    for (int i = 0; i < bytes.size(); i += 3) bytes[i] = char(i % 251);
    writeFile(file, bytes);
    QSignalSpy finished(&model, &DocumentListModel::importFinished);

    model.add(file);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(finished.at(0).at(0).toLongLong(), 0);
    QCOMPARE(model.count(), 0);
    QVERIFY2(model.error().contains("data.txt") && model.error().contains("does not hold text") &&
                 model.error().endsWith('.'),
             qPrintable(model.error()));
  }

  void cancelStopsTheImportAndStoresNothing() {
    DocumentListModel model;
    readyModel(model);
    const QString file = dir_.path() + "/long.txt";
    writeFile(file, prose(40000));
    QSignalSpy finished(&model, &DocumentListModel::importFinished);

    model.add(file);
    QVERIFY(model.importing());
    model.cancel();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(finished.at(0).at(0).toLongLong(), 0);
    QCOMPARE(model.error(), QString());
    QCOMPARE(model.count(), 0);
    QVERIFY(!model.importing());
    QCOMPARE(model.progress(), 0.0);
    store::Database db = store::Database::open(dbPath_.toStdString());
    QVERIFY(store::listDocuments(db, conversation_).empty());
  }

  void withoutAConversationItAsksForOne() {
    DocumentListModel model;
    model.setDatabasePath(dbPath_);
    model.setModelDir(FLINT_TINY_DIR);
    QSignalSpy needed(&model, &DocumentListModel::conversationNeeded);
    model.add(dir_.path() + "/notes.txt");
    QCOMPARE(needed.count(), 1);
    QCOMPARE(needed.at(0).at(0).toString(), QStringLiteral("notes.txt"));
    QVERIFY(!model.importing());
    QVERIFY2(model.error().startsWith("Start a conversation"), qPrintable(model.error()));
  }

  void theMeterSaysWhetherDocumentsFitWhole() {
    ContextMeter meter;
    meter.setModelDir(FLINT_TINY_DIR);
    QTRY_VERIFY_WITH_TIMEOUT(meter.ready(), kTimeoutMs);
    QVERIFY(meter.fitsWhole());
    QCOMPARE(meter.documentNote(), QString());

    meter.setDocumentTokens(1500);
    QVERIFY(meter.fitsWhole());
    QCOMPARE(meter.total(), meter.used() + 1500);
    QVERIFY2(meter.documentNote().startsWith("The documents take"),
             qPrintable(meter.documentNote()));

    // flint-tiny reads 4,096 tokens, a quarter of them kept for the answer.
    meter.setDocumentTokens(3500);
    QVERIFY(!meter.fitsWhole());
    QCOMPARE(meter.documentNote(),
             QStringLiteral("Too long to read whole: the best passages will be used."));
  }

  void aQuestionCarriesTheDocumentWholeAndFollowUpsReuseIt() {
    ChatController chat;
    loadedChat(chat);
    const QString file = dir_.path() + "/cat.txt";
    writeFile(file, "The lighthouse keeper has a ginger cat named Marmalade.\n\n" + prose(20));

    // Attaching to a blank chat starts a conversation named after the file.
    QSignalSpy finished(chat.documents(), &DocumentListModel::importFinished);
    chat.documents()->add(file);
    QVERIFY(chat.conversationId() > 0);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(chat.documents()->count(), 1);
    const qint64 documentTokens =
        chat.documents()->index(0).data(DocumentListModel::TokenCountRole).toLongLong();

    chat.send("What is the cat called?");
    QTRY_VERIFY_WITH_TIMEOUT(!chat.busy(), kTimeoutMs);
    QCOMPARE(chat.error(), QString());
    QCOMPARE(chat.documentNote(), QString());  // whole, so nothing is cited
    chat.send("And who owns it?");
    QTRY_VERIFY_WITH_TIMEOUT(!chat.busy(), kTimeoutMs);
    QCOMPARE(chat.error(), QString());

    store::ConversationService service(dbPath_.toStdString());
    const std::vector<store::PathEntry> branch = service.shownBranch(chat.conversationId());
    QCOMPARE(branch.size(), std::size_t(4));
    // The store keeps the user's words; the prompt carried the document's block as well.
    QCOMPARE(QString::fromStdString(branch[0].message.content),
             QStringLiteral("What is the cat called?"));
    QVERIFY2(statOf(branch[1].message, "prompt_tokens") > documentTokens,
             qPrintable(QString::fromStdString(branch[1].message.stats.dump())));
    // The follow-up's prompt starts with the same document turn, so the session reuses it
    // (prompt_tokens counts only what was read anew).
    QVERIFY2(statOf(branch[3].message, "reused_tokens") > documentTokens,
             qPrintable(QString::fromStdString(branch[3].message.stats.dump())));
  }

  void aNewSessionResumesTheDocumentsFromTheDiskCache() {
    const QString file = dir_.path() + "/garden.txt";
    writeFile(file, "The gardener keeps nine hives behind the greenhouse.\n\n" + prose(40));
    qint64 conversation = 0;
    {
      ChatController chat;
      loadedChat(chat);
      QSignalSpy finished(chat.documents(), &DocumentListModel::importFinished);
      chat.documents()->add(file);
      QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
      QSignalSpy reading(&chat, &ChatController::readingChanged);
      chat.send("How many hives are there?");
      QTRY_VERIFY_WITH_TIMEOUT(!chat.busy(), kTimeoutMs);
      QCOMPARE(chat.error(), QString());
      QCOMPARE(chat.reading(), QString());  // the line goes when the reading ends
      // The document is longer than the reading line's threshold, so the line was shown.
      QVERIFY(reading.count() >= 2);
      conversation = chat.conversationId();
    }
    const QDir cache(qEnvironmentVariable("XDG_DATA_HOME") + "/flint/prefix-cache");
    QCOMPARE(cache.entryList(QDir::Files).size(), 1);

    // A new controller (a restart): the same question in the same conversation, regenerated,
    // reads only what follows the documents.
    ChatController chat;
    loadedChat(chat);
    chat.open(conversation);
    store::ConversationService service(dbPath_.toStdString());
    const auto before = service.shownBranch(conversation);
    chat.regenerate(before[1].message.id);
    QTRY_VERIFY_WITH_TIMEOUT(!chat.busy(), kTimeoutMs);
    QCOMPARE(chat.error(), QString());
    const auto after = service.shownBranch(conversation);
    const qint64 documentTokens =
        chat.documents()->index(0).data(DocumentListModel::TokenCountRole).toLongLong();
    QVERIFY2(statOf(after[1].message, "reused_tokens") > documentTokens,
             qPrintable(QString::fromStdString(after[1].message.stats.dump())));
    QCOMPARE(after[1].message.content, before[1].message.content);  // greedy: the same answer
  }

  void aQuestionOverALongDocumentCitesItsPassages() {
    ChatController chat;
    loadedChat(chat);
    const QString file = dir_.path() + "/harbour.txt";
    writeFile(file, prose(150) + "The harbour code is 4471 and the harbour master keeps it.\n\n" +
                        prose(150));
    QSignalSpy finished(chat.documents(), &DocumentListModel::importFinished);
    chat.documents()->add(file);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QVERIFY(chat.documents()->documentTokens() > 4096);

    chat.send("What is the harbour code?");
    QVERIFY2(chat.documentNote().startsWith("Retrieval used: [harbour.txt, passage "),
             qPrintable(chat.documentNote()));
    QTRY_VERIFY_WITH_TIMEOUT(!chat.busy(), kTimeoutMs);
    QCOMPARE(chat.error(), QString());
    store::ConversationService service(dbPath_.toStdString());
    const std::vector<store::PathEntry> branch = service.shownBranch(chat.conversationId());
    QCOMPARE(branch.size(), std::size_t(2));
    // The passages fit the context where the whole document would not.
    const qint64 prompt = statOf(branch[1].message, "prompt_tokens");
    QVERIFY2(prompt > 500 && prompt < 4096,
             qPrintable(QString::fromStdString(branch[1].message.stats.dump())));
  }

  // The picker's filters: all documents first, then each format with exactly the extensions the
  // importer reads as that format, then all files.
  void thePickerOffersTheImportersFormats() {
    const QStringList filters = flint::ui::DocumentFileTypes().nameFilters();
    QCOMPARE(filters.size(), 7);
    QVERIFY2(filters.first().startsWith("Documents (*.txt "), qPrintable(filters.first()));
    QCOMPARE(filters.last(), QStringLiteral("All files (*)"));
    using flint::documents::DocumentFormat;
    const std::vector<std::pair<QString, DocumentFormat>> kinds = {
        {"Plain text", DocumentFormat::PlainText},
        {"Markdown", DocumentFormat::Markdown},
        {"HTML", DocumentFormat::Html},
        {"PDF", DocumentFormat::Pdf},
        {"Source code", DocumentFormat::SourceCode}};
    const QStringList documents = patternsIn(filters.first(), "Documents");
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const auto& [name, format] = kinds[i];
      const QStringList patterns = patternsIn(filters[qsizetype(i) + 1], name);
      QVERIFY2(!patterns.isEmpty(), qPrintable(filters[qsizetype(i) + 1]));
      for (const QString& pattern : patterns) {
        QVERIFY2(documents.contains(pattern), qPrintable(pattern));
        const QString file = "file" + pattern.mid(1);  // "*.md" -> "file.md"
        QCOMPARE(flint::documents::formatFromPath(file.toStdString()), format);
      }
      // Every extension the importer knows for the format is offered (plain text has none).
      if (format == DocumentFormat::PlainText) continue;
      QStringList known;
      for (std::string_view ext : flint::documents::extensionsOf(format))
        known << "*" + QString::fromUtf8(ext.data(), qsizetype(ext.size()));
      QCOMPARE(patterns, known);
    }
  }

  void theWindowAttachesTypedChosenAndDroppedFilesAndShowsTheirCost() {
    QQmlApplicationEngine engine;
    QQuickWindow* window = flint::ui::testing::openMainWindow(engine);
    QVERIFY(window);
    auto* chat = window->findChild<ChatController*>("chatController");
    QVERIFY(chat);
    loadedChat(*chat);
    const QString file = dir_.path() + "/garden.txt";
    writeFile(file, prose(20));
    QSignalSpy finished(chat->documents(), &DocumentListModel::importFinished);

    // A path typed into the bar's field.
    auto* field = findItem(window->contentItem(), "attachPathField");
    auto* attach = findItem(window->contentItem(), "attachConfirmButton");
    QVERIFY(field && attach);
    field->setProperty("text", file);
    QVERIFY(QMetaObject::invokeMethod(attach, "clicked"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(chat->documents()->count(), 1);
    QCOMPARE(field->property("text").toString(), QString());

    auto* chip = findItem(window->contentItem(), "documentChip");
    QVERIFY(chip);
    QTRY_VERIFY(chip->isVisible() && chip->width() > 0);
    auto* note = window->findChild<QQuickItem*>("documentBudgetNote");
    QVERIFY(note);
    QTRY_VERIFY(note->isVisible());
    QVERIFY2(note->property("text").toString().startsWith("The documents take"),
             qPrintable(note->property("text").toString()));
    const QImage shot = window->grabWindow();
    const QRectF area = chip->mapRectToScene(QRectF(0, 0, chip->width(), chip->height()));
    QVERIFY(flint::ui::testing::distinctColours(shot, area.toRect()) > 2);

    // Two files chosen in the picker "Attach…" opens, imported one after the other.
    const QString chosen1 = dir_.path() + "/chosen notes.md";
    const QString chosen2 = dir_.path() + "/chosen.html";
    writeFile(chosen1, prose(2));
    writeFile(chosen2, "<html><body><p>" + prose(2) + "</p></body></html>");
    auto* attachButton = findItem(window->contentItem(), "attachButton");
    QObject* picker = window->findChild<QObject*>("attachFileDialog");
    QVERIFY(attachButton && picker);
    QVERIFY(QMetaObject::invokeMethod(attachButton, "clicked"));
    QTRY_VERIFY(picker->property("visible").toBool());
    QCOMPARE(picker->property("nameFilters").toStringList(),
             flint::ui::DocumentFileTypes().nameFilters());
    QVERIFY(picker->setProperty("currentFiles",
                                QVariant::fromValue(QList<QUrl>{QUrl::fromLocalFile(chosen1),
                                                                QUrl::fromLocalFile(chosen2)})));
    QVERIFY(QMetaObject::invokeMethod(picker, "accepted"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, kTimeoutMs);
    QCOMPARE(chat->documents()->count(), 3);
    QCOMPARE(chat->documents()->index(1).data(DocumentListModel::NameRole).toString(),
             QStringLiteral("chosen notes.md"));
    QCOMPARE(chat->documents()->index(2).data(DocumentListModel::NameRole).toString(),
             QStringLiteral("chosen.html"));
    QCOMPARE(chat->documents()->error(), QString());
    // A cancelled picker attaches nothing.
    QVERIFY(QMetaObject::invokeMethod(picker, "reject"));
    QVERIFY(!picker->property("visible").toBool());
    QVERIFY(QMetaObject::invokeMethod(attachButton, "clicked"));
    QTRY_VERIFY(picker->property("visible").toBool());
    QVERIFY(QMetaObject::invokeMethod(picker, "reject"));
    QTest::qWait(200);
    QCOMPARE(finished.count(), 3);
    QCOMPARE(chat->documents()->count(), 3);

    // Files dropped on the chat, one import after the other.
    const QString second = dir_.path() + "/second.md";
    const QString third = dir_.path() + "/third.txt";
    writeFile(second, prose(3));
    writeFile(third, prose(4));
    auto* chatArea = findItem(window->contentItem(), "chatArea");
    QVERIFY(chatArea);
    const QList<QUrl> dropped = {QUrl::fromLocalFile(second), QUrl::fromLocalFile(third)};
    QVERIFY(QMetaObject::invokeMethod(chatArea, "filesDropped",
                                      Q_ARG(QVariant, QVariant::fromValue(dropped))));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 5, kTimeoutMs);
    QCOMPARE(chat->documents()->count(), 5);
    QCOMPARE(chat->documents()->index(4).data(DocumentListModel::NameRole).toString(),
             QStringLiteral("third.txt"));
  }

 private:
  // The model on the test's conversation, once it has read flint-tiny's tokenizer.
  void readyModel(DocumentListModel& model) {
    model.setDatabasePath(dbPath_);
    model.setConversationId(conversation_);
    model.setModelDir(FLINT_TINY_DIR);
    QTRY_VERIFY_WITH_TIMEOUT(model.tokenizer() != nullptr, kTimeoutMs);
    QCOMPARE(model.contextLength(), std::int64_t(4096));
  }

  void loadedChat(ChatController& chat) {
    chat.setDatabasePath(dbPath_);
    chat.setModelDir(FLINT_TINY_DIR);
    QTRY_COMPARE_WITH_TIMEOUT(chat.modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(chat.documents()->tokenizer() != nullptr, kTimeoutMs);
  }

  QTemporaryDir dir_;
  int case_ = 0;
  QString dbPath_;
  qint64 conversation_ = 0;
};

QTEST_MAIN(DocumentListModelTest)
#include "test_document_list_model.moc"
