#include "engine/model/weight_warmup.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace flint::engine {
namespace {

// Small enough that cancel answers within a fraction of a second on a slow disk, large enough
// for the kernel's read-ahead to stream.
constexpr std::size_t kChunkBytes = std::size_t(8) << 20;

std::size_t pageSize() {
  static const std::size_t size = std::size_t(sysconf(_SC_PAGESIZE));
  return size;
}

// Asks the kernel to read the range ahead, then touches one byte per page so the pages are
// in memory when this returns.
void faultIn(const std::byte* begin, std::size_t size) {
  const std::size_t page = pageSize();
  const auto address = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t aligned = address & ~(std::uintptr_t(page) - 1);
  madvise(reinterpret_cast<void*>(aligned), size + (address - aligned), MADV_WILLNEED);
  volatile std::byte sink{};
  for (std::size_t offset = 0; offset < size; offset += page) sink = begin[offset];
  if (size != 0) sink = begin[size - 1];
  (void)sink;
}

}  // namespace

bool readEveryToken(const TensorView& tensor) {
  return tensor.name().find(".ffn.experts.") == std::string::npos;
}

std::uint64_t warmWeights(const TensorStore& weights, LoadProgressMeter& meter) {
  std::vector<const TensorView*> selected;
  std::uint64_t total = 0;
  for (const TensorView& t : weights.tensors()) {
    if (!readEveryToken(t)) continue;
    selected.push_back(&t);
    total += t.byteSize();
  }
  std::uint64_t done = 0;
  meter.advance(0, total);
  for (const TensorView* t : selected) {
    const std::span<const std::byte> bytes = t->bytes();
    for (std::size_t offset = 0; offset < bytes.size(); offset += kChunkBytes) {
      const std::size_t size = std::min(kChunkBytes, bytes.size() - offset);
      faultIn(bytes.data() + offset, size);
      done += size;
      meter.advance(done, total);
    }
  }
  return done;
}

}  // namespace flint::engine
