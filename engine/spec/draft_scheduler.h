#pragma once
// How many drafts a speculative step verifies. Two decisions per step:
//
// 1. Before drafting, whether to draft at all: a draft pass costs time whatever it proposes, so
//    the scheduler compares the tokens per second that drafted and plain steps achieved
//    (moving averages over the engine's life) and takes the better, trying the other now and
//    then, less often the more it loses by. Where decode is bound by memory bandwidth a wide
//    verify pass costs little more than one token; where it is bound by compute (a model that
//    fits in cache, like flint-tiny) it costs nearly one step per token, and drafting loses.
// 2. After drafting, how many of the drafts to verify: the confidence head gives each draft's
//    probability of acceptance given the earlier ones; their running products S_j are the
//    chance that the first j drafts all survive, so verifying k drafts commits 1 + S_1 + ... +
//    S_k tokens on average. The scheduler picks the k with the most tokens per second of
//    measured verify time at width k + 1. That measurement includes reading the routed experts
//    the pass touches, whose number grows with the width (deepseek-v4.md §7, anchors.md): where
//    experts are slow to reach, wide passes cost more and the choice shortens by itself. The
//    confidences are calibrated per position against the acceptance actually observed.
#include <array>
#include <cstddef>
#include <span>

namespace flint::engine {

class DraftScheduler {
 public:
  static constexpr std::size_t kMaxDrafts = 16;
  static constexpr std::size_t kExploreEvery = 16;

  // Decision 1: whether the next step drafts.
  bool shouldDraft();
  // Decision 2: how many of the drafts (0 .. confidences.size() <= kMaxDrafts) to verify, from
  // each draft's confidence (probability, not logit).
  std::size_t chooseLength(std::span<const float> confidences);

  // What a step that drafted (or not) achieved: committed tokens per second.
  void recordStep(bool drafted, double tokensPerSecond);
  // A target pass over `width` tokens: its time and the distinct routed experts it read.
  void recordVerify(std::size_t width, double seconds, std::size_t distinctExperts);
  // The confidences of the drafts a pass verified, `tried` of them reached and `accepted`
  // (the first ones) accepted: calibrates later confidences.
  void recordOutcome(std::span<const float> confidences, std::size_t tried, std::size_t accepted);

  // Measured (or, for widths not measured yet, estimated) seconds of a verify pass.
  double verifyCost(std::size_t width) const;
  // Distinct routed experts a pass of `width` tokens read (moving average; 0 if unmeasured).
  double expertsAt(std::size_t width) const;
  bool measured(std::size_t width) const;
  // A confidence after calibration at draft position `position`.
  double calibrated(std::size_t position, double confidence) const;

  double draftedRate() const { return draftedRate_; }
  double plainRate() const { return plainRate_; }

 private:
  struct Width {
    double seconds = 0, experts = 0;
    std::size_t samples = 0;
  };
  // Per draft position: discounted sums of predicted and observed acceptance.
  struct Calibration {
    double predicted = 1, observed = 1;
  };

  double draftedRate_ = 0, plainRate_ = 0;
  std::size_t draftedSamples_ = 0, plainSamples_ = 0, steps_ = 0, lastExplore_ = 0;
  std::size_t lengthChoices_ = 0;
  std::array<Width, kMaxDrafts + 1> widths_{};  // index: width - 1
  std::array<Calibration, kMaxDrafts> calibration_{};
};

}  // namespace flint::engine
