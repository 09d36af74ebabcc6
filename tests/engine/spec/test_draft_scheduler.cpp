// The draft scheduler's two decisions, on synthetic measurements: whether to draft (from the
// tokens per second drafted and plain steps achieved) and how many drafts to verify (from the
// confidences' survival products and the measured cost of each verify width, which carries the
// growth of distinct experts with the width).
#include "engine/spec/draft_scheduler.h"
#include "engine/spec/spec_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace flint::engine {
namespace {

TEST(DraftScheduler, DraftsWhenDraftingIsFasterAndKeepsExploring) {
  for (double draftedSpeed : {3.0, 0.2}) {  // drafting three times faster, or five times slower
    DraftScheduler scheduler;
    std::size_t drafted = 0;
    const std::size_t steps = 2000;
    for (std::size_t i = 0; i < steps; ++i) {
      const bool draft = scheduler.shouldDraft();
      drafted += draft;
      scheduler.recordStep(draft, draft ? draftedSpeed : 1.0);
    }
    if (draftedSpeed > 1) {
      EXPECT_GT(drafted, steps * 9 / 10);
      EXPECT_LT(drafted, steps);  // plain decoding was still tried
    } else {
      EXPECT_LT(drafted, steps / 20) << "exploring a slow choice must stay cheap";
      EXPECT_GT(drafted, 2u);
    }
  }
}

// Verify costs of widths 1..6 from a model of the pass: a fixed part per pass, a part per token,
// and one per distinct routed expert read, with `experts` routed experts of which each token
// picks `topK` (the expected size of the union of w tokens' choices).
void measureWidths(DraftScheduler& s, double perPass, double perToken, double perExpert,
                   double experts = 256, double topK = 6) {
  for (std::size_t w = 1; w <= 6; ++w) {
    const double distinct = experts * (1 - std::pow(1 - topK / experts, double(w)));
    s.recordVerify(w, perPass + perToken * double(w) + perExpert * distinct, std::size_t(distinct));
  }
}

// The choice without the periodic exploration of one draft more, which adds one to at most one
// of two consecutive choices.
std::size_t choose(DraftScheduler& s, const std::vector<float>& confidences) {
  const std::size_t first = s.chooseLength(confidences);
  return std::min(first, s.chooseLength(confidences));
}

TEST(DraftScheduler, VerifiesEveryDraftWhenAWidePassCostsAboutOneToken) {
  DraftScheduler s;
  measureWidths(s, 1.0, 0.01, 0.0);  // bandwidth-bound, experts all in the fast tier
  EXPECT_EQ(choose(s, {0.9f, 0.8f, 0.7f, 0.6f, 0.5f}), 5u);
  EXPECT_EQ(choose(s, {0.9f, 0.8f, 0.7f}), 3u) << "never more than the drafts there are";
}

TEST(DraftScheduler, VerifiesNothingWhenEachTokenCostsAWholeStep) {
  DraftScheduler s;
  measureWidths(s, 0.0, 1.0, 0.0);  // compute-bound: a pass of w tokens costs w steps
  EXPECT_EQ(choose(s, {0.95f, 0.95f, 0.95f, 0.95f, 0.95f}), 0u);
}

TEST(DraftScheduler, ExpertGrowthOfWidePassesShortensTheChoice) {
  // The same confidences; only where the experts live differs. In the fast tier a wide pass is
  // nearly free; where each distinct expert must come from slow memory, the experts a wide pass
  // adds cost more than its expected extra tokens.
  const std::vector<float> confidences = {0.85f, 0.8f, 0.75f, 0.7f, 0.65f};
  DraftScheduler fast, slow;
  measureWidths(fast, 1.0, 0.01, 0.0001);
  measureWidths(slow, 0.2, 0.01, 0.05);
  EXPECT_GT(slow.expertsAt(6), 5 * slow.expertsAt(1));
  const std::size_t wide = choose(fast, confidences), narrow = choose(slow, confidences);
  EXPECT_EQ(wide, 5u);
  EXPECT_GE(narrow, 1u);
  EXPECT_LT(narrow, 3u);
}

TEST(DraftScheduler, LowSurvivalStopsEarly) {
  DraftScheduler s;
  measureWidths(s, 1.0, 0.15, 0.0);  // each extra token costs 15 % of a step
  EXPECT_EQ(choose(s, {0.9f, 0.9f, 0.9f, 0.9f, 0.9f}), 5u);
  EXPECT_EQ(choose(s, {0.9f, 0.1f, 0.9f, 0.9f, 0.9f}), 1u) << "draft 2 will likely fail";
}

TEST(DraftScheduler, CalibratesAnOverconfidentHead) {
  DraftScheduler s;
  measureWidths(s, 1.0, 0.15, 0.0);
  const std::vector<float> confidences = {0.95f, 0.95f, 0.95f, 0.95f, 0.95f};
  EXPECT_EQ(choose(s, confidences), 5u);
  // The head says 0.95 but each draft survives with probability 1/3 only.
  std::mt19937 rng(7);
  std::bernoulli_distribution survives(1.0 / 3);
  for (int i = 0; i < 2000; ++i) {
    std::size_t accepted = 0;
    while (accepted < 5 && survives(rng)) ++accepted;
    s.recordOutcome(confidences, std::min<std::size_t>(accepted + 1, 5), accepted);
  }
  for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(s.calibrated(j, 0.95), 1.0 / 3, 0.15) << j;
  EXPECT_NEAR(s.calibrated(7, 0.95), 0.95, 1e-9) << "position 8 was never observed";
  EXPECT_EQ(choose(s, confidences), 1u);
}

TEST(DraftScheduler, EstimatesWidthsItHasNotMeasured) {
  DraftScheduler s;
  EXPECT_DOUBLE_EQ(s.verifyCost(4), 1.0) << "nothing measured: all widths alike";
  s.recordVerify(1, 1.0, 6);
  EXPECT_DOUBLE_EQ(s.verifyCost(6), 1.0) << "beyond what was measured: optimistic";
  s.recordVerify(6, 2.0, 30);
  EXPECT_DOUBLE_EQ(s.verifyCost(6), 2.0);
  EXPECT_NEAR(s.verifyCost(3), 1.4, 1e-12) << "between two measured widths: linear";
  EXPECT_TRUE(s.measured(6));
  EXPECT_FALSE(s.measured(3));
  EXPECT_DOUBLE_EQ(s.expertsAt(6), 30);
}

TEST(DraftScheduler, NowAndThenVerifiesOneDraftMore) {
  DraftScheduler s;
  measureWidths(s, 0.0, 1.0, 0.0);  // zero pays
  std::size_t wider = 0;
  for (std::size_t i = 0; i < 10 * DraftScheduler::kExploreEvery; ++i) {
    const std::size_t k = s.chooseLength(std::vector<float>{0.5f, 0.5f});
    EXPECT_LE(k, 1u);
    wider += k;
  }
  EXPECT_EQ(wider, 10u);
}

SpecStep step(std::size_t drafts, std::size_t accepted) {
  SpecStep s;
  s.drafts = drafts;
  s.tried = std::min(drafts, accepted + 1);
  s.accepted = accepted;
  s.experts = 10 + drafts;
  s.draftSeconds = 0.001 * double(drafts);
  s.verifySeconds = 0.01;
  return s;
}

TEST(SpecStats, TheWindowHoldsExactlyTheLastSteps) {
  SpecStats stats;
  std::vector<SpecStep> steps;
  for (std::size_t i = 0; i < 100; ++i) steps.push_back(step(i % 6, (i * 7) % 6 % (i % 6 + 1)));
  for (const SpecStep& s : steps) stats.record(s);
  SpecCounters all, last;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    all.add(steps[i]);
    if (i + SpecStats::kWindow >= steps.size()) last.add(steps[i]);
  }
  for (const auto& [got, want] :
       {std::pair<const SpecCounters&, const SpecCounters&>{stats, all}, {stats.recent, last}}) {
    EXPECT_EQ(got.steps, want.steps);
    EXPECT_EQ(got.plainSteps, want.plainSteps);
    EXPECT_EQ(got.draftTokens, want.draftTokens);
    EXPECT_EQ(got.acceptedTokens, want.acceptedTokens);
    EXPECT_EQ(got.expertsInVerify, want.expertsInVerify);
    EXPECT_EQ(got.expertsInPlain, want.expertsInPlain);
    ASSERT_EQ(got.triedAt.size(), want.triedAt.size());
    for (std::size_t k = 0; k < got.triedAt.size(); ++k) {
      EXPECT_EQ(got.triedAt[k], want.triedAt[k]) << k;
      EXPECT_EQ(got.acceptedAt[k], want.acceptedAt[k]) << k;
    }
    EXPECT_NEAR(got.verifySeconds, want.verifySeconds, 1e-9);
    EXPECT_NEAR(got.plainSeconds, want.plainSeconds, 1e-9);
  }
  EXPECT_EQ(stats.recent.steps + stats.recent.plainSteps, SpecStats::kWindow);
}

TEST(SpecStats, SpeedupComparesWithThePlainStepsOfTheSameRun) {
  SpecCounters c;
  EXPECT_EQ(c.speedupOverPlain(), 0) << "nothing ran";
  SpecStep plain;
  plain.verifySeconds = 0.1;  // one token in 0.1 s
  c.add(plain);
  EXPECT_EQ(c.speedupOverPlain(), 0) << "nothing drafted";
  SpecStep drafted;  // 4 drafts, 3 accepted: 4 tokens in 0.02 + 0.18 s
  drafted.drafts = 4;
  drafted.tried = 4;
  drafted.accepted = 3;
  drafted.draftSeconds = 0.02;
  drafted.verifySeconds = 0.18;
  c.add(drafted);
  // 5 tokens in 0.3 s against 10 tok/s plain.
  EXPECT_NEAR(c.speedupOverPlain(), (5 / 0.3) / 10, 1e-12);
  EXPECT_NEAR(c.acceptanceAt(3), 0.0, 1e-12);
  EXPECT_NEAR(c.acceptanceAt(2), 1.0, 1e-12);
  EXPECT_NEAR(c.meanAcceptedLength(), 4.0, 1e-12);
}

}  // namespace
}  // namespace flint::engine
