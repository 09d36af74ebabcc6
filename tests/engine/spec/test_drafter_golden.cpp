// The C++ DSpark drafter against the PyTorch reference's golden fixtures
// (tools/reference/make_drafter_fixtures.py): base logits, Markov-corrected logits along the
// greedy chain, the greedy drafts and the confidence logits, for a generated checkpoint and for
// the bundled flint-tiny. fp32 numerics, float64 goldens.
#include "engine/model/model_files.h"
#include "engine/model/safetensors_file.h"
#include "engine/model/transformer.h"
#include "engine/spec/drafter.h"
#include "tests/engine/fixture_tensors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

namespace flint::engine {
namespace {

// The drafter adds three blocks after the backbone; float32 against float64 lands near 1e-6
// relative here, so the forward fixtures' bound holds with room.
constexpr double kRelativeL2 = 1e-5;

const std::filesystem::path kFixtureDir =
    std::filesystem::path(FLINT_SOURCE_DIR) / "tests/engine/fixtures/drafter";

using testing::fixtureTensor;

double relativeL2(const float* got, const float* want, std::size_t n) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * want[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-30));
}

nlohmann::json manifest() {
  std::ifstream in(kFixtureDir / "manifest.json");
  return nlohmann::json::parse(in);
}

std::vector<std::string> fixtureFiles() {
  std::vector<std::string> out;
  const auto m = manifest();  // kept alive: iterating a temporary's member would dangle
  for (const auto& f : m["fixtures"]) out.push_back(f["file"].get<std::string>());
  return out;
}

class DrafterGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(DrafterGolden, MatchesTheReference) {
  const auto m = manifest();
  nlohmann::json entry;
  for (const auto& f : m["fixtures"])
    if (f["file"] == GetParam()) entry = f;
  const std::filesystem::path dir =
      entry.contains("folder")
          ? std::filesystem::path(FLINT_SOURCE_DIR) / entry["folder"].get<std::string>()
          : std::filesystem::path(FLINT_TEST_CHECKPOINTS_DIR) /
                ("fixture-" + entry["checkpoint"].get<std::string>());
  auto file = SafetensorsFile::open(kFixtureDir / GetParam());
  const auto ids = fixtureTensor<std::int32_t>(*file, "ids");
  const auto starts = fixtureTensor<std::int32_t>(*file, "starts");
  const auto base = fixtureTensor<float>(*file, "base_logits");
  const auto markov = fixtureTensor<float>(*file, "markov_logits");
  const auto drafts = fixtureTensor<std::int32_t>(*file, "drafts");
  const auto confidence = fixtureTensor<float>(*file, "confidence");

  kernels::ThreadPool pool(2);
  Transformer target(openModelFiles(dir), &pool);
  Drafter drafter(target.files(), target.weights());
  const LinearContext ctx{Numerics::Fp32, &pool};
  SessionCache cache = target.newCache();
  std::vector<float> logits, taps;
  target.forward(ids, cache, Numerics::Fp32, false, logits, &taps);
  const std::size_t d = std::size_t(target.config().hiddenSize);
  const std::size_t vocab = std::size_t(target.config().vocabSize);
  const std::size_t g = drafter.blockSize(), window = std::size_t(target.config().slidingWindow);
  std::vector<float> mainX(ids.size() * d);
  drafter.project(ctx, taps.data(), ids.size(), mainX.data());

  std::vector<float> U, hidden, corrected(vocab);
  for (std::size_t a = 0; a < starts.size(); ++a) {
    const std::size_t start = std::size_t(starts[a]);
    const std::size_t context = std::min(start, window);
    std::vector<std::vector<float>> keys(drafter.stages());
    std::vector<const float*> pointers;
    for (std::size_t s = 0; s < drafter.stages(); ++s) {
      keys[s].resize(context * drafter.keyWidth());
      drafter.stageKeys(ctx, s, mainX.data() + (start - context) * d, context,
                        std::int64_t(start - context), keys[s].data());
      pointers.push_back(keys[s].data());
    }
    drafter.block(ctx, pointers, context, std::int64_t(start), ids[start], U, hidden);
    std::int32_t previous = ids[start];
    for (std::size_t k = 0; k < g; ++k) {
      const std::size_t at = (a * g + k) * vocab;
      EXPECT_LE(relativeL2(U.data() + k * vocab, base.data() + at, vocab), kRelativeL2)
          << GetParam() << " base logits, anchor " << start << " draft " << k;
      EXPECT_NEAR(drafter.confidence(hidden.data() + k * d, previous), confidence[a * g + k],
                  1e-4 * (1 + std::fabs(confidence[a * g + k])))
          << GetParam() << " confidence, anchor " << start << " draft " << k;
      drafter.markov(ctx, U.data() + k * vocab, previous, corrected.data());
      EXPECT_LE(relativeL2(corrected.data(), markov.data() + at, vocab), kRelativeL2)
          << GetParam() << " Markov logits, anchor " << start << " draft " << k;
      previous =
          std::int32_t(std::max_element(corrected.begin(), corrected.end()) - corrected.begin());
      EXPECT_EQ(previous, drafts[a * g + k]) << GetParam() << " draft " << k << " at " << start;
      previous = drafts[a * g + k];  // follow the reference's chain either way
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DrafterGolden, ::testing::ValuesIn(fixtureFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param.substr(0, param.param.find('.'));
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace flint::engine
