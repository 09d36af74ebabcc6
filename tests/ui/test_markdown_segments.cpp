// splitMarkdown on prose, fences of both kinds, unclosed and indented fences and strings that
// only look like fences; and the segment model changing only the rows that differ as a reply
// streams in.
#include "ui/markdown_segment_model.h"
#include "ui/markdown_segments.h"

#include <QSignalSpy>
#include <QtTest>

using flint::ui::MarkdownSegment;
using flint::ui::MarkdownSegmentModel;
using flint::ui::splitMarkdown;

namespace {

MarkdownSegment text(const QString& t) {
  return {MarkdownSegment::Kind::Text, t, {}};
}
MarkdownSegment code(const QString& t, const QString& language = {}) {
  return {MarkdownSegment::Kind::Code, t, language};
}

// The segments as one readable line, so a failed comparison shows what came out.
QString show(const std::vector<MarkdownSegment>& segments) {
  QStringList parts;
  for (const MarkdownSegment& s : segments)
    parts << (s.kind == MarkdownSegment::Kind::Code ? "code[" + s.language + "]:" : "text:") +
                 s.text;
  return parts.join(" | ");
}

// Paragraphs of about 300 characters, numbered so that no two are alike.
QString paragraphs(int count) {
  QStringList out;
  for (int i = 0; i < count; ++i)
    out << QStringLiteral("Paragraph %1: ").arg(i) +
               QStringLiteral("words ").repeated(48).trimmed();
  return out.join(QStringLiteral("\n\n"));
}

}  // namespace

class MarkdownSegmentsTest : public QObject {
  Q_OBJECT

 private slots:
  void proseIsOneSegment() {
    QCOMPARE(show(splitMarkdown(u"**Hello**\n\n- one\n- two\n")),
             QStringLiteral("text:**Hello**\n\n- one\n- two"));
    QVERIFY(splitMarkdown(u"").empty());
    QVERIFY(splitMarkdown(u"\n  \n").empty());
  }

  void fencedBlocksSplitTheProse() {
    const auto segments = splitMarkdown(u"Here:\n\n```python\nprint(1)\n\nx = 2\n```\nDone.");
    const std::vector<MarkdownSegment> expected{text("Here:"), code("print(1)\n\nx = 2", "python"),
                                                text("Done.")};
    QCOMPARE(show(segments), show(expected));
  }

  void tildeFencesAndInfoWords() {
    QCOMPARE(show(splitMarkdown(u"~~~ c++ linenos\nint a;\n~~~")), show({code("int a;", "c++")}));
  }

  void aShorterOrDifferentFenceDoesNotClose() {
    QCOMPARE(show(splitMarkdown(u"````\n```\n~~~\n````\nafter")),
             show({code("```\n~~~"), text("after")}));
  }

  void anUnclosedFenceRunsToTheEnd() {
    // What a reply streaming its code block looks like.
    QCOMPARE(show(splitMarkdown(u"Look:\n```js\nlet a = 1;\n")),
             show({text("Look:"), code("let a = 1;", "js")}));
    QCOMPARE(show(splitMarkdown(u"```")), show({code("")}));
  }

  void anIndentedFenceLosesItsIndentInTheCode() {
    QCOMPARE(show(splitMarkdown(u"  ```\n    deep\n  shallow\n  ```")),
             show({code("  deep\nshallow")}));
  }

  void lookalikesStayProse() {
    // Four spaces make an indented code block, two backticks inline code, and a backtick in
    // a backtick fence's info string makes it inline code too.
    for (const char16_t* prose : {u"    ```\n    not a fence", u"``not``", u"``` a`b ```"})
      QCOMPARE(show(splitMarkdown(prose)), show({text(QString::fromUtf16(prose))}));
  }

  void windowsLineEndings() {
    QCOMPARE(show(splitMarkdown(u"a\r\n```\r\nb\r\n```\r\n")), show({text("a"), code("b")}));
  }

  // Long prose comes in pieces of at least kProseChunkChars, cut only between paragraphs, and
  // nothing of it is lost.
  void longProseIsCutBetweenParagraphs() {
    const QString prose = paragraphs(40);
    const std::vector<MarkdownSegment> segments = splitMarkdown(prose);
    QVERIFY2(segments.size() >= 4, qPrintable(QString::number(segments.size())));
    QStringList texts;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      QCOMPARE(segments[i].kind, MarkdownSegment::Kind::Text);
      if (i + 1 < segments.size()) QVERIFY(segments[i].text.size() >= flint::ui::kProseChunkChars);
      QVERIFY(segments[i].text.startsWith(QStringLiteral("Paragraph ")));
      texts << segments[i].text;
    }
    QCOMPARE(texts.join(QStringLiteral("\n\n")), prose);
    // Short prose stays whole.
    QCOMPARE(splitMarkdown(paragraphs(3)).size(), std::size_t(1));
  }

  // After a blank line, a list item, a quote, a table row, an indented or a numbered line may
  // belong with what came before: the prose is not cut there, only before a plain paragraph.
  void listsQuotesAndIndentedLinesAreNotCutFrom() {
    const QString head = paragraphs(7);  // just over the chunk size, and never cut inside
    for (const QString& next : {QStringLiteral("- item"), QStringLiteral("1. item"),
                                QStringLiteral("> quote"), QStringLiteral("| a | b |"),
                                QStringLiteral("    indented"), QStringLiteral("[1]: http://x")}) {
      const std::vector<MarkdownSegment> segments = splitMarkdown(head + "\n\n" + next);
      QVERIFY2(segments.back().text.endsWith(next) && segments.back().text.size() > next.size(),
               qPrintable(next + " began a piece of its own"));
    }
    const std::vector<MarkdownSegment> cut = splitMarkdown(head + "\n\nPlain words.");
    QCOMPARE(cut.back().text, QStringLiteral("Plain words."));
  }

  // As a long answer streams in, the pieces before the last never change: only the last row
  // is laid out again.
  void aStreamingLongAnswerChangesOnlyItsLastPiece() {
    const QString full = paragraphs(30);
    const std::vector<MarkdownSegment> final = splitMarkdown(full);
    for (qsizetype end = 1; end <= full.size(); end += 37) {
      const std::vector<MarkdownSegment> now = splitMarkdown(QStringView(full).first(end));
      for (std::size_t i = 0; i + 1 < now.size(); ++i)
        QVERIFY2(now[i] == final[i], qPrintable(QStringLiteral("piece %1 at %2").arg(i).arg(end)));
    }
    MarkdownSegmentModel model;
    model.setMarkdown(full.first(full.size() - 100));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setMarkdown(full);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), model.rowCount() - 1);
  }

  void streamingChangesOnlyTheLastRow() {
    MarkdownSegmentModel model;
    model.setMarkdown(QStringLiteral("Intro\n```py\nx = 1"));
    QCOMPARE(model.rowCount(), 2);

    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setMarkdown(QStringLiteral("Intro\n```py\nx = 1\ny = 2"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 1);
    QCOMPARE(model.index(1).data(MarkdownSegmentModel::TextRole).toString(),
             QStringLiteral("x = 1\ny = 2"));
    QCOMPARE(model.index(1).data(MarkdownSegmentModel::KindRole).toString(),
             QStringLiteral("code"));
    QCOMPARE(model.index(1).data(MarkdownSegmentModel::LanguageRole).toString(),
             QStringLiteral("py"));

    // The block closes and prose follows: a row is added, none of the others is touched.
    changed.clear();
    model.setMarkdown(QStringLiteral("Intro\n```py\nx = 1\ny = 2\n```\nThat is all."));
    QCOMPARE(changed.count(), 0);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(2).data(MarkdownSegmentModel::KindRole).toString(),
             QStringLiteral("text"));
    QCOMPARE(reset.count(), 0);

    // Another message in the same delegate: fewer rows.
    model.setMarkdown(QStringLiteral("Just prose."));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0).data(MarkdownSegmentModel::TextRole).toString(),
             QStringLiteral("Just prose."));
  }
};

QTEST_GUILESS_MAIN(MarkdownSegmentsTest)
#include "test_markdown_segments.moc"
