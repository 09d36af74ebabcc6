#pragma once
// Rotary tables (deepseek-v4.md §4.2): interleaved pairs on the last qk_rope_head_dim dims.
// Window-only layers use rope_theta plainly; compressed layers use compress_rope_theta with
// YaRN frequency interpolation and no attention scaling.
#include "engine/model/model_config.h"

#include <cstdint>
#include <vector>

namespace flint::engine {

class RopeTable {
 public:
  RopeTable() = default;
  RopeTable(double base, const std::optional<RopeScaling>& yarn, std::size_t ropeDims);

  std::size_t pairs() const { return freqs_.size(); }
  const std::vector<double>& frequencies() const { return freqs_; }

  // cos and sin of pos * f_i for every pair, into `cos`/`sin` of pairs() floats.
  void angles(std::int64_t pos, float* cos, float* sin) const;

 private:
  std::vector<double> freqs_;  // double, like the reference: pos * f is large at long context
};

// The table a layer uses: by its compress ratio (0 plain, else YaRN).
RopeTable ropeTableFor(const ModelConfig& config, std::int64_t ratio);

}  // namespace flint::engine
