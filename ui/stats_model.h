#pragma once
// The live statistics of the reply being generated, for the statistics panel: decode and
// prefill speed, and for speculation the acceptance (cumulative and over the engine's sliding
// window), mean accepted length, per-position acceptance, a short history of acceptance per
// step for the chart, draft vs verify time, distinct experts per verify pass, and the speedup
// over the plain steps of the same reply; for a model whose experts live in a host memory
// budget with the disk behind it, how often an expert was already in memory and what was read
// from disk; and a layer x expert heatmap of where each routed expert is (host RAM, disk, or
// mapped when there is no budget) and how much it was used. Fed on the GUI thread by the
// ChatController with the engine's Stats snapshots (already limited to ~60 a second by the
// EngineWorker) and residency snapshots (~2 a second, with their own signal so the heatmap
// repaints only then).
#include "engine/engine.h"

#include <QtQml/qqmlregistration.h>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QVariantList>

#include <array>
#include <chrono>
#include <cstddef>

namespace flint::ui {

class StatsModel : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StatsModel comes from a ChatController")

  Q_PROPERTY(bool hasData READ hasData NOTIFY changed)
  Q_PROPERTY(double decodeTokensPerSecond READ decodeTokensPerSecond NOTIFY changed)
  Q_PROPERTY(double prefillTokensPerSecond READ prefillTokensPerSecond NOTIFY changed)
  Q_PROPERTY(bool speculating READ speculating NOTIFY changed)
  Q_PROPERTY(double acceptanceRate READ acceptanceRate NOTIFY changed)
  Q_PROPERTY(double recentAcceptanceRate READ recentAcceptanceRate NOTIFY changed)
  Q_PROPERTY(double meanAcceptedLength READ meanAcceptedLength NOTIFY changed)
  Q_PROPERTY(double speedup READ speedup NOTIFY changed)
  Q_PROPERTY(double draftSeconds READ draftSeconds NOTIFY changed)
  Q_PROPERTY(double verifySeconds READ verifySeconds NOTIFY changed)
  Q_PROPERTY(double expertsPerVerify READ expertsPerVerify NOTIFY changed)
  Q_PROPERTY(double expertsPerPlainStep READ expertsPerPlainStep NOTIFY changed)
  Q_PROPERTY(int contextUsed READ contextUsed NOTIFY changed)
  Q_PROPERTY(int contextMax READ contextMax NOTIFY changed)
  Q_PROPERTY(int generatedTokens READ generatedTokens NOTIFY changed)
  Q_PROPERTY(QVariantList positionAcceptance READ positionAcceptance NOTIFY changed)
  Q_PROPERTY(QVariantList acceptanceHistory READ acceptanceHistory NOTIFY changed)
  Q_PROPERTY(int historyCapacity READ historyCapacity CONSTANT)
  Q_PROPERTY(bool expertTiers READ expertTiers NOTIFY changed)
  Q_PROPERTY(double expertHitRate READ expertHitRate NOTIFY changed)
  Q_PROPERTY(int expertHostHits READ expertHostHits NOTIFY changed)
  Q_PROPERTY(int expertDiskReads READ expertDiskReads NOTIFY changed)
  Q_PROPERTY(int expertReadAhead READ expertReadAhead NOTIFY changed)
  Q_PROPERTY(double expertMegabytesRead READ expertMegabytesRead NOTIFY changed)
  Q_PROPERTY(double expertReadSeconds READ expertReadSeconds NOTIFY changed)
  Q_PROPERTY(bool hasResidency READ hasResidency NOTIFY residencyChanged)
  Q_PROPERTY(int residencyLayers READ residencyLayers NOTIFY residencyChanged)
  Q_PROPERTY(int residencyExperts READ residencyExperts NOTIFY residencyChanged)
  Q_PROPERTY(QVariantList residencyTiers READ residencyTiers NOTIFY residencyChanged)
  Q_PROPERTY(QVariantList residencyHeat READ residencyHeat NOTIFY residencyChanged)

 public:
  // A heatmap cell's tier, as residencyTiers lists it.
  enum ExpertTier { MappedTier, HostTier, DiskTier };
  Q_ENUM(ExpertTier)

  // Verify steps the acceptance chart shows.
  static constexpr std::size_t kHistorySteps = 64;
  // The figures reach QML at most this often (the values themselves are always current).
  static constexpr std::chrono::milliseconds kAnnounceInterval{100};

  explicit StatsModel(QObject* parent = nullptr);

  // A new snapshot of the reply in progress (cumulative for that reply).
  void update(const flint::engine::Stats& stats);
  // A new reply starts: forget the last one's figures (the history chart keeps nothing). The
  // residency stays: it describes the loaded model since load, not the reply.
  void clear();
  // A new residency snapshot (stored as is; the lists are built when the heatmap reads them).
  void updateResidency(flint::engine::ExpertResidency residency);

  bool hasData() const { return m_hasData; }
  double decodeTokensPerSecond() const { return m_stats.decodeTokensPerSecond(); }
  double prefillTokensPerSecond() const { return m_stats.prefillTokensPerSecond(); }
  bool speculating() const { return m_stats.speculating; }
  double acceptanceRate() const { return m_stats.spec.acceptanceRate(); }
  double recentAcceptanceRate() const { return m_stats.spec.recent.acceptanceRate(); }
  double meanAcceptedLength() const { return m_stats.spec.meanAcceptedLength(); }
  // 0 until the reply ran both drafted and plain steps to compare.
  double speedup() const { return m_stats.spec.speedupOverPlain(); }
  double draftSeconds() const { return m_stats.spec.draftSeconds; }
  double verifySeconds() const { return m_stats.spec.verifySeconds; }
  double expertsPerVerify() const { return m_stats.spec.expertsPerVerify(); }
  double expertsPerPlainStep() const { return m_stats.spec.expertsPerPlainStep(); }
  int contextUsed() const { return int(m_stats.contextUsed); }
  int contextMax() const { return int(m_stats.contextMax); }
  int generatedTokens() const { return int(m_stats.generatedTokens); }
  // P(draft k accepted | the drafts before it were), over the engine's sliding window.
  QVariantList positionAcceptance() const;
  // Acceptance of each of the last kHistorySteps verify steps, oldest first.
  QVariantList acceptanceHistory() const;
  int historyCapacity() const { return int(kHistorySteps); }
  // False when every expert stays in memory: the figures below are then all zero.
  bool expertTiers() const { return m_stats.expertTiers; }
  // Of this reply's expert uses, the share served from host memory.
  double expertHitRate() const { return m_stats.experts.hitRate(); }
  int expertHostHits() const { return int(m_stats.experts.hostHits); }
  int expertDiskReads() const { return int(m_stats.experts.diskReads); }
  // Of the disk reads, those started before the expert was asked for.
  int expertReadAhead() const { return int(m_stats.experts.readAhead); }
  double expertMegabytesRead() const { return double(m_stats.experts.bytesRead) / 1e6; }
  double expertReadSeconds() const { return m_stats.experts.readSeconds; }
  bool hasResidency() const { return m_residency.layers > 0; }
  int residencyLayers() const { return int(m_residency.layers); }
  int residencyExperts() const { return int(m_residency.experts); }
  // One ExpertTier per cell, row by row: layer * residencyExperts + expert.
  QVariantList residencyTiers() const;
  // Each cell's uses over the most used cell's (0..1), same layout; empty when the engine does
  // not count uses (no host budget).
  QVariantList residencyHeat() const;

 signals:
  void changed();
  void residencyChanged();

 private:
  void recordSteps(const flint::engine::SpecCounters& now);
  void announce();

  flint::engine::Stats m_stats;
  QTimer m_pending;
  QElapsedTimer m_sinceAnnounce;
  flint::engine::ExpertResidency m_residency;
  bool m_hasData = false;
  std::array<double, kHistorySteps>
      m_history{};  // a ring: m_historyCount values end at m_historyEnd
  std::size_t m_historyEnd = 0;
  std::size_t m_historyCount = 0;
};

}  // namespace flint::ui
