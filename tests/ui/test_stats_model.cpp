// StatsModel fed with synthetic engine Stats: the figures, the per-step acceptance history
// built from consecutive cumulative snapshots, the per-position acceptance of the sliding
// window; the experts' residency cells from a synthetic snapshot and the batcher that carries
// such snapshots at a low rate; and the statistics panel drawing its bars, chart and residency
// heatmap from such a model.
#include "ui/stats_model.h"
#include "ui/stream_batcher.h"

#include <QImage>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSet>
#include <QSignalSpy>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(FlintPlugin)

using flint::engine::ExpertResidency;
using flint::engine::ExpertTier;
using flint::engine::SpecStep;
using flint::engine::Stats;
using flint::ui::StatsModel;
using flint::ui::StreamBatch;
using flint::ui::StreamBatcher;

namespace {

SpecStep drafted(std::size_t drafts, std::size_t accepted) {
  SpecStep step;
  step.drafts = drafts;
  step.tried = std::min(drafts, accepted + 1);  // verification stops at the first rejection
  step.accepted = accepted;
  step.experts = 40;
  step.draftSeconds = 0.002;
  step.verifySeconds = 0.010;
  return step;
}

SpecStep plain() {
  SpecStep step;
  step.experts = 16;
  step.verifySeconds = 0.008;
  return step;
}

QList<double> doubles(const QVariantList& values) {
  QList<double> out;
  for (const QVariant& v : values) out.append(v.toDouble());
  return out;
}

// How many distinct colours an area of the image has: a blank area has one.
int distinctColours(const QImage& image, const QRect& area) {
  QSet<QRgb> colours;
  const QRect r = area.intersected(image.rect());
  for (int y = r.top(); y <= r.bottom(); ++y)
    for (int x = r.left(); x <= r.right(); ++x) colours.insert(image.pixel(x, y));
  return int(colours.size());
}

// The item named `name` among the visual descendants of `root` (a Repeater's items are visual
// children of its parent, not QObject children).
QQuickItem* findItem(QQuickItem* root, const QString& name) {
  for (QQuickItem* child : root->childItems()) {
    if (child->objectName() == name) return child;
    if (QQuickItem* found = findItem(child, name)) return found;
  }
  return nullptr;
}

// Two layers of four experts: layer 0 has experts 0 and 1 in host RAM, the rest on disk; expert
// 1 of layer 0 is the most used, expert 3 of layer 1 never used.
ExpertResidency twoLayers() {
  ExpertResidency r;
  r.layers = 2;
  r.experts = 4;
  r.tiers = {ExpertTier::Host, ExpertTier::Host, ExpertTier::Disk, ExpertTier::Disk,
             ExpertTier::Disk, ExpertTier::Disk, ExpertTier::Host, ExpertTier::Disk};
  r.uses = {10, 40, 20, 4, 2, 8, 30, 0};
  return r;
}

// A StatsPanel bound to a model, shown in a window of its own, 320 wide.
struct ShownPanel {
  QQmlEngine engine;
  QQuickWindow window;
  std::unique_ptr<QObject> object;
  QQuickItem* panel = nullptr;

  bool show(StatsModel& model, int height) {
    engine.addImportPath(QStringLiteral("qrc:/"));
    QQmlComponent component(&engine);
    component.setData("import QtQuick\nimport Flint\nStatsPanel { width: 320; height: " +
                          QByteArray::number(height) + " }",
                      QUrl());
    object.reset(component.createWithInitialProperties({{"stats", QVariant::fromValue(&model)}}));
    panel = qobject_cast<QQuickItem*>(object.get());
    if (!panel) {
      qWarning() << component.errorString();
      return false;
    }
    window.resize(320, height);
    panel->setParentItem(window.contentItem());
    window.show();
    return QTest::qWaitForWindowExposed(&window);
  }
};

}  // namespace

class StatsModelTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QQuickStyle::setStyle(QStringLiteral("Fusion")); }

  void startsEmpty() {
    StatsModel model;
    QVERIFY(!model.hasData());
    QCOMPARE(model.decodeTokensPerSecond(), 0.0);
    QVERIFY(model.acceptanceHistory().isEmpty());
    QVERIFY(model.positionAcceptance().isEmpty());
    QCOMPARE(model.historyCapacity(), 64);
  }

  void figuresComeFromTheSnapshot() {
    Stats stats;
    stats.promptTokens = 200;
    stats.prefillSeconds = 0.5;
    stats.generatedTokens = 90;
    stats.decodeSeconds = 3;
    stats.contextUsed = 290;
    stats.contextMax = 4096;
    stats.speculating = true;
    stats.spec.record(drafted(4, 3));
    stats.spec.record(drafted(4, 1));
    stats.spec.record(plain());

    StatsModel model;
    QSignalSpy changed(&model, &StatsModel::changed);
    model.update(stats);
    QCOMPARE(changed.count(), 1);
    QVERIFY(model.hasData());
    QCOMPARE(model.prefillTokensPerSecond(), 400.0);
    QCOMPARE(model.decodeTokensPerSecond(), 30.0);
    QCOMPARE(model.generatedTokens(), 90);
    QCOMPARE(model.contextUsed(), 290);
    QCOMPARE(model.contextMax(), 4096);
    QVERIFY(model.speculating());
    QCOMPARE(model.acceptanceRate(), 0.5);        // 4 of 8 drafts
    QCOMPARE(model.recentAcceptanceRate(), 0.5);  // the window holds all three steps
    QCOMPARE(model.meanAcceptedLength(), 3.0);    // (4 accepted + 2 bonus) / 2 passes
    QCOMPARE(model.expertsPerVerify(), 40.0);
    QCOMPARE(model.expertsPerPlainStep(), 16.0);
    QCOMPARE(model.draftSeconds(), 0.004);
    QCOMPARE(model.verifySeconds(), 0.020);
    // 7 tokens in 0.032 s over 1 token per 0.008 s.
    QVERIFY(qAbs(model.speedup() - 7 / 0.032 * 0.008) < 1e-9);
  }

  // QML hears of new figures at most every kAnnounceInterval, and always of the last ones; the
  // values themselves are current at once.
  void announcesAtMostTenTimesASecondAndAlwaysTheLast() {
    StatsModel model;
    QSignalSpy changed(&model, &StatsModel::changed);
    Stats stats;
    stats.decodeSeconds = 1;
    for (int i = 1; i <= 200; ++i) {
      stats.generatedTokens = std::size_t(i);
      model.update(stats);
      QCOMPARE(model.generatedTokens(), i);
    }
    QCOMPARE(changed.count(), 1);  // the first at once, the rest held back
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 2, 1000);
    QTest::qWait(int(2 * StatsModel::kAnnounceInterval.count()));
    QCOMPARE(changed.count(), 2);  // nothing more without a new update
    model.clear();
    QCOMPARE(changed.count(), 3);  // a new reply is announced at once
    model.update(stats);
    QCOMPARE(changed.count(), 4);  // and so are its first figures, right after the clear
    model.update(stats);
    QCOMPARE(changed.count(), 4);  // the next ones wait again
  }

  void speedupIsZeroUntilPlainStepsRan() {
    Stats stats;
    stats.speculating = true;
    stats.spec.record(drafted(4, 4));
    StatsModel model;
    model.update(stats);
    QCOMPARE(model.speedup(), 0.0);
  }

  void historyHasOneEntryPerVerifyStep() {
    Stats stats;
    stats.speculating = true;
    StatsModel model;
    model.update(stats);  // prefill done, nothing decoded
    stats.spec.record(drafted(4, 2));
    model.update(stats);
    stats.spec.record(plain());
    model.update(stats);  // a plain step adds nothing
    model.update(stats);  // nor does the same snapshot again
    stats.spec.record(drafted(4, 4));
    model.update(stats);
    stats.spec.record(drafted(5, 0));
    model.update(stats);
    QCOMPARE(doubles(model.acceptanceHistory()), (QList<double>{0.5, 1.0, 0.0}));
  }

  void coalescedSnapshotsGiveEachStepTheirMean() {
    Stats stats;
    StatsModel model;
    stats.spec.record(drafted(4, 1));
    stats.spec.record(drafted(4, 3));
    model.update(stats);
    QCOMPARE(doubles(model.acceptanceHistory()), (QList<double>{0.5, 0.5}));
  }

  void historyKeepsTheLast64StepsOldestFirst() {
    Stats stats;
    StatsModel model;
    QList<double> expected;
    for (std::size_t i = 0; i < 70; ++i) {
      const std::size_t accepted = i % 5;  // 0 to 4 of 4 drafts
      stats.spec.record(drafted(4, accepted));
      model.update(stats);
      if (i >= 6) expected.append(double(accepted) / 4);
    }
    QCOMPARE(expected.size(), 64);
    QCOMPARE(doubles(model.acceptanceHistory()), expected);
  }

  void clearForgetsTheReply() {
    Stats stats;
    stats.speculating = true;
    stats.generatedTokens = 5;
    stats.spec.record(drafted(4, 2));
    StatsModel model;
    model.update(stats);
    QSignalSpy changed(&model, &StatsModel::changed);
    model.clear();
    QCOMPARE(changed.count(), 1);
    QVERIFY(!model.hasData());
    QVERIFY(!model.speculating());
    QCOMPARE(model.generatedTokens(), 0);
    QVERIFY(model.acceptanceHistory().isEmpty());
    QVERIFY(model.positionAcceptance().isEmpty());

    // The next reply's first step is its own, not a difference from the last reply's.
    Stats next;
    next.spec.record(drafted(2, 2));
    model.update(next);
    QCOMPARE(doubles(model.acceptanceHistory()), (QList<double>{1.0}));
  }

  void countersThatGoBackStartANewHistoryStep() {
    Stats first;
    for (int i = 0; i < 3; ++i) first.spec.record(drafted(4, 0));
    StatsModel model;
    model.update(first);
    Stats second;  // a new reply without clear(): fewer steps than before
    second.spec.record(drafted(4, 4));
    model.update(second);
    QCOMPARE(doubles(model.acceptanceHistory()), (QList<double>{0.0, 0.0, 0.0, 1.0}));
  }

  void positionAcceptanceFollowsTheSlidingWindow() {
    Stats stats;
    stats.speculating = true;
    // Old steps that accept everything, then a window's worth that accept only the first.
    for (int i = 0; i < 10; ++i) stats.spec.record(drafted(3, 3));
    for (std::size_t i = 0; i < flint::engine::SpecStats::kWindow; ++i)
      stats.spec.record(drafted(3, 1));
    StatsModel model;
    model.update(stats);
    QCOMPARE(doubles(model.positionAcceptance()), (QList<double>{1.0, 0.0, 0.0}));
    QVERIFY(model.acceptanceRate() > model.recentAcceptanceRate());
  }

  void expertFiguresComeFromTheSnapshot() {
    Stats stats;
    stats.expertTiers = true;
    stats.experts.hostHits = 90;
    stats.experts.diskReads = 30;
    stats.experts.readAhead = 12;
    stats.experts.bytesRead = 45'000'000;
    stats.experts.readSeconds = 0.25;
    StatsModel model;
    model.update(stats);
    QVERIFY(model.expertTiers());
    QCOMPARE(model.expertHitRate(), 0.75);
    QCOMPARE(model.expertHostHits(), 90);
    QCOMPARE(model.expertDiskReads(), 30);
    QCOMPARE(model.expertReadAhead(), 12);
    QCOMPARE(model.expertMegabytesRead(), 45.0);
    QCOMPARE(model.expertReadSeconds(), 0.25);
    model.clear();
    QVERIFY(!model.expertTiers());
    QCOMPARE(model.expertDiskReads(), 0);
  }

  void panelShowsWhereTheExpertsCameFrom() {
    Stats stats;
    stats.generatedTokens = 10;
    stats.decodeSeconds = 1;
    StatsModel model;
    model.update(stats);

    ShownPanel shown;
    QVERIFY(shown.show(model, 900));
    QQuickItem* panel = shown.panel;

    // Every expert in memory: the panel says so and draws no figures.
    QVERIFY(findItem(panel, "expertsNotTiered")->isVisible());
    QVERIFY(!findItem(panel, "expertHitRate")->isVisible());

    stats.expertTiers = true;
    stats.experts.hostHits = 300;
    stats.experts.diskReads = 100;
    stats.experts.readAhead = 40;
    stats.experts.bytesRead = 123'400'000;
    stats.experts.readSeconds = 0.5;
    model.update(stats);
    QTRY_VERIFY(findItem(panel, "expertHitRate")->isVisible());
    QVERIFY(!findItem(panel, "expertsNotTiered")->isVisible());
    QCOMPARE(findItem(panel, "expertHitRate")->property("text").toString(), QStringLiteral("75%"));
    QCOMPARE(findItem(panel, "expertDiskReads")->property("text").toString(),
             QStringLiteral("100 (40 read ahead)"));
    QCOMPARE(findItem(panel, "expertMegabytesRead")->property("text").toString(),
             QStringLiteral("123.4 MB in 0.50 s"));
    // The bar splits the uses 3 to 1 between memory and disk.
    auto* memory = findItem(findItem(panel, "expertUseSplit"), "firstShare");
    auto* disk = findItem(findItem(panel, "expertUseSplit"), "secondShare");
    QVERIFY(memory && disk);
    QVERIFY(disk->width() > 10);
    QVERIFY(qAbs(memory->width() - 3 * disk->width()) < 1.5);
  }

  void residencyCellsComeFromTheSnapshot() {
    StatsModel model;
    QVERIFY(!model.hasResidency());
    QVERIFY(model.residencyTiers().isEmpty());
    QSignalSpy residency(&model, &StatsModel::residencyChanged);
    QSignalSpy figures(&model, &StatsModel::changed);
    model.updateResidency(twoLayers());
    QCOMPARE(residency.count(), 1);
    QCOMPARE(figures.count(), 0);  // the other figures do not redraw for a heatmap
    QVERIFY(model.hasResidency());
    QCOMPARE(model.residencyLayers(), 2);
    QCOMPARE(model.residencyExperts(), 4);
    const QVariantList tiers = model.residencyTiers();
    QCOMPARE(tiers.size(), 8);
    QCOMPARE(tiers[0].toInt(), int(StatsModel::HostTier));
    QCOMPARE(tiers[2].toInt(), int(StatsModel::DiskTier));
    QCOMPARE(tiers[6].toInt(), int(StatsModel::HostTier));
    QCOMPARE(doubles(model.residencyHeat()),
             (QList<double>{0.25, 1.0, 0.5, 0.1, 0.05, 0.2, 0.75, 0.0}));

    // Without a host budget: every cell mapped, no uses counted, so no heat.
    ExpertResidency mapped;
    mapped.layers = 3;
    mapped.experts = 2;
    mapped.tiers.assign(6, ExpertTier::Mapped);
    model.updateResidency(mapped);
    QCOMPARE(model.residencyTiers(), QVariantList(6, int(StatsModel::MappedTier)));
    QVERIFY(model.residencyHeat().isEmpty());

    // A reply's clear() keeps the picture of the loaded model.
    model.clear();
    QVERIFY(model.hasResidency());
  }

  void batcherCarriesResidencyAtALowRate() {
    QList<StreamBatch> got;
    int snapshots = 0;
    {
      StreamBatcher batcher([&](StreamBatch b) { got << b; }, std::chrono::microseconds(0),
                            [&]() -> std::optional<ExpertResidency> {
                              ++snapshots;
                              return twoLayers();
                            },
                            std::chrono::hours(1));
      for (int i = 0; i < 50; ++i) batcher.onAnswer("x");
      QCOMPARE(got.size(), 50);  // every piece is due at a zero interval...
      QCOMPARE(snapshots, 1);    // ...but only the first carries the residency
      QVERIFY(got.front().residency.has_value());
      QCOMPARE(got.front().residency->tiers.size(), std::size_t(8));
      QVERIFY(!got.back().residency.has_value());
      batcher.flush();  // the end of a reply sends the last picture, even with nothing held
      QCOMPARE(snapshots, 2);
      QCOMPARE(got.size(), 51);
      QVERIFY(got.back().residency.has_value());
      QVERIFY(got.back().answer.isEmpty());
    }
    // Without a source the batches carry none, and an empty flush sends nothing.
    got.clear();
    StreamBatcher plain([&](StreamBatch b) { got << b; });
    plain.onAnswer("y");
    plain.flush();
    QCOMPARE(got.size(), 1);
    QVERIFY(!got.front().residency.has_value());
  }

  void panelPaintsTheResidencyHeatmap() {
    Stats stats;
    stats.generatedTokens = 10;
    stats.decodeSeconds = 1;
    stats.expertTiers = true;
    StatsModel model;
    model.update(stats);
    ExpertResidency residency = twoLayers();
    model.updateResidency(residency);

    ShownPanel shown;
    QVERIFY(shown.show(model, 900));
    QQuickItem* panel = shown.panel;
    QQuickWindow& window = shown.window;

    auto* heatmap = findItem(panel, "expertHeatmap");
    QVERIFY(heatmap);
    QTRY_VERIFY(heatmap->isVisible());
    QVERIFY(heatmap->width() > 100 && heatmap->height() > 4);
    const QRectF box = heatmap->mapRectToScene(heatmap->boundingRect());
    // The centre of cell (layer, expert) in window pixels.
    const auto cell = [&](int layer, int expert) {
      return QPoint(int(box.x() + (expert + 0.5) * box.width() / 4),
                    int(box.y() + (layer + 0.5) * box.height() / 2));
    };
    QImage image;
    // The canvas paints asynchronously: wait for the hottest host cell to differ from the unused
    // disk cell, then compare tiers and shades.
    QTRY_VERIFY((image = window.grabWindow(), image.pixel(cell(0, 1)) != image.pixel(cell(1, 3))));
    const QColor hotHost = image.pixelColor(cell(0, 1));
    const QColor coolHost = image.pixelColor(cell(0, 0));
    const QColor hotDisk = image.pixelColor(cell(0, 2));
    QVERIFY2(hotHost.greenF() > hotHost.redF(), "host RAM cells are green");
    QVERIFY2(hotDisk.redF() > hotDisk.blueF(), "disk cells are orange");
    QVERIFY2(hotHost != coolHost, "use changes the shade");
    // Stronger colour for more use: the hot cell is further from the background than the cool.
    const QColor base = image.pixelColor(cell(1, 3));
    const auto distance = [&](const QColor& c) {
      return qAbs(c.redF() - base.redF()) + qAbs(c.greenF() - base.greenF()) +
             qAbs(c.blueF() - base.blueF());
    };
    QVERIFY(distance(hotHost) > distance(coolHost) + 0.1);

    // A new snapshot repaints: expert 0 of layer 0 leaves for disk.
    residency.tiers[0] = ExpertTier::Disk;
    model.updateResidency(residency);
    QTRY_VERIFY((image = window.grabWindow(), image.pixelColor(cell(0, 0)) != coolHost));
    QVERIFY(image.pixelColor(cell(0, 0)).redF() > image.pixelColor(cell(0, 0)).greenF());
  }

  void panelDrawsBarsAndChartFromTheModel() {
    Stats stats;
    stats.generatedTokens = 120;
    stats.decodeSeconds = 4;
    stats.contextMax = 4096;
    stats.speculating = true;
    stats.spec.record(plain());
    StatsModel model;
    model.update(stats);
    for (int i = 0; i < 20; ++i) {
      // Position 1 always accepted, position 2 half the time, position 3 never.
      stats.spec.record(drafted(3, i % 2 ? 2 : 1));
      model.update(stats);
    }

    ShownPanel shown;
    QVERIFY(shown.show(model, 700));
    QQuickItem* panel = shown.panel;
    QQuickWindow& window = shown.window;

    auto* decode = findItem(panel, "decodeRate");
    QVERIFY(decode);
    QCOMPARE(decode->property("text").toString(), QStringLiteral("30.0 tok/s"));
    QVERIFY(findItem(panel, "speculationSection")->isVisible());

    auto* first = findItem(panel, "positionBar0");
    auto* second = findItem(panel, "positionBar1");
    auto* third = findItem(panel, "positionBar2");
    QVERIFY(first && second && third);
    QVERIFY(first->height() > 20);
    QVERIFY(qAbs(second->height() - first->height() / 2) < 1);
    QCOMPARE(third->height(), 0.0);

    auto* chart = findItem(panel, "acceptanceChart");
    QVERIFY(chart);
    const QRect chartBox = chart->mapRectToScene(chart->boundingRect()).toRect();
    // The canvas paints asynchronously; the chart's line alternates between 1/3 and 2/3.
    QTRY_VERIFY(distinctColours(window.grabWindow(), chartBox) > 3);

    // A new reply empties the chart and the bars, and the panel says why.
    model.clear();
    QTRY_VERIFY(findItem(panel, "statsPlaceholder")->isVisible());
    QTRY_VERIFY(!findItem(panel, "positionBar0"));
  }
};

QTEST_MAIN(StatsModelTest)
#include "test_stats_model.moc"
