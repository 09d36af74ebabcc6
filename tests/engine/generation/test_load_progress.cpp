// A model load reports its stages with a rising fraction, reads the weights every token uses
// into memory, and stops at once, keeping nothing, when asked to.
#include "engine/engine.h"
#include "engine/model/tensor_store.h"
#include "engine/model/weight_warmup.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flint::engine {
namespace {

using testing::generatedCheckpoint;

struct Report {
  std::string stage;
  double fraction;
};

LoadOptions twoThreads() {
  LoadOptions options;
  options.threads = 2;
  return options;
}

TEST(LoadProgress, StagesComeInOrderWithARisingFractionEndingAtOne) {
  std::vector<Report> reports;
  LoadProgress progress;
  progress.report = [&](std::string_view stage, double fraction) {
    reports.push_back({std::string(stage), fraction});
  };
  LoadOptions options = twoThreads();
  options.checkFinite = true;
  auto engine = Engine::load(generatedCheckpoint("small_dspark"), options, &progress);
  ASSERT_NE(engine, nullptr);
  ASSERT_GE(reports.size(), 4u);
  EXPECT_EQ(reports.front().fraction, 0.0);
  EXPECT_EQ(reports.back().fraction, 1.0);
  for (std::size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i].fraction, reports[i - 1].fraction) << "report " << i;
  }
  std::vector<std::string> stages;
  for (const Report& r : reports) {
    if (stages.empty() || stages.back() != r.stage) stages.push_back(r.stage);
  }
  const std::vector<std::string> expected = {
      "Reading the checkpoint's headers", "Checking the weights for NaN and infinity",
      "Reading the weights into memory", "Preparing the expert store"};
  EXPECT_EQ(stages, expected);
}

TEST(LoadProgress, WithoutTheNaNScanThatStageIsSkipped) {
  std::vector<std::string> stages;
  LoadProgress progress;
  progress.report = [&](std::string_view stage, double) {
    if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
  };
  Engine::load(generatedCheckpoint("tiny_sharded"), twoThreads(), &progress);
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "Checking the weights for NaN and infinity"),
            0);
  EXPECT_EQ(stages.back(), "Preparing the expert store");
}

// Cancel is polled at every step; whichever poll says stop, the load throws LoadCancelled and
// a later load of the same folder works.
TEST(LoadProgress, CancelAtAnyPollStopsTheLoad) {
  const auto dir = generatedCheckpoint("small_dspark");
  int polls = 0;
  {
    LoadProgress counting;
    counting.cancelled = [&] {
      ++polls;
      return false;
    };
    Engine::load(dir, twoThreads(), &counting);
  }
  ASSERT_GE(polls, 3);
  for (int stopAt : {1, polls / 2, polls}) {
    int seen = 0;
    LoadProgress progress;
    progress.cancelled = [&] { return ++seen >= stopAt; };
    EXPECT_THROW(Engine::load(dir, twoThreads(), &progress), LoadCancelled) << "poll " << stopAt;
    EXPECT_EQ(seen, stopAt) << "the load went on polling after it was told to stop";
  }
  auto engine = Engine::load(dir, twoThreads());
  EXPECT_NE(engine, nullptr);
}

TEST(LoadProgress, CancelledIsAModelErrorWithASentence) {
  LoadProgress progress;
  progress.cancelled = [] { return true; };
  try {
    Engine::load(generatedCheckpoint("tiny_sharded"), twoThreads(), &progress);
    FAIL() << "the load was not cancelled";
  } catch (const ModelError& error) {
    EXPECT_STREQ(error.what(), "the model load was cancelled");
  }
}

TEST(WeightWarmup, ReadsEveryTensorButTheRoutedExperts) {
  const TensorStore store = TensorStore::open(generatedCheckpoint("experts64"));
  std::uint64_t resident = 0, experts = 0;
  for (const TensorView& t : store.tensors()) {
    if (readEveryToken(t)) {
      resident += t.byteSize();
    } else {
      experts += t.byteSize();
    }
  }
  ASSERT_GT(experts, 0u) << "the checkpoint should have routed experts";
  ASSERT_GT(resident, 0u);
  std::uint64_t lastDone = 0, lastTotal = 0;
  LoadProgress progress;
  progress.report = [&](std::string_view, double fraction) {
    lastDone = std::uint64_t(fraction * double(resident) + 0.5);
    lastTotal = resident;
  };
  LoadProgressMeter meter(&progress);
  meter.stage("warm", 1.0);
  EXPECT_EQ(warmWeights(store, meter), resident);
  EXPECT_EQ(lastDone, lastTotal);
}

}  // namespace
}  // namespace flint::engine
