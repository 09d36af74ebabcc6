#pragma once
// Speculation figures: per generate() call cumulatively, and over the last kWindow steps so a
// live display follows what the drafter does now (a reply's opening and its long tail can
// differ a lot). Filled by the Speculator, one SpecStep per decode step.
#include <array>
#include <cstddef>
#include <vector>

namespace flint::engine {

// One decode step of a speculating session.
struct SpecStep {
  std::size_t drafts = 0;    // verified drafts; 0: a plain step (the scheduler chose none)
  std::size_t tried = 0;     // drafts the verification reached (the rest follow a rejection)
  std::size_t accepted = 0;  // drafts kept
  std::size_t experts = 0;   // distinct routed experts the target pass read
  double draftSeconds = 0, verifySeconds = 0;  // a plain step's time counts as verify
};

struct SpecCounters {
  std::size_t steps = 0;                         // verify passes that carried at least one draft
  std::size_t plainSteps = 0;                    // decode steps the scheduler ran without drafts
  std::size_t draftTokens = 0;                   // drafts verified in them
  std::size_t acceptedTokens = 0;                // drafts the target accepted
  std::vector<std::size_t> triedAt, acceptedAt;  // per draft position: reached, accepted
  double draftSeconds = 0, verifySeconds = 0;    // of the drafted steps
  double plainSeconds = 0;                       // of the plain steps
  std::size_t expertsInVerify = 0;  // distinct routed experts the verify passes read, summed
  std::size_t expertsInPlain = 0;   // the same for steps without drafts

  void add(const SpecStep& step);
  void remove(const SpecStep& step);
  SpecCounters& operator+=(const SpecCounters& other);

  double acceptanceRate() const { return draftTokens ? double(acceptedTokens) / draftTokens : 0; }
  // Tokens each verify pass commits: the accepted drafts plus the target's own token.
  double meanAcceptedLength() const {
    return steps ? double(acceptedTokens + steps) / double(steps) : 0;
  }
  // P(draft k accepted | drafts before it were); 0 where position k was never reached.
  double acceptanceAt(std::size_t k) const {
    return k < triedAt.size() && triedAt[k] ? double(acceptedAt[k]) / double(triedAt[k]) : 0;
  }
  double expertsPerVerify() const { return steps ? double(expertsInVerify) / steps : 0; }
  double expertsPerPlainStep() const {
    return plainSteps ? double(expertsInPlain) / plainSteps : 0;
  }
  // Tokens per second of the drafted steps and of the plain ones, both measured in this run.
  double draftedTokensPerSecond() const {
    const double s = draftSeconds + verifySeconds;
    return s > 0 ? double(acceptedTokens + steps) / s : 0;
  }
  double plainTokensPerSecond() const { return plainSeconds > 0 ? plainSteps / plainSeconds : 0; }
  // Decode speed over what the plain steps of the same run achieved; 0 until both kinds ran.
  double speedupOverPlain() const {
    const double plain = plainTokensPerSecond();
    const double all = plainSeconds + draftSeconds + verifySeconds;
    if (plain <= 0 || steps == 0 || all <= 0) return 0;
    return double(acceptedTokens + steps + plainSteps) / all / plain;
  }
};

struct SpecStats : SpecCounters {
  static constexpr std::size_t kWindow = 32;
  SpecCounters recent;  // the last kWindow steps

  void record(const SpecStep& step);

 private:
  std::array<SpecStep, kWindow> ring_{};
  std::size_t recorded_ = 0;
};

}  // namespace flint::engine
