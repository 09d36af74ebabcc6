#include "engine/spec/spec_stats.h"

#include <algorithm>

namespace flint::engine {
namespace {

// Adds (sign 1) or removes (sign -1) one step; unsigned wrap-around cancels exactly.
void apply(SpecCounters& c, const SpecStep& step, int sign) {
  const auto delta = [sign](std::size_t v) { return sign > 0 ? v : std::size_t(0) - v; };
  if (step.drafts == 0) {
    c.plainSteps += delta(1);
    c.plainSeconds += sign * step.verifySeconds;
    c.draftSeconds += sign * step.draftSeconds;  // drafts the scheduler then declined to verify
    c.expertsInPlain += delta(step.experts);
    return;
  }
  c.steps += delta(1);
  c.draftTokens += delta(step.drafts);
  c.acceptedTokens += delta(step.accepted);
  c.draftSeconds += sign * step.draftSeconds;
  c.verifySeconds += sign * step.verifySeconds;
  c.expertsInVerify += delta(step.experts);
  if (c.triedAt.size() < step.drafts) {  // grows once, to the drafter's block size
    c.triedAt.resize(step.drafts);
    c.acceptedAt.resize(step.drafts);
  }
  for (std::size_t k = 0; k < step.tried; ++k) {
    c.triedAt[k] += delta(1);
    if (k < step.accepted) c.acceptedAt[k] += delta(1);
  }
}

}  // namespace

void SpecCounters::add(const SpecStep& step) {
  apply(*this, step, 1);
}

void SpecCounters::remove(const SpecStep& step) {
  apply(*this, step, -1);
}

SpecCounters& SpecCounters::operator+=(const SpecCounters& other) {
  steps += other.steps;
  plainSteps += other.plainSteps;
  draftTokens += other.draftTokens;
  acceptedTokens += other.acceptedTokens;
  if (triedAt.size() < other.triedAt.size()) {
    triedAt.resize(other.triedAt.size());
    acceptedAt.resize(other.triedAt.size());
  }
  for (std::size_t k = 0; k < other.triedAt.size(); ++k) {
    triedAt[k] += other.triedAt[k];
    acceptedAt[k] += other.acceptedAt[k];
  }
  draftSeconds += other.draftSeconds;
  verifySeconds += other.verifySeconds;
  plainSeconds += other.plainSeconds;
  expertsInVerify += other.expertsInVerify;
  expertsInPlain += other.expertsInPlain;
  return *this;
}

void SpecStats::record(const SpecStep& step) {
  add(step);
  SpecStep& slot = ring_[recorded_ % kWindow];
  if (recorded_ >= kWindow) recent.remove(slot);
  slot = step;
  recent.add(step);
  ++recorded_;
}

}  // namespace flint::engine
