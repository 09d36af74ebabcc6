#include "engine/experts/expert_tiers.h"

#include "engine/experts/expert_timing.h"
#include "engine/logging/log.h"
#include "engine/model/model_error.h"

#include <algorithm>

namespace flint::engine {
namespace {

// Batch of the placement's host measurement: a prefill pass's share of one expert.
constexpr std::size_t kMeasureTokens = 64;

std::size_t budget(std::size_t bytes, double fraction, double all) {
  return std::max(bytes, std::size_t(std::min(fraction, 1.0) * all));
}

}  // namespace

ExpertTiers::ExpertTiers(Transformer& model, const LoadOptions& options, kernels::ThreadPool* pool)
    : model_(model), resident_(model.weights()) {
  model.setLookAhead(options.expertLookAhead);
  const bool hostTier = options.hostExpertBytes > 0 || options.hostExpertFraction > 0;
  const bool deviceTier = options.deviceExpertBytes > 0 || options.deviceExpertFraction > 0;
  if (!hostTier && !deviceTier) return;
  auto log = log::logger("engine");
  const auto all = double(routedExpertBytes(model.files()));
  if (hostTier) {
    host_ = std::make_unique<HostExpertStore>(
        model.files(), model.weights(),
        budget(options.hostExpertBytes, options.hostExpertFraction, all), options.expertPolicy);
    top_ = host_.get();
    log->info(
        "experts: {} host slots of {} KiB ({:.0f}% of the {:.1f} MiB of routed experts); the rest "
        "are read from the checkpoint when used",
        host_->slots(), host_->expertBytes() >> 10,
        100.0 * double(host_->slots() * host_->expertBytes()) / all, all / 1048576);
  }
  if (deviceTier) {
    if (!(options.simulatedDeviceBandwidth > 0))
      throw ModelError(
          "a device budget for the experts needs a device tier; this build has no CUDA expert "
          "tier, so give a simulated link bandwidth or no device budget");
    const LinearContext ctx{options.numerics, pool};
    const ExpertWeights& sample = model.weights().layers.front().moe.experts.front();
    const double hostPerToken =
        measureExpertSecondsPerToken(ctx, moeShape(model.config()), sample, kMeasureTokens);
    ExpertStore& below = host_ ? static_cast<ExpertStore&>(*host_) : resident_;
    const std::size_t slotBytes =
        host_ ? host_->expertBytes() : ExpertSlotLayout(model.files()).slotBytes();
    const ExpertPlacement placement(hostPerToken,
                                    double(slotBytes) / options.simulatedDeviceBandwidth,
                                    options.simulatedDeviceSpeedup);
    device_ = std::make_unique<DeviceExpertStore>(
        model.files(), model.weights(), below,
        budget(options.deviceExpertBytes, options.deviceExpertFraction, all), options.expertPolicy,
        options.simulatedDeviceBandwidth, placement);
    top_ = device_.get();
    log->info(
        "experts: {} simulated device slots ({:.0f}% of the routed experts) behind a {:.1f} GB/s "
        "link, device compute modelled {:.0f}x the host's",
        device_->slots(), 100.0 * double(device_->slots() * device_->expertBytes()) / all,
        options.simulatedDeviceBandwidth / 1e9, options.simulatedDeviceSpeedup);
    log->info(
        "experts: placement measured: one expert's FFN takes {:.1f} us per token here (batch of "
        "{}), moving it up {:.1f} us; batches of {} tokens or more move to the device",
        hostPerToken * 1e6, kMeasureTokens, placement.transferSeconds() * 1e6,
        placement.threshold());
  }
  model.setExpertStore(top_);
}

std::optional<ExpertStats> ExpertTiers::stats() const {
  if (!top_ && !slots_) return std::nullopt;
  ExpertStats s = top_ ? top_->stats() : ExpertStats{};
  if (slots_) {
    // A use the slots miss is served below: counted there, or here when nothing is below.
    s.deviceHits += slots_->hits();
    s.devicePromotions += slots_->promotions();
    s.bytesToDevice += slots_->promotions() * slots_->slotBytes();
    if (!top_) s.mappedUses += slots_->misses();
  }
  return s;
}

std::optional<ExpertResidency> ExpertTiers::residency() const {
  if (model_.config().nRoutedExperts <= 0) return std::nullopt;
  ExpertResidency r = top_ ? top_->residency() : resident_.residency();
  if (slots_) r.onDevice = slots_->onDevice();
  return r;
}

std::optional<ExpertPlacement> ExpertTiers::placement() const {
  if (!device_) return std::nullopt;
  return device_->placement();
}

std::shared_ptr<const ExpertResidency> ExpertTiers::snapshot() {
  if (!top_ && !slots_) return nullptr;
  std::lock_guard lock(snapshotMutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!snapshot_ || now - snapshotAt_ >= kSnapshotEvery) {
    std::optional<ExpertResidency> current = residency();
    if (!current) return nullptr;
    snapshot_ = std::make_shared<const ExpertResidency>(std::move(*current));
    snapshotAt_ = now;
  }
  return snapshot_;
}

}  // namespace flint::engine
