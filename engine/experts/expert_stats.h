#pragma once
// What the expert store did: uses served from host RAM, reads from disk, bytes moved and the
// time the reads took. Cumulative in the store; Stats carries a reply's difference.
#include <cstddef>
#include <cstdint>

namespace flint::engine {

struct ExpertStats {
  std::size_t hostHits = 0;   // uses of an expert already in a host slot
  std::size_t diskReads = 0;  // uses that had to read the expert from its checkpoint shard
  std::uint64_t bytesRead = 0;
  double readSeconds = 0;
  std::size_t readAhead = 0;  // of the disk reads, those started before the expert was asked for

  std::size_t uses() const { return hostHits + diskReads; }
  double hitRate() const { return uses() ? double(hostHits) / double(uses()) : 0; }
  ExpertStats since(const ExpertStats& earlier) const {
    return {hostHits - earlier.hostHits, diskReads - earlier.diskReads,
            bytesRead - earlier.bytesRead, readSeconds - earlier.readSeconds,
            readAhead - earlier.readAhead};
  }
};

}  // namespace flint::engine
