#pragma once
// Scratch buffers of the forward pass grow to the largest call and are then reused, so a
// decode step allocates nothing.
#include <cstddef>
#include <vector>

namespace flint::engine {

// At least n floats of `v`, growing it only when needed.
inline float* grow(std::vector<float>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

}  // namespace flint::engine
