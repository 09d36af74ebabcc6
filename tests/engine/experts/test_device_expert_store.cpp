// Three tiers stay lossless: with a simulated device tier above host RAM above disk, logits and
// greedy replies are bit-identical to the all-mapped run at several device and host budgets,
// whichever way the placement rule sends a batch. Prefetch never changes results and reports
// its accuracy; hash-routed layers are guessed exactly. Cancelling or resetting while reads and
// transfers are in flight leaves nothing dangling; a shard that shrinks under the three tiers
// gives one clear error and no device slot with a failed expert. Residency reaches Stats as a
// shared snapshot.
#include "engine/engine.h"
#include "engine/experts/device_expert_store.h"
#include "engine/experts/expert_slot_layout.h"
#include "engine/experts/expert_timing.h"
#include "engine/experts/host_expert_store.h"
#include "engine/model/model_error.h"
#include "engine/model/model_files.h"
#include "engine/model/transformer.h"
#include "kernels/cpu/thread_pool.h"
#include "tests/engine/experts/expert_test_support.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <set>

namespace flint::engine {
namespace {

using namespace flint::engine::testing;
constexpr double kFastLink = 64e9;  // bytes per second: keeps the tests quick

class RecordingSink : public StreamSink {
 public:
  explicit RecordingSink(std::atomic<bool>* cancelAfter = nullptr, std::size_t stopAt = 0)
      : cancel_(cancelAfter), cancelCalls_(stopAt) {}
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const Stats& s) override {
    last = s;
    ++calls;
    if (s.residency) snapshots.insert(s.residency.get());
    if (cancel_ && calls >= cancelCalls_) cancel_->store(true);
  }
  Stats last;
  std::size_t calls = 0;
  std::set<const ExpertResidency*> snapshots;

 private:
  std::atomic<bool>* cancel_;
  std::size_t cancelCalls_;
};

LoadOptions threeTiers(double host, double device, double speedup) {
  LoadOptions o;
  o.hostExpertFraction = host;
  o.deviceExpertFraction = device;
  o.simulatedDeviceBandwidth = kFastLink;
  o.simulatedDeviceSpeedup = speedup;
  return o;
}

struct Reference {
  std::vector<float> prefill, decode;
  GenerateResult reply;
};

const Reference& reference() {
  static const Reference r = [] {
    auto mapped = Engine::load(kExperts64, {});
    Reference out;
    out.prefill = mapped->logits(promptIds(), Numerics::Official, false);
    out.decode = mapped->logits(promptIds(), Numerics::Official, true);
    RecordingSink sink;
    out.reply = mapped->newSession()->generate(greedyRequest(), sink);
    return out;
  }();
  return r;
}

void expectLossless(Engine& engine, const std::string& what) {
  const Reference& ref = reference();
  ASSERT_GT(ref.reply.tokens.size(), 10u);
  expectBitIdentical(engine.logits(promptIds(), Numerics::Official, false), ref.prefill,
                     what + " prefill");
  expectBitIdentical(engine.logits(promptIds(), Numerics::Official, true), ref.decode,
                     what + " decode");
  RecordingSink sink;
  const GenerateResult r = engine.newSession()->generate(greedyRequest(), sink);
  EXPECT_EQ(r.tokens, ref.reply.tokens) << what;
  EXPECT_EQ(r.answer, ref.reply.answer) << what;
}

TEST(DeviceExpertStore, BitIdenticalWithThreeTiersAtEveryBudget) {
  // (host, device) shares of the routed experts; host 0: the device sits on the mapping.
  const std::pair<double, double> budgets[] = {
      {1.0, 0.5}, {0.5, 0.25}, {0.25, 0.1}, {0.1, 0.05}, {0.0, 0.25}};
  // Speedup 1: the device never pays, so every miss computes below and moves up behind.
  // Speedup 1e6: every batch moves its expert up first and computes on the device.
  const std::size_t slotBytes = ExpertSlotLayout(openModelFiles(kExperts64)).slotBytes();
  for (double speedup : {1.0, 1e6})
    for (const auto& [host, device] : budgets) {
      const std::string what = "host " + std::to_string(int(host * 100)) + "%, device " +
                               std::to_string(int(device * 100)) + "%, speedup " +
                               std::to_string(speedup);
      LoadOptions options = threeTiers(host, device, speedup);
      if (speedup > 1) options.simulatedDeviceBandwidth = 1e12;  // moving costs next to nothing
      auto engine = Engine::load(kExperts64, options);
      ASSERT_TRUE(engine->expertPlacement().has_value());
      expectLossless(*engine, what);
      const ExpertStats s = *engine->expertStats();
      // Below a token's working set (6 experts x 4 layers) every expert is evicted before it
      // comes round again; from there on the device serves uses.
      if (device >= 0.1) {
        EXPECT_GT(s.deviceHits, 0u) << what;
      }
      EXPECT_EQ(s.bytesToDevice, (s.deviceLoads + s.devicePromotions) * slotBytes)
          << "whole experts move";
      if (speedup == 1.0) {
        EXPECT_EQ(engine->expertPlacement()->threshold(), SIZE_MAX);
        EXPECT_EQ(s.deviceLoads, 0u) << what;
        EXPECT_GT(s.devicePromotions, 0u) << what;
      } else {
        EXPECT_EQ(engine->expertPlacement()->threshold(), 1u);
        EXPECT_GT(s.deviceLoads, 0u) << what;
        EXPECT_EQ(s.devicePromotions, 0u) << what;
      }
      if (host == 0) {
        EXPECT_EQ(s.diskReads, 0u) << "the mapping serves what the device misses";
        EXPECT_GT(s.mappedUses, 0u);
      }
      const ExpertResidency r = *engine->expertResidency();
      std::uint64_t uses = 0;
      for (std::uint64_t u : r.uses) uses += u;
      EXPECT_EQ(uses, s.uses()) << what << ": one count per use, whichever tier served it";
    }
}

TEST(DeviceExpertStore, PlacementSendsSmallBatchesBelowAndLargeOnesUp) {
  kernels::ThreadPool pool(1);
  Transformer model(openModelFiles(kExperts64), &pool);
  HostExpertStore host(model.files(), model.weights(), 64u << 20);
  const std::size_t slot = host.expertBytes();
  // 1 us per token here, 10 us to move, 10x there: batches of 12 tokens or more move.
  const ExpertPlacement placement(1e-6, 10e-6, 10);
  DeviceExpertStore device(model.files(), model.weights(), host, 8 * slot,
                           EvictionPolicy::Frequency, kFastLink, placement);
  ASSERT_EQ(device.slots(), 8u);

  const ExpertWeights& mapped3 = model.weights().layers[0].moe.experts[3];
  const ExpertWeights& small = device.expertForBatch(0, 3, 1);
  EXPECT_EQ(device.stats().deviceLoads, 0u) << "decode computes where the expert is";
  EXPECT_TRUE(host.resident(0, 3));
  EXPECT_EQ(std::memcmp(small.w1.data, mapped3.w1.data, mapped3.w1.rows * mapped3.w1.cols / 2), 0);
  device.settle();
  EXPECT_TRUE(device.onDevice(0, 3)) << "and a copy moves up behind it";
  EXPECT_EQ(device.stats().devicePromotions, 1u);

  const ExpertWeights& mapped5 = model.weights().layers[0].moe.experts[5];
  const ExpertWeights& large = device.expertForBatch(0, 5, 32);
  EXPECT_TRUE(device.onDevice(0, 5)) << "a large batch waits for its expert on the device";
  EXPECT_EQ(device.stats().deviceLoads, 1u);
  EXPECT_EQ(std::memcmp(large.w2.data, mapped5.w2.data, mapped5.w2.rows * mapped5.w2.cols / 2), 0);
  EXPECT_EQ(device.stats().bytesToDevice, 2 * slot);

  device.expertForBatch(0, 3, 1);
  EXPECT_EQ(device.stats().deviceHits, 1u);
  EXPECT_EQ(device.stats().uses(), 3u);

  // More experts than device slots: the policy's victims leave the device, not the host.
  for (std::size_t e = 10; e < 20; ++e) device.expertForBatch(1, e, 32);
  const ExpertResidency r = device.residency();
  std::size_t onDevice = 0;
  for (std::uint8_t d : r.onDevice) onDevice += d;
  EXPECT_EQ(onDevice, device.slots());
  EXPECT_TRUE(r.device(1, 19));
  EXPECT_EQ(r.tier(0, 3), ExpertTier::Host) << "below the device, the host keeps its copy";
  EXPECT_EQ(r.uses[0 * 64 + 3], 2u);
}

TEST(DeviceExpertStore, TheMeasuredPlacementComesFromThisMachine) {
  kernels::ThreadPool pool(1);
  Transformer model(openModelFiles(kExperts64), &pool);
  const double perToken =
      measureExpertSecondsPerToken({Numerics::Official, &pool}, moeShape(model.config()),
                                   model.weights().layers[0].moe.experts[0], 64);
  EXPECT_GT(perToken, 0);
  EXPECT_LT(perToken, 0.01) << "one small expert's FFN per token is well under 10 ms";
  auto engine = Engine::load(kExperts64, threeTiers(0.25, 0.1, 8));
  const ExpertPlacement p = *engine->expertPlacement();
  EXPECT_GT(p.hostSecondsPerToken(), 0);
  EXPECT_GT(p.transferSeconds(), 0);
  EXPECT_EQ(p.deviceSpeedup(), 8);
  EXPECT_GE(p.threshold(), 1u);
  EXPECT_FALSE(Engine::load(kExperts64, {})->expertPlacement().has_value());
}

TEST(DeviceExpertStore, BudgetsWithoutADeviceOrTooSmallAreRefusedInWords) {
  LoadOptions noLink;
  noLink.deviceExpertFraction = 0.25;
  try {
    Engine::load(kExperts64, noLink);
    FAIL() << "a device budget without a device tier must be refused";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("needs a device tier"), std::string::npos) << e.what();
  }
  LoadOptions tiny = threeTiers(0.25, 0, 8);
  tiny.deviceExpertBytes = 1;
  try {
    Engine::load(kExperts64, tiny);
    FAIL() << "a one-byte device budget must be refused";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("experts one token uses"), std::string::npos) << e.what();
  }
}

TEST(ExpertPrefetch, NeverChangesResultsAndReportsItsAccuracy) {
  for (double fraction : {0.25, 0.1})
    for (bool lookAhead : {true, false}) {
      LoadOptions options;
      options.hostExpertFraction = fraction;
      options.expertLookAhead = lookAhead;
      auto engine = Engine::load(kExperts64, options);
      const std::string what =
          std::to_string(int(fraction * 100)) + "% look-ahead " + (lookAhead ? "on" : "off");
      expectLossless(*engine, what);
      const ExpertStats s = *engine->expertStats();
      if (!lookAhead) {
        EXPECT_EQ(s.prefetchGuessed, 0u) << what;
        continue;
      }
      EXPECT_GT(s.prefetchGuessed, 0u) << what;
      EXPECT_GT(s.prefetchCorrect, 0u) << what;
      EXPECT_LE(s.prefetchCorrect, s.prefetchGuessed) << what;
      EXPECT_GT(s.prefetchAccuracy(), 0.0);
      EXPECT_LE(s.prefetchAccuracy(), 1.0);
    }
}

TEST(ExpertPrefetch, HashRoutedLayersAreGuessedExactly) {
  kernels::ThreadPool pool(1);
  Transformer model(openModelFiles(kExperts64), &pool);
  ASSERT_FALSE(model.weights().layers[0].moe.tid2eid.empty()) << "experts64 hashes layer 0";
  HostExpertStore host(model.files(), model.weights(), 64u << 20);
  model.setExpertStore(&host);
  SessionCache cache = model.newCache();
  std::vector<float> logits;
  // One token at a time: the hash layer's guess holds exactly its top-k, all of them used.
  const std::vector<TokenId> ids = promptIds();
  ExpertStats before = host.stats();
  model.forward(std::span(ids).first(1), cache, Numerics::Official, false, logits);
  const ExpertStats one = host.stats().since(before);
  const std::size_t k = std::size_t(model.config().numExpertsPerTok);
  EXPECT_GE(one.prefetchGuessed, k);
  // Layer 0's guess is exact; the later layers' gate guesses may miss.
  EXPECT_GE(one.prefetchCorrect, k);
}

TEST(ExpertPrefetch, CancelAndResetWithReadsAndTransfersInFlightLeaveNothingDangling) {
  LoadOptions options = threeTiers(0.1, 0.05, 1.0);  // decode promotes behind: transfers queue
  options.simulatedDeviceBandwidth = 200e6;          // slow enough to be in flight
  for (int round = 0; round < 3; ++round) {
    auto engine = Engine::load(kExperts64, options);
    auto session = engine->newSession();
    std::atomic<bool> cancel{false};
    RecordingSink stopping(&cancel, 3 + std::size_t(round));
    const GenerateResult cut = session->generate(greedyRequest(), stopping, &cancel);
    EXPECT_EQ(cut.reason, FinishReason::kCancelled);
    session->reset();  // while the reader and the link may still be busy
    const std::vector<TokenId> ids = promptIds();
    session->feed(std::span(ids).first(5));
    // The engine (and its stores) go with reads and transfers still queued.
  }
  // A fresh engine after all that answers exactly as the mapped one.
  auto engine = Engine::load(kExperts64, options);
  RecordingSink sink;
  auto session = engine->newSession();
  std::atomic<bool> cancel{false};
  RecordingSink stopping(&cancel, 4);
  session->generate(greedyRequest(), stopping, &cancel);
  session->reset();
  const GenerateResult r = session->generate(greedyRequest(), sink);
  EXPECT_EQ(r.tokens, reference().reply.tokens);
}

TEST(DeviceExpertStore, AShardThatShrinksUnderThreeTiersGivesAClearErrorAndNoFailedSlot) {
  const auto dir = std::filesystem::temp_directory_path() / "flint-experts64-shrink-device";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(kExperts64, dir);
  kernels::ThreadPool pool(1);
  Transformer model(openModelFiles(dir), &pool);
  HostExpertStore host(model.files(), model.weights(), 8 * 1024 * 1024);
  DeviceExpertStore device(model.files(), model.weights(), host, 16 * host.expertBytes(),
                           EvictionPolicy::Frequency, kFastLink, ExpertPlacement());
  // Only the stores' explicit reads run here (a forward pass on a cut mapping would SIGBUS).
  const ExpertWeights& first = device.expertForBatch(0, 0, 1);
  const std::vector<std::uint8_t> firstBytes(static_cast<const std::uint8_t*>(first.w1.data),
                                             static_cast<const std::uint8_t*>(first.w1.data) + 256);
  device.settle();
  ASSERT_TRUE(device.onDevice(0, 0));
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors")
      std::filesystem::resize_file(entry.path(), 4096);
  std::vector<std::int32_t> order;
  for (std::int32_t e = 1; e < 64; ++e) order.push_back(e);
  device.willUse(3, order);
  device.prefetch(2, order);  // guesses in flight too
  std::size_t failures = 0;
  for (std::size_t e = 1; e < 64; ++e) {
    try {
      device.expertForBatch(3, e, e % 2 ? 1 : 64);  // both placements
    } catch (const ModelError& error) {
      ++failures;
      EXPECT_NE(std::string(error.what()).find("ends early"), std::string::npos) << error.what();
      EXPECT_FALSE(device.onDevice(3, e)) << "a failed read never reaches the device";
      EXPECT_FALSE(host.resident(3, e));
    }
  }
  EXPECT_EQ(failures, 63u);
  device.settle();
  const ExpertWeights& again = device.expertForBatch(0, 0, 1);
  EXPECT_EQ(std::memcmp(again.w1.data, firstBytes.data(), firstBytes.size()), 0)
      << "what reached the device before stays usable";
  EXPECT_EQ(device.stats().deviceHits, 1u);
  std::filesystem::remove_all(dir);
}

TEST(ExpertResidencyInStats, IsASharedSnapshotTakenAFewTimesASecond) {
  auto engine = Engine::load(kExperts64, threeTiers(0.25, 0.1, 8));
  RecordingSink sink;
  GenerateRequest request = greedyRequest();
  engine->newSession()->generate(request, sink);
  ASSERT_TRUE(sink.last.residency);
  EXPECT_EQ(sink.last.residency->experts, 64u);
  EXPECT_FALSE(sink.last.residency->onDevice.empty());
  EXPECT_GT(sink.calls, 10u);
  // A 48-token reply on this small model takes well under a second: a handful of snapshots at
  // most, shared by all the Stats in between.
  EXPECT_LT(sink.snapshots.size(), sink.calls / 2);
  EXPECT_GE(sink.snapshots.size(), 1u);
  // Without tiers there is nothing to snapshot.
  auto mapped = Engine::load(kExperts64, {});
  RecordingSink plain;
  mapped->newSession()->generate(request, plain);
  EXPECT_FALSE(plain.last.residency);
  // The engine's own residency keeps working for the UI.
  EXPECT_TRUE(engine->expertResidency().has_value());
}

}  // namespace
}  // namespace flint::engine
