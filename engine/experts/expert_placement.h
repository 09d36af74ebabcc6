#pragma once
// Where a routed expert that is not on the device is computed for a batch: on the host, where
// it is, or on the device after moving its bytes there. Moving pays when
//     transfer + tokens * hostSecondsPerToken / deviceSpeedup < tokens * hostSecondsPerToken,
// so from the smallest batch above transfer / (hostSecondsPerToken * (1 - 1 / deviceSpeedup)).
// Decode (one token) stays where the expert lives unless the link is nearly free; a prefill
// batch moves. The inputs are measured (expert_timing.h), not guessed.
#include <cstddef>
#include <cstdint>

namespace flint::engine {

class ExpertPlacement {
 public:
  // Never moves an expert for its batch.
  ExpertPlacement() = default;
  // hostSecondsPerToken: one expert's FFN on the host, per token of a batch; transferSeconds:
  // one expert's bytes over the link; deviceSpeedup: how much faster the device computes it.
  ExpertPlacement(double hostSecondsPerToken, double transferSeconds, double deviceSpeedup);

  // The smallest batch that is moved to the device; SIZE_MAX when none is (a device no faster
  // than the host).
  std::size_t threshold() const { return threshold_; }
  bool moveToDevice(std::size_t tokens) const { return tokens >= threshold_; }

  double hostSecondsPerToken() const { return hostSecondsPerToken_; }
  double transferSeconds() const { return transferSeconds_; }
  double deviceSpeedup() const { return deviceSpeedup_; }

 private:
  double hostSecondsPerToken_ = 0, transferSeconds_ = 0, deviceSpeedup_ = 1;
  std::size_t threshold_ = SIZE_MAX;
};

}  // namespace flint::engine
