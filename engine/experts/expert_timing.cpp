#include "engine/experts/expert_timing.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace flint::engine {

double measureExpertSecondsPerToken(const LinearContext& ctx, const MoeShape& shape,
                                    const ExpertWeights& expert, std::size_t tokens) {
  std::vector<float> x(tokens * shape.hidden), y(tokens * shape.hidden);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 17) - 8) / 16.0f;
  Moe moe;
  moe.runExpert(ctx, shape, expert, x.data(), nullptr, tokens, y.data());  // warms the pages
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    const auto start = std::chrono::steady_clock::now();
    moe.runExpert(ctx, shape, expert, x.data(), nullptr, tokens, y.data());
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = run == 0 ? s : std::min(best, s);
  }
  return best / double(tokens);
}

}  // namespace flint::engine
