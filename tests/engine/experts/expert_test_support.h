#pragma once
// What the expert-store tests share: the 64-expert checkpoint, one prompt and one greedy
// request that route through many experts, and a bit-for-bit comparison of logits.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace flint::engine::testing {

inline const std::filesystem::path kExperts64 =
    std::filesystem::path(FLINT_TEST_CHECKPOINTS_DIR) / "experts64";

inline std::vector<TokenId> promptIds() {
  std::vector<TokenId> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(TokenId((i * 37 + 11) % 300 + 2));
  return ids;
}

inline GenerateRequest greedyRequest() {
  GenerateRequest r;
  r.messages = {{ChatRole::kUser, "Tell me about the experts of this model, please.", ""}};
  r.sampling.temperature = 0;
  r.maxTokens = 48;
  return r;
}

inline void expectBitIdentical(const std::vector<float>& a, const std::vector<float>& b,
                               const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(std::bit_cast<std::uint32_t>(a[i]), std::bit_cast<std::uint32_t>(b[i]))
        << what << " at " << i;
}

}  // namespace flint::engine::testing
