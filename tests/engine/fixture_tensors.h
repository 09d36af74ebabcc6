#pragma once
// Reading the golden fixtures the PyTorch reference writes (safetensors files of plain arrays).
#include "engine/model/safetensors_file.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace flint::engine::testing {

template <typename T>
std::vector<T> fixtureTensor(const SafetensorsFile& f, const std::string& name) {
  for (const auto& t : f.tensors())
    if (t.name == name) {
      const auto bytes = f.bytes(t);
      std::vector<T> out(bytes.size() / sizeof(T));
      std::memcpy(out.data(), bytes.data(), bytes.size());
      return out;
    }
  throw std::runtime_error("fixture tensor " + name + " is missing");
}

}  // namespace flint::engine::testing
