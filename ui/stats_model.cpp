#include "ui/stats_model.h"

#include <algorithm>
#include <utility>

namespace flint::ui {

StatsModel::StatsModel(QObject* parent) : QObject(parent) {
  m_pending.setSingleShot(true);
  connect(&m_pending, &QTimer::timeout, this, &StatsModel::announce);
}

void StatsModel::update(const flint::engine::Stats& stats) {
  recordSteps(stats.spec);
  m_stats = stats;  // reuses the vectors' storage: no allocation once they have grown
  m_hasData = true;
  // Every binding of the panel re-evaluates on changed(), which costs milliseconds: tell QML at
  // most kAnnounceInterval apart, and always once more after the last update.
  if (m_pending.isActive()) return;
  const auto since = std::chrono::milliseconds(
      m_sinceAnnounce.isValid() ? m_sinceAnnounce.elapsed() : kAnnounceInterval.count());
  if (since >= kAnnounceInterval)
    announce();
  else
    m_pending.start(kAnnounceInterval - since);
}

void StatsModel::clear() {
  m_stats = {};
  m_hasData = false;
  m_historyEnd = 0;
  m_historyCount = 0;
  m_pending.stop();
  announce();
  // The new reply's first figures go out at once: held back behind this empty announcement, a
  // reply shorter than the interval showed none while it ran.
  m_sinceAnnounce.invalidate();
}

void StatsModel::announce() {
  m_sinceAnnounce.start();
  emit changed();
}

void StatsModel::updateResidency(flint::engine::ExpertResidency residency) {
  m_residency = std::move(residency);
  emit residencyChanged();
}

// The snapshots are cumulative, so a step's acceptance is the difference between two of them.
// The worker coalesces snapshots (at most ~60 a second), so one difference may span several
// verify steps: each of them gets their mean, which keeps the chart's x axis in steps.
void StatsModel::recordSteps(const flint::engine::SpecCounters& now) {
  const flint::engine::SpecCounters& before = m_stats.spec;
  // Counters that went back mean a new reply began without clear(): count from zero.
  const bool restarted = now.steps < before.steps || now.draftTokens < before.draftTokens;
  const std::size_t steps = restarted ? now.steps : now.steps - before.steps;
  if (steps == 0) return;
  const std::size_t drafted = restarted ? now.draftTokens : now.draftTokens - before.draftTokens;
  const std::size_t accepted =
      restarted ? now.acceptedTokens : now.acceptedTokens - before.acceptedTokens;
  const double acceptance = drafted ? double(accepted) / double(drafted) : 0;
  for (std::size_t i = 0; i < std::min(steps, kHistorySteps); ++i) {
    m_history[m_historyEnd] = acceptance;
    m_historyEnd = (m_historyEnd + 1) % kHistorySteps;
    m_historyCount = std::min(m_historyCount + 1, kHistorySteps);
  }
}

QVariantList StatsModel::positionAcceptance() const {
  const flint::engine::SpecCounters& recent = m_stats.spec.recent;
  QVariantList out;
  out.reserve(qsizetype(recent.triedAt.size()));
  for (std::size_t k = 0; k < recent.triedAt.size(); ++k) out.append(recent.acceptanceAt(k));
  return out;
}

QVariantList StatsModel::acceptanceHistory() const {
  QVariantList out;
  out.reserve(qsizetype(m_historyCount));
  const std::size_t first = (m_historyEnd + kHistorySteps - m_historyCount) % kHistorySteps;
  for (std::size_t i = 0; i < m_historyCount; ++i)
    out.append(m_history[(first + i) % kHistorySteps]);
  return out;
}

QVariantList StatsModel::residencyTiers() const {
  QVariantList out;
  out.reserve(qsizetype(m_residency.tiers.size()));
  for (flint::engine::ExpertTier tier : m_residency.tiers) switch (tier) {
      case flint::engine::ExpertTier::Mapped:
        out.append(int(MappedTier));
        break;
      case flint::engine::ExpertTier::Host:
        out.append(int(HostTier));
        break;
      case flint::engine::ExpertTier::Disk:
        out.append(int(DiskTier));
        break;
    }
  return out;
}

QVariantList StatsModel::residencyHeat() const {
  QVariantList out;
  const auto most = std::max_element(m_residency.uses.begin(), m_residency.uses.end());
  if (most == m_residency.uses.end()) return out;
  const double scale = *most ? 1.0 / double(*most) : 0;
  out.reserve(qsizetype(m_residency.uses.size()));
  for (std::uint64_t uses : m_residency.uses) out.append(double(uses) * scale);
  return out;
}

}  // namespace flint::ui
