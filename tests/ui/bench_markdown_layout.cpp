// What one streaming update of an answer costs the GUI thread in Markdown: parse and lay out
// the text the renderer is handed, at the chat's width, for a whole answer of N characters
// (one segment) against the last piece splitMarkdown leaves to lay out again.
#include "ui/markdown_segments.h"

#include <benchmark/benchmark.h>
#include <QAbstractTextDocumentLayout>
#include <QGuiApplication>
#include <QTextDocument>

namespace {

QString answerOf(qsizetype chars) {
  const QString paragraph = QStringLiteral(
      "The quick brown fox jumps over the lazy dog, **then** it weighs `code` and words. ");
  QString out;
  while (out.size() < chars) {
    out += paragraph.repeated(6);
    out += QStringLiteral("\n\n");
  }
  return out;
}

void layOut(const QString& markdown) {
  QTextDocument document;
  document.setMarkdown(markdown);
  document.setTextWidth(650);
  benchmark::DoNotOptimize(document.documentLayout()->documentSize());
}

void WholeAnswer(benchmark::State& state) {
  const QString answer = answerOf(state.range(0));
  for (auto _ : state) layOut(answer);
}

void LastPiece(benchmark::State& state) {
  const QString answer = answerOf(state.range(0));
  const QString last = flint::ui::splitMarkdown(answer).back().text;
  state.counters["piece_chars"] = double(last.size());
  for (auto _ : state) layOut(last);
}

BENCHMARK(WholeAnswer)->Arg(2000)->Arg(8000)->Arg(20000)->Arg(50000)->Unit(benchmark::kMillisecond);
BENCHMARK(LastPiece)->Arg(2000)->Arg(8000)->Arg(20000)->Arg(50000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QGuiApplication app(argc, argv);  // fonts need a GUI application
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
