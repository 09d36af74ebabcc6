#pragma once
// Whether drafting pays on this machine and model. Where decode is bound by memory bandwidth a
// verify pass of six tokens costs little more than one, and drafts are nearly free; where it is
// bound by compute (a model that fits in cache, like flint-tiny) the pass costs nearly six, and
// drafting loses unless almost every draft is accepted. So the scheduler measures: tokens per
// second of drafted steps and of plain steps (moving averages over the engine's life), takes the
// better, and keeps trying the other, less often the more it loses by.
#include <cstddef>

namespace flint::engine {

class DraftScheduler {
 public:
  // How many drafts the next step should carry, at most `maxDrafts`.
  std::size_t choose(std::size_t maxDrafts);
  // What a step that carried drafts (or not) achieved.
  void record(bool drafted, double tokensPerSecond);

  double draftedRate() const { return draftedRate_; }
  double plainRate() const { return plainRate_; }

  static constexpr std::size_t kExploreEvery = 16;

 private:
  double draftedRate_ = 0, plainRate_ = 0;
  std::size_t draftedSamples_ = 0, plainSamples_ = 0, steps_ = 0, lastExplore_ = 0;
};

}  // namespace flint::engine
