#pragma once
// What the expert stores did, per tier: uses served from device slots and from host RAM, reads
// from disk, bytes moved into each tier and the time it took, and how well the look-ahead
// guessed the next layer's experts. Cumulative in the stores; Stats carries a reply's
// difference.
#include <cstddef>
#include <cstdint>

namespace flint::engine {

struct ExpertStats {
  std::size_t hostHits = 0;     // uses of an expert already in a host slot
  std::size_t diskReads = 0;    // uses that had to read the expert from its checkpoint shard
  std::uint64_t bytesRead = 0;  // disk -> host
  double readSeconds = 0;
  std::size_t readAhead = 0;  // of the disk reads, those started before the expert was asked for

  // The device tier (all zero without one). A use served on the device is neither a host hit
  // nor a disk read; a use that missed the device is counted by the tier that served it.
  std::size_t deviceHits = 0;   // uses of an expert already in a device slot
  std::size_t mappedUses = 0;   // misses served by the mapped checkpoint (no host budget below)
  std::size_t deviceLoads = 0;  // misses moved to the device for a large batch first
  std::size_t devicePromotions = 0;  // misses computed on the host and copied up behind
  std::uint64_t bytesToDevice = 0;   // host -> device
  double transferSeconds = 0;        // modelled link time of those bytes

  // Look-ahead prefetch: experts guessed for the next layer, and of those, the ones it used.
  std::size_t prefetchGuessed = 0;
  std::size_t prefetchCorrect = 0;

  std::size_t uses() const { return deviceHits + mappedUses + hostHits + diskReads; }
  // Uses served from memory (device, host or the mapping), not read from disk by the store.
  double hitRate() const { return uses() ? double(uses() - diskReads) / double(uses()) : 0; }
  double deviceHitRate() const { return uses() ? double(deviceHits) / double(uses()) : 0; }
  double prefetchAccuracy() const {
    return prefetchGuessed ? double(prefetchCorrect) / double(prefetchGuessed) : 0;
  }
  ExpertStats since(const ExpertStats& earlier) const {
    ExpertStats d;
    d.hostHits = hostHits - earlier.hostHits;
    d.diskReads = diskReads - earlier.diskReads;
    d.bytesRead = bytesRead - earlier.bytesRead;
    d.readSeconds = readSeconds - earlier.readSeconds;
    d.readAhead = readAhead - earlier.readAhead;
    d.deviceHits = deviceHits - earlier.deviceHits;
    d.mappedUses = mappedUses - earlier.mappedUses;
    d.deviceLoads = deviceLoads - earlier.deviceLoads;
    d.devicePromotions = devicePromotions - earlier.devicePromotions;
    d.bytesToDevice = bytesToDevice - earlier.bytesToDevice;
    d.transferSeconds = transferSeconds - earlier.transferSeconds;
    d.prefetchGuessed = prefetchGuessed - earlier.prefetchGuessed;
    d.prefetchCorrect = prefetchCorrect - earlier.prefetchCorrect;
    return d;
  }
};

}  // namespace flint::engine
