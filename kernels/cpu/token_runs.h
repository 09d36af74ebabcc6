#pragma once
// Splits `tokens` activation rows into runs of at most kFusedTokens, calling
// fn(firstToken, std::integral_constant<int, RunLength>) so each run gets a kernel whose
// accumulators stay in registers.
#include "kernels/cpu/row_dot.h"

#include <cstddef>
#include <type_traits>

namespace flint::kernels {

template <typename Fn>
inline void forTokenRuns(std::size_t tokens, Fn&& fn) {
  static_assert(kFusedTokens == 4);
  for (std::size_t t0 = 0; t0 < tokens; t0 += 4) {
    switch (tokens - t0 >= 4 ? 4 : tokens - t0) {
      case 4:
        fn(t0, std::integral_constant<int, 4>{});
        break;
      case 3:
        fn(t0, std::integral_constant<int, 3>{});
        break;
      case 2:
        fn(t0, std::integral_constant<int, 2>{});
        break;
      default:
        fn(t0, std::integral_constant<int, 1>{});
        break;
    }
  }
}

}  // namespace flint::kernels
