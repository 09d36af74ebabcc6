// The sidebar's model on a real store in a temporary file: date groups with pinned first,
// pin and rename, delete with undo, search with highlighted snippets, selection, and errors
// reported as sentences. A second ConversationService on the same file plays the chat
// controller writing messages and timestamps.
#include "app/store/conversation_service.h"
#include "app/store/conversations.h"
#include "ui/conversation_list_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using flint::store::ConversationService;
using flint::ui::ConversationListModel;

namespace {

qint64 msAt(const QDate& date, int hour) {
  return QDateTime(date, QTime(hour, 0)).toMSecsSinceEpoch();
}

}  // namespace

class ConversationListModelTest : public QObject {
  Q_OBJECT

 private slots:
  // The shared file lives under XDG_DATA_HOME: point it into the temporary folder so no test
  // touches the user's conversations.
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    qputenv("XDG_DATA_HOME", m_dir.filePath(QStringLiteral("data")).toUtf8());
  }

  void init() {
    QVERIFY(m_dir.isValid());
    m_path = m_dir.filePath(QStringLiteral("flint-%1.db").arg(++m_files));
    m_store = std::make_unique<ConversationService>(m_path.toStdString());
    m_model = std::make_unique<ConversationListModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_model->setDatabasePath(m_path);
  }

  void cleanup() {
    m_tester.reset();
    m_model.reset();
    m_store.reset();
  }

  void opensTheGivenFileEmpty() {
    QCOMPARE(m_model->databasePath(), m_path);
    QCOMPARE(m_model->count(), 0);
    QCOMPARE(m_model->errorMessage(), QString());
    QCOMPARE(m_model->undoSeconds(), 30);
  }

  void emptyPathMeansTheSharedFile() {
    ConversationListModel model;
    const QString shared = QString::fromStdString(flint::store::defaultDatabasePath().string());
    QCOMPARE(model.databasePath(), shared);
    m_model->setDatabasePath(QString());
    QCOMPARE(m_model->databasePath(), shared);
    QVERIFY(shared.startsWith(m_dir.path()));
    QCOMPARE(m_model->errorMessage(), QString());
  }

  void groupsByDateWithPinnedFirst() {
    const QDate today = QDate::currentDate();
    const auto older = created("older", msAt(today.addDays(-30), 12));
    const auto week = created("this week", msAt(today.addDays(-3), 12));
    const auto yesterday = created("yesterday", msAt(today.addDays(-1), 12));
    const auto now = created("now", flint::store::nowMs());
    const auto pinned = created("pinned old one", msAt(today.addDays(-60), 12));
    flint::store::setConversationPinned(m_store->database(), pinned, true);
    m_model->refresh();

    QCOMPARE(column(ConversationListModel::ConversationIdRole),
             (QVariantList{pinned, now, yesterday, week, older}));
    QCOMPARE(column(ConversationListModel::SectionRole),
             (QVariantList{"Pinned", "Today", "Yesterday", "Previous 7 days", "Older"}));
    QCOMPARE(column(ConversationListModel::PinnedRole),
             (QVariantList{true, false, false, false, false}));
    QCOMPARE(column(ConversationListModel::TitleRole),
             (QVariantList{"pinned old one", "now", "yesterday", "this week", "older"}));
    QCOMPARE(m_model->data(m_model->index(4), ConversationListModel::UpdatedAtRole).toDateTime(),
             QDateTime(today.addDays(-30), QTime(12, 0)));
    QCOMPARE(m_model->data(m_model->index(0), ConversationListModel::SnippetRole).toString(),
             QString());
  }

  void pinningMovesAConversationToTheTopAndBack() {
    const QDate today = QDate::currentDate();
    const auto first = created("first", msAt(today.addDays(-10), 12));
    const auto second = created("second", flint::store::nowMs());
    m_model->refresh();
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{second, first}));

    m_model->setPinned(first, true);
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{first, second}));
    QCOMPARE(column(ConversationListModel::SectionRole), (QVariantList{"Pinned", "Today"}));

    m_model->setPinned(first, false);
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{second, first}));
    QCOMPARE(column(ConversationListModel::SectionRole), (QVariantList{"Today", "Older"}));
  }

  void renameChangesTheTitleAndKeepsBlankOnesOut() {
    const auto id = created("draft", flint::store::nowMs());
    m_model->refresh();
    m_model->rename(id, QStringLiteral("  Trip to Lisbon  "));
    QCOMPARE(column(ConversationListModel::TitleRole), (QVariantList{"Trip to Lisbon"}));
    QCOMPARE(QString::fromStdString(m_store->list().at(0).title), QStringLiteral("Trip to Lisbon"));

    m_model->rename(id, QStringLiteral("   "));
    QCOMPARE(column(ConversationListModel::TitleRole), (QVariantList{"Trip to Lisbon"}));
  }

  void failuresBecomeASentence() {
    QSignalSpy errors(m_model.get(), &ConversationListModel::errorMessageChanged);
    m_model->rename(424242, QStringLiteral("nobody"));
    QCOMPARE(errors.count(), 1);
    QVERIFY2(m_model->errorMessage().startsWith("Could not rename the conversation: "),
             qPrintable(m_model->errorMessage()));
    QVERIFY(m_model->errorMessage().endsWith('.'));

    m_model->refresh();  // the next success clears it
    QCOMPARE(m_model->errorMessage(), QString());
  }

  void unopenableFileIsReportedNotThrown() {
    const QString blocker = m_dir.filePath(QStringLiteral("not-a-folder"));
    QFile file(blocker);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    m_model->setDatabasePath(blocker + QStringLiteral("/flint.db"));
    QCOMPARE(m_model->count(), 0);
    QVERIFY(!m_model->errorMessage().isEmpty());
  }

  void deleteOffersUndoAndUndoBringsItBack() {
    const auto keep = created("keep", flint::store::nowMs() - 1000);
    const auto gone = created("gone", flint::store::nowMs());
    m_model->refresh();
    QSignalSpy removed(m_model.get(), &ConversationListModel::removed);
    QSignalSpy counted(m_model.get(), &ConversationListModel::countChanged);

    m_model->remove(gone);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(0).toLongLong(), gone);
    QCOMPARE(removed.at(0).at(1).toString(), QStringLiteral("gone"));
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{keep}));
    QCOMPARE(counted.count(), 1);
    QCOMPARE(m_store->list().size(), std::size_t(1));  // the store hides it too

    m_model->undoRemove(gone);
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{gone, keep}));
    QCOMPARE(counted.count(), 2);
  }

  // A new conversation is one row inserted at the top, a rename one row changed: the list's
  // other delegates and its scroll position stay.
  void changesAreTheSmallestEditNotAReset() {
    const auto older = created("older", flint::store::nowMs() - 2000);
    const auto old = created("old", flint::store::nowMs() - 1000);
    m_model->refresh();
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);

    // Ahead of anything a rename stamps now, so the order below is fixed.
    const auto fresh = created("fresh", flint::store::nowMs() + 60000);
    m_model->refresh();
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{fresh, old, older}));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 0);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(changed.count(), 0);

    m_model->rename(old, QStringLiteral("renamed"));
    QCOMPARE(column(ConversationListModel::TitleRole),
             (QVariantList{QStringLiteral("fresh"), QStringLiteral("renamed"),
                           QStringLiteral("older")}));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 1);

    m_model->remove(old);
    QCOMPARE(column(ConversationListModel::ConversationIdRole), (QVariantList{fresh, older}));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 1);
    QCOMPARE(reset.count(), 0);
  }

  void searchShowsMatchingMessagesWithTheWordsInBold() {
    const auto trip = created("Trip", flint::store::nowMs());
    const auto other = created("Other", flint::store::nowMs());
    const qint64 match =
        m_store->addUserMessage(trip, "Is a <kangaroo> & a wallaby the same animal?");
    m_store->addUserMessage(other, "Nothing about marsupials here.");
    m_model->refresh();
    QSignalSpy searchChanged(m_model.get(), &ConversationListModel::searchTextChanged);

    m_model->setSearch(QStringLiteral("kangaroo"));
    QCOMPARE(searchChanged.count(), 1);
    QVERIFY(m_model->searching());
    QCOMPARE(m_model->count(), 1);
    const QModelIndex hit = m_model->index(0);
    QCOMPARE(hit.data(ConversationListModel::ConversationIdRole).toLongLong(), trip);
    QCOMPARE(hit.data(ConversationListModel::MessageIdRole).toLongLong(), match);
    QCOMPARE(hit.data(ConversationListModel::TitleRole).toString(), QStringLiteral("Trip"));
    QCOMPARE(hit.data(ConversationListModel::SectionRole).toString(), QString());
    const QString snippet = hit.data(ConversationListModel::SnippetRole).toString();
    QVERIFY2(snippet.contains("&lt;<b>kangaroo</b>&gt; &amp; a wallaby"), qPrintable(snippet));

    m_model->setSearch(QStringLiteral("nothing-like-this"));
    QCOMPARE(m_model->count(), 0);

    m_model->setSearch(QString());
    QVERIFY(!m_model->searching());
    QCOMPARE(column(ConversationListModel::TitleRole).size(), 2);
    QCOMPARE(m_model->data(m_model->index(0), ConversationListModel::MessageIdRole).toLongLong(),
             0);
  }

  void searchSkipsDeletedConversations() {
    const auto id = created("Doomed", flint::store::nowMs());
    m_store->addUserMessage(id, "platypus facts");
    m_model->refresh();
    m_model->remove(id);
    m_model->setSearch(QStringLiteral("platypus"));
    QCOMPARE(m_model->count(), 0);
    m_model->undoRemove(id);
    QCOMPARE(m_model->count(), 1);  // the search stays on across the undo
  }

  void selectMakesTheConversationCurrent() {
    const auto id = created("pick me", flint::store::nowMs());
    m_model->refresh();
    QSignalSpy selected(m_model.get(), &ConversationListModel::selected);
    QSignalSpy current(m_model.get(), &ConversationListModel::currentConversationIdChanged);

    m_model->select(id);
    QCOMPARE(m_model->currentConversationId(), id);
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).toLongLong(), id);
    QCOMPARE(current.count(), 1);

    m_model->select(id);  // picked again: the chat is told, the property does not change
    QCOMPARE(selected.count(), 2);
    QCOMPARE(current.count(), 1);
  }

  void refreshSeesTheOtherConnectionsWrites() {
    m_model->refresh();
    QCOMPARE(m_model->count(), 0);
    created("written elsewhere", flint::store::nowMs());
    m_model->refresh();
    QCOMPARE(column(ConversationListModel::TitleRole), (QVariantList{"written elsewhere"}));
  }

 private:
  qint64 created(const char* title, qint64 updatedAt) {
    const qint64 id = m_store->create(title);
    flint::store::markConversationUpdated(m_store->database(), id, updatedAt);
    return id;
  }

  QVariantList column(int role) const {
    QVariantList values;
    for (int row = 0; row < m_model->rowCount(); ++row)
      values.append(m_model->data(m_model->index(row), role));
    return values;
  }

  QTemporaryDir m_dir;
  int m_files = 0;
  QString m_path;
  std::unique_ptr<ConversationService> m_store;
  std::unique_ptr<ConversationListModel> m_model;
  std::unique_ptr<QAbstractItemModelTester> m_tester;
};

QTEST_GUILESS_MAIN(ConversationListModelTest)
#include "test_conversation_list_model.moc"
