#pragma once
// Where every routed expert is now and how often it was used since load: the picture behind
// the statistics panel's layer x expert heatmap. A snapshot, copied out under the store's lock.
// The device tier sits above these tiers: `onDevice` marks the experts in a device slot, whose
// `tiers` entry says where the expert is below the device (a device copy leaves the host slot
// to its own policy). A separate mark, not a fourth tier, so views written for three tiers keep
// compiling and showing the host picture.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flint::engine {

enum class ExpertTier : std::uint8_t {
  Mapped,  // no host budget: every expert is used in place through the checkpoint's mapping
  Host,    // in a host-RAM slot of the expert store
  Disk,    // not in a slot: read from its checkpoint shard when next used
};

struct ExpertResidency {
  std::size_t layers = 0;
  std::size_t experts = 0;             // routed experts per layer
  std::vector<ExpertTier> tiers;       // [layer * experts + expert]
  std::vector<std::uint64_t> uses;     // same layout; empty when uses are not counted
  std::vector<std::uint8_t> onDevice;  // same layout; empty without a device tier

  ExpertTier tier(std::size_t layer, std::size_t expert) const {
    return tiers[layer * experts + expert];
  }
  bool countsUses() const { return !uses.empty(); }
  bool device(std::size_t layer, std::size_t expert) const {
    return !onDevice.empty() && onDevice[layer * experts + expert] != 0;
  }
};

}  // namespace flint::engine
