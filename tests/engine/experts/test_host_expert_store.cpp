// The host expert store is lossless whatever its budget: logits and greedy replies are
// bit-identical to the run with every expert mapped, at 100 %, 50 %, 25 % and 10 % of the routed
// experts' bytes, for both eviction policies; budgets too small for one token, and a shard that
// shrinks under a running model, give one clear error instead of wrong output. The residency
// snapshot follows reads and evictions and counts every use.
#include "engine/engine.h"
#include "engine/experts/eviction_policy.h"
#include "engine/experts/expert_slot_layout.h"
#include "engine/experts/host_expert_store.h"
#include "engine/model/model_error.h"
#include "engine/model/model_files.h"
#include "engine/model/transformer.h"
#include "kernels/cpu/thread_pool.h"
#include "tests/engine/experts/expert_test_support.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>

namespace flint::engine {
namespace {

using namespace flint::engine::testing;

class QuietSink : public StreamSink {
 public:
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const Stats& s) override { last = s; }
  Stats last;
};

TEST(HostExpertStore, BitIdenticalAtEveryBudgetAndPolicy) {
  auto mapped = Engine::load(kExperts64, {});
  EXPECT_FALSE(mapped->expertStats().has_value());
  const std::vector<TokenId> ids = promptIds();
  const std::vector<float> prefill = mapped->logits(ids, Numerics::Official, false);
  const std::vector<float> decode = mapped->logits(ids, Numerics::Official, true);
  QuietSink sink;
  const GenerateResult reply = mapped->newSession()->generate(greedyRequest(), sink);
  ASSERT_GT(reply.tokens.size(), 10u);
  const std::size_t slotBytes = ExpertSlotLayout(openModelFiles(kExperts64)).slotBytes();

  for (EvictionPolicy policy : {EvictionPolicy::Frequency, EvictionPolicy::Lru})
    for (double fraction : {1.0, 0.5, 0.25, 0.1}) {
      const std::string what = std::string(policy == EvictionPolicy::Lru ? "LRU" : "frequency") +
                               " at " + std::to_string(int(fraction * 100)) + " %";
      LoadOptions options;
      options.hostExpertFraction = fraction;
      options.expertPolicy = policy;
      auto tiered = Engine::load(kExperts64, options);
      expectBitIdentical(tiered->logits(ids, Numerics::Official, false), prefill,
                         what + " prefill");
      expectBitIdentical(tiered->logits(ids, Numerics::Official, true), decode, what + " decode");
      QuietSink tieredSink;
      const GenerateResult r = tiered->newSession()->generate(greedyRequest(), tieredSink);
      EXPECT_EQ(r.tokens, reply.tokens) << what;
      EXPECT_EQ(r.answer, reply.answer) << what;

      // The reply's figures: every use is a hit or a read, and the budget decides which.
      ASSERT_TRUE(r.stats.expertTiers);
      const ExpertStats& e = r.stats.experts;
      EXPECT_GT(e.uses(), 0u);
      EXPECT_EQ(e.bytesRead % slotBytes, 0u) << "whole experts are read";
      EXPECT_GE(e.bytesRead, e.diskReads * slotBytes) << "guesses may read more, never less";
      EXPECT_GT(e.hostHits, 0u) << what;
      const ExpertStats life = *tiered->expertStats();
      if (fraction == 1.0) {
        EXPECT_LE(life.diskReads, 4u * 64u) << "with room for all, no expert is read twice";
      } else {
        EXPECT_GT(life.diskReads, 4u * 64u) << what << ": evicted experts come back";
        EXPECT_GT(life.readAhead, 0u) << what << ": the reader thread reads ahead of use";
      }
    }
}

TEST(HostExpertStore, SmallerBudgetsHitLess) {
  double previous = 2;
  for (double fraction : {1.0, 0.5, 0.25, 0.1}) {
    LoadOptions options;
    options.hostExpertFraction = fraction;
    auto engine = Engine::load(kExperts64, options);
    QuietSink sink;
    engine->newSession()->generate(greedyRequest(), sink);
    const ExpertStats all = *engine->expertStats();
    EXPECT_LE(all.hitRate(), previous + 1e-9) << fraction;
    previous = all.hitRate();
  }
  EXPECT_LT(previous, 0.9) << "a tenth of the experts cannot serve nearly every use";
}

TEST(HostExpertStore, ResidencyShowsEveryExpertsTierAndUses) {
  LoadOptions options;
  options.hostExpertFraction = 0.25;
  auto tiered = Engine::load(kExperts64, options);
  const std::optional<ExpertResidency> before = tiered->expertResidency();
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->experts, 64u);
  ASSERT_GT(before->layers, 0u);
  ASSERT_EQ(before->tiers.size(), before->layers * 64u);
  ASSERT_TRUE(before->countsUses());
  for (std::size_t i = 0; i < before->tiers.size(); ++i) {
    EXPECT_EQ(before->tiers[i], ExpertTier::Disk) << "nothing is read before the first use";
    EXPECT_EQ(before->uses[i], 0u);
  }

  QuietSink sink;
  tiered->newSession()->generate(greedyRequest(), sink);
  const ExpertResidency after = *tiered->expertResidency();
  std::uint64_t uses = 0;
  std::size_t host = 0, usedLayers = 0;
  for (std::size_t l = 0; l < after.layers; ++l) {
    std::uint64_t layerUses = 0;
    for (std::size_t e = 0; e < after.experts; ++e) {
      layerUses += after.uses[l * after.experts + e];
      if (after.tier(l, e) == ExpertTier::Host) ++host;
      EXPECT_NE(after.tier(l, e), ExpertTier::Mapped);
    }
    uses += layerUses;
    usedLayers += layerUses > 0;
  }
  EXPECT_EQ(uses, tiered->expertStats()->uses()) << "one count per use the store served";
  EXPECT_EQ(usedLayers, after.layers) << "every layer routed to some experts";
  EXPECT_GT(host, 0u);
  EXPECT_LE(host * 4, after.tiers.size() + 4) << "a quarter budget holds about a quarter";
}

TEST(HostExpertStore, ResidencyWithoutABudgetIsAllMappedAndUncounted) {
  auto mapped = Engine::load(kExperts64, {});
  QuietSink sink;
  mapped->newSession()->generate(greedyRequest(), sink);
  const std::optional<ExpertResidency> residency = mapped->expertResidency();
  ASSERT_TRUE(residency.has_value());
  EXPECT_EQ(residency->experts, 64u);
  EXPECT_EQ(residency->tiers.size(), residency->layers * 64u);
  EXPECT_FALSE(residency->countsUses());
  for (ExpertTier t : residency->tiers) EXPECT_EQ(t, ExpertTier::Mapped);
}

TEST(HostExpertStore, ResidencyFollowsReadsAndEvictions) {
  kernels::ThreadPool pool(1);
  Transformer model(openModelFiles(kExperts64), &pool);
  const std::size_t perExpert =
      routedExpertBytes(model.files()) / (model.weights().layers.size() * 64);
  const std::size_t perToken = std::size_t(model.config().numExpertsPerTok);
  HostExpertStore store(model.files(), model.weights(), perToken * perExpert);
  ASSERT_EQ(store.slots(), perToken);
  for (int i = 0; i < 3; ++i) store.expert(1, 5);
  store.expert(2, 7);
  ExpertResidency r = store.residency();
  EXPECT_EQ(r.tier(1, 5), ExpertTier::Host);
  EXPECT_EQ(r.tier(2, 7), ExpertTier::Host);
  EXPECT_EQ(r.tier(0, 0), ExpertTier::Disk);
  EXPECT_EQ(r.uses[1 * 64 + 5], 3u);
  EXPECT_EQ(r.uses[2 * 64 + 7], 1u);
  // More distinct experts than slots: the first ones leave for disk, their counts stay.
  for (std::size_t e = 0; e < perToken + 2; ++e) store.expert(3, e);
  r = store.residency();
  std::size_t host = 0;
  for (ExpertTier t : r.tiers) host += t == ExpertTier::Host;
  EXPECT_EQ(host, perToken);
  EXPECT_EQ(r.tier(3, perToken + 1), ExpertTier::Host);
  EXPECT_EQ(r.uses[1 * 64 + 5], 3u);
}

TEST(HostExpertStore, ABudgetBelowOneTokensExpertsIsRefused) {
  LoadOptions options;
  options.hostExpertBytes = 1;  // with no fraction: one byte
  try {
    Engine::load(kExperts64, options);
    FAIL() << "a one-byte budget must be refused";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("experts one token uses"), std::string::npos) << e.what();
  }
}

TEST(HostExpertStore, EvictionFollowsThePolicy) {
  // Slot 0 is used often, slot 1 once long ago, slot 2 once recently.
  SlotScores lru(EvictionPolicy::Lru, 3, 100), frequency(EvictionPolicy::Frequency, 3, 100);
  for (SlotScores* s : {&lru, &frequency}) {
    s->touch(1, true);
    s->touch(0, true);
    for (int i = 0; i < 5; ++i) s->touch(0, false);
    s->touch(2, true);
  }
  EXPECT_EQ(lru.victim(), 1u);
  EXPECT_EQ(frequency.victim(), 1u);
  // A burst of one-off uses: LRU forgets the hot slot 0, frequency keeps it.
  for (SlotScores* s : {&lru, &frequency}) {
    s->touch(1, true);
    s->touch(2, true);
  }
  EXPECT_EQ(lru.victim(), 0u);
  EXPECT_NE(frequency.victim(), 0u);
  // Decay: long after, the once-hot slot fades below fresh ones.
  SlotScores decaying(EvictionPolicy::Frequency, 2, 2);
  for (int i = 0; i < 8; ++i) decaying.touch(0, i == 0);
  for (int i = 0; i < 20; ++i) decaying.touch(1, i == 0 || i % 4 == 0);
  EXPECT_EQ(decaying.victim(), 0u);
}

TEST(HostExpertStore, AShardThatShrinksGivesAClearErrorAndNoHalfFilledSlot) {
  // A private copy whose shards we cut under a loaded store. Only the store's explicit reads run
  // here (no forward pass touches the mapped weights, which a cut would turn into SIGBUS).
  const auto dir = std::filesystem::temp_directory_path() / "flint-experts64-shrink";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(kExperts64, dir);
  kernels::ThreadPool pool(1);
  Transformer model(openModelFiles(dir), &pool);
  HostExpertStore store(model.files(), model.weights(), 8 * 1024 * 1024);
  const ExpertWeights& first = store.expert(0, 0);
  EXPECT_NE(first.w1.data, nullptr);
  EXPECT_TRUE(store.resident(0, 0));
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors")
      std::filesystem::resize_file(entry.path(), 4096);
  std::size_t failures = 0;
  // The reader thread reads ahead of use too; its failures surface in expert() the same way.
  std::vector<std::int32_t> order;
  for (std::int32_t e = 1; e < 64; ++e) order.push_back(e);
  store.willUse(3, order);
  for (std::size_t e = 1; e < 64; ++e) {
    try {
      store.expert(3, e);
    } catch (const ModelError& error) {
      ++failures;
      EXPECT_NE(std::string(error.what()).find("ends early"), std::string::npos) << error.what();
      EXPECT_FALSE(store.resident(3, e)) << "a failed read must not leave the expert resident";
    }
  }
  EXPECT_EQ(failures, 63u);
  EXPECT_TRUE(store.resident(0, 0)) << "what was read before stays usable";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flint::engine
