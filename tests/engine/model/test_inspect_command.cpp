// `flint-cli inspect` on generated checkpoints: the JSON totals equal the writer's, the text
// names every section, and a broken folder is exit status 1 with the error on stderr.
#include "app/cli/cli_app.h"
#include "engine/backend/cuda_module.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <sstream>

namespace flint::cli {
namespace {

using engine::testing::generatedCheckpoint;
using engine::testing::ScratchCheckpoint;
using engine::testing::writerTotals;

struct CliResult {
  int status;
  std::string out, err;
};

CliResult run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = runCli(args, out, err);
  return {status, out.str(), err.str()};
}

TEST(InspectCommand, JsonTotalsEqualTheWritersTotals) {
  for (const char* name : {"tiny_sharded", "small_dspark", "small_mtp"}) {
    SCOPED_TRACE(name);
    const auto result = run({"inspect", "--model", generatedCheckpoint(name).string(), "--json"});
    ASSERT_EQ(result.status, 0) << result.err;
    const auto report = nlohmann::json::parse(result.out);
    const auto totals = writerTotals(name);
    for (const auto& [key, value] : totals.items()) EXPECT_EQ(report.at(key), value) << key;
    EXPECT_EQ(report["memory"]["all_weights_bytes"], totals["total_bytes"]);
    EXPECT_EQ(report["memory"]["gpu_resident_non_expert_bytes"], totals["non_expert_bytes"]);
  }
  const auto dspark = nlohmann::json::parse(
      run({"inspect", "--model", generatedCheckpoint("small_dspark").string(), "--json"}).out);
  EXPECT_EQ(dspark["drafter_kind"], "dspark");
  EXPECT_EQ(dspark["config"]["hc_mult"], 4);
}

TEST(InspectCommand, TextReportHasEverySection) {
  const auto result = run({"inspect", "--model", generatedCheckpoint("small_dspark").string()});
  ASSERT_EQ(result.status, 0) << result.err;
  for (const char* part : {"2 window, 2 CSA, 2 HCA; 2 hash-routed", "3 stage(s), dspark", "params ",
                           "active ", "F8_E4M3: ", "I8: ", "GPU-resident non-expert weights",
                           "routed experts", "KV cache (BF16): 196 B per token"})
    EXPECT_NE(result.out.find(part), std::string::npos) << "missing '" << part << "' in\n"
                                                        << result.out;
}

TEST(InspectCommand, BrokenModelIsExitStatusOneWithTheReason) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.removeTensor("head.weight");
  const auto result = run({"inspect", "--model", ckpt.dir().string()});
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("flint-cli inspect: the weights do not match config.json"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("head.weight: missing (expected BF16 [320, 128])"), std::string::npos);
}

TEST(InspectCommand, UnknownOptionIsAUsageError) {
  EXPECT_EQ(run({"inspect", "--modle", "x"}).status, 2);
}

// The device plan is this machine's GPU's, or null with the reason in the text: never a plan
// for a device the machine lacks.
TEST(InspectCommand, DevicePlanIsTheGpusOrNull) {
  const std::string model = generatedCheckpoint("small_dspark").string();
  const auto result = run({"inspect", "--model", model, "--json", "--gpu-context", "4K"});
  ASSERT_EQ(result.status, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  ASSERT_TRUE(report.contains("device_plan"));
  const auto& plan = report["device_plan"];
  const auto text = run({"inspect", "--model", model});
  const engine::CudaProbeResult probe = engine::probeCuda();
  if (!probe.usable) {
    EXPECT_TRUE(plan.is_null()) << plan;
    EXPECT_NE(text.out.find("device     no GPU plan: " + probe.reason), std::string::npos)
        << text.out;
  } else {
    EXPECT_EQ(plan["device_name"], probe.devices.front().name);
    EXPECT_EQ(plan["context_tokens"], 4096);
    EXPECT_LE(plan["device_experts"].get<std::size_t>(), plan["routed_experts"].get<std::size_t>());
    EXPECT_FALSE(plan["explanation"].get<std::string>().empty());
    EXPECT_NE(text.out.find("expert slots "), std::string::npos) << text.out;
  }
  EXPECT_EQ(run({"inspect", "--model", model, "--gpu-context", "lots"}).status, 2);
}

TEST(InspectCommand, ContextMeasuresTheKvCacheByLayerKindAgainstTheFormula) {
  const auto result = run({"inspect", "--model", generatedCheckpoint("small_dspark").string(),
                           "--context", "100", "--json"});
  ASSERT_EQ(result.status, 0) << result.err;
  const auto kv = nlohmann::json::parse(result.out).at("kv_at_context");
  EXPECT_EQ(kv["tokens"], 100);
  EXPECT_TRUE(kv["matches_formula"].get<bool>());
  for (const char* part : {"window", "compressor_state", "csa", "indexer", "hca"})
    EXPECT_EQ(kv[part]["measured_bytes"], kv[part]["formula_bytes"]) << part;
  EXPECT_GT(kv["csa"]["measured_bytes"].get<std::size_t>(), 0u);
  const auto text =
      run({"inspect", "--model", generatedCheckpoint("small_dspark").string(), "--context", "100"});
  EXPECT_NE(text.out.find("every part matches the formula"), std::string::npos) << text.out;
  EXPECT_EQ(run({"inspect", "--context", "0"}).status, 2);
}

}  // namespace
}  // namespace flint::cli
