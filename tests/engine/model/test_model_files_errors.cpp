// Every bad-input case of issue 3 on a damaged copy of a generated checkpoint: each gives one
// ModelError whose message names the file, the tensor and what was expected and found.
#include "engine/model/model_error.h"
#include "engine/model/model_files.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace flint::engine {
namespace {

using nlohmann::json;
using testing::ScratchCheckpoint;

// The message of the ModelError opening `dir` throws; fails the test if it opens.
std::string openError(const std::filesystem::path& dir) {
  try {
    openModelFiles(dir);
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "opening " << dir << " succeeded";
  return "";
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

constexpr const char* kShard1 = "model-00001-of-00002.safetensors";
constexpr const char* kShard2 = "model-00002-of-00002.safetensors";

TEST(ModelFilesErrors, TruncatedShard) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.truncate(ckpt.dir() / kShard2, 100);
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, kShard2);
  EXPECT_CONTAINS(error, "run past the end of the data");
  EXPECT_CONTAINS(error, "truncated");
}

TEST(ModelFilesErrors, FileCutInsideTheHeader) {
  ScratchCheckpoint ckpt("tiny_single");
  const auto file = ckpt.dir() / "model.safetensors";
  std::filesystem::resize_file(file, 100);
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, "model.safetensors: the header length");
  EXPECT_CONTAINS(error, "runs past the end of the 100-byte file");
  std::filesystem::resize_file(file, 3);
  EXPECT_CONTAINS(openError(ckpt.dir()), "3 bytes, too short for the 8-byte header length");
}

TEST(ModelFilesErrors, HeaderLengthPastTheEnd) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.overwriteHeaderLength(ckpt.dir() / kShard1, std::uint64_t(1) << 40);
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error,
                  std::string(kShard1) + ": the header length 1099511627776 runs past the end");
}

TEST(ModelFilesErrors, OverlappingDataOffsets) {
  ScratchCheckpoint ckpt("tiny_sharded");
  // Two same-sized BF16 norms: point the second at the first one's bytes plus one element.
  ckpt.editHeader(ckpt.shardOf("layers.0.attn_norm.weight"), [](json& h) {
    const auto begin = h["layers.0.attn_norm.weight"]["data_offsets"][0].get<std::uint64_t>();
    h["layers.0.ffn_norm.weight"]["data_offsets"] = {begin + 2, begin + 2 + 256};
  });
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, kShard1);
  EXPECT_CONTAINS(error, "layers.0.attn_norm.weight");
  EXPECT_CONTAINS(error, "layers.0.ffn_norm.weight");
  EXPECT_CONTAINS(error, "overlap");
}

TEST(ModelFilesErrors, OutOfRangeDataOffsets) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.editHeader(ckpt.shardOf("norm.weight"), [](json& h) {
    h["norm.weight"]["data_offsets"] = {1u << 30, (1u << 30) + 256};
  });
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error,
                  "tensor 'norm.weight': data_offsets [1073741824, 1073742080] run past the end");
}

TEST(ModelFilesErrors, WrongDtype) {
  ScratchCheckpoint ckpt("tiny_sharded");
  const std::string shard = ckpt.shardOf("layers.1.attn.kv_norm.weight").filename().string();
  ckpt.editHeader(ckpt.shardOf("layers.1.attn.kv_norm.weight"),
                  [](json& h) { h["layers.1.attn.kv_norm.weight"]["dtype"] = "F16"; });
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, "the weights do not match config.json (1 problem)");
  EXPECT_CONTAINS(error,
                  shard + ": layers.1.attn.kv_norm.weight: expected BF16 [128], found F16 [128]");
}

TEST(ModelFilesErrors, UnsupportedDtype) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.editHeader(ckpt.shardOf("layers.1.attn.wq_a.weight"),
                  [](json& h) { h["layers.1.attn.wq_a.weight"]["dtype"] = "U8"; });
  EXPECT_CONTAINS(openError(ckpt.dir()),
                  "tensor 'layers.1.attn.wq_a.weight': unsupported dtype \"U8\"");
}

TEST(ModelFilesErrors, MissingScale) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.removeTensor("layers.2.ffn.experts.3.w2.scale");
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, "layers.2.ffn.experts.3.w2.scale: missing (expected F8_E8M0 [128, 2])");
}

TEST(ModelFilesErrors, ShapeMismatch) {
  ScratchCheckpoint ckpt("tiny_sharded");
  const auto file = ckpt.shardOf("layers.3.attn.wq_b.weight");
  ckpt.editHeader(file, [](json& h) { h["layers.3.attn.wq_b.weight"]["shape"] = {128, 256}; });
  EXPECT_CONTAINS(
      openError(ckpt.dir()),
      file.filename().string() +
          ": layers.3.attn.wq_b.weight: expected F8_E4M3 [256, 128], found F8_E4M3 [128, 256]");
}

TEST(ModelFilesErrors, MissingShard) {
  ScratchCheckpoint ckpt("tiny_sharded");
  std::filesystem::remove(ckpt.dir() / kShard2);
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, std::string("shard ") + kShard2 + " is missing");
  EXPECT_CONTAINS(error, "model.safetensors.index.json lists");
}

TEST(ModelFilesErrors, IndexAndShardDisagree) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.editJson("model.safetensors.index.json",
                [](json& index) { index["weight_map"]["norm.weight"] = kShard2; });
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, "puts 'norm.weight' in");
  EXPECT_CONTAINS(error, "that shard has no such tensor");

  ScratchCheckpoint unlisted("tiny_sharded");
  unlisted.editJson("model.safetensors.index.json",
                    [](json& index) { index["weight_map"].erase("norm.weight"); });
  EXPECT_CONTAINS(openError(unlisted.dir()),
                  "holds 'norm.weight', which model.safetensors.index.json does not list");
}

TEST(ModelFilesErrors, IndexNamingAFileOutsideTheFolder) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.editJson("model.safetensors.index.json", [](json& index) {
    index["weight_map"]["norm.weight"] = "../elsewhere.safetensors";
  });
  EXPECT_CONTAINS(openError(ckpt.dir()), "which is not a file in the model folder");
}

TEST(ModelFilesErrors, BrokenJsonFiles) {
  ScratchCheckpoint ckpt("tiny_sharded");
  ckpt.editHeader(ckpt.dir() / kShard1, [](json& h) { h = json::array(); });
  EXPECT_CONTAINS(openError(ckpt.dir()),
                  std::string(kShard1) + ": the header must be a JSON object");

  ScratchCheckpoint index("tiny_sharded");
  std::filesystem::resize_file(index.dir() / "model.safetensors.index.json", 40);
  EXPECT_CONTAINS(openError(index.dir()), "model.safetensors.index.json is not valid JSON");

  ScratchCheckpoint config("tiny_sharded");
  std::filesystem::resize_file(config.dir() / "config.json", 40);
  EXPECT_CONTAINS(openError(config.dir()), "config.json: not valid JSON");
}

TEST(ModelFilesErrors, ConfigAndTensorsDisagree) {
  ScratchCheckpoint ckpt("tiny_sharded");
  // One layer fewer in the config: all of layers.3 is left unexplained.
  ckpt.editJson("config.json", [](json& c) {
    c["num_hidden_layers"] = 3;
    c["compress_ratios"] = {0, 4, 128};
  });
  const std::string error = openError(ckpt.dir());
  EXPECT_CONTAINS(error, "the weights do not match config.json (64 problems)");
  EXPECT_CONTAINS(error, "layers.3.attn.attn_sink: not implied by config.json (F32 [2])");
  EXPECT_CONTAINS(error, "\n  ... and 44 more");  // the list stops after the first 20

  ScratchCheckpoint ratios("tiny_sharded");
  // Layer 2 declared CSA instead of HCA: its compressor is too narrow, its indexer missing.
  ratios.editJson("config.json", [](json& c) { c["compress_ratios"][2] = 4; });
  const std::string csa = openError(ratios.dir());
  EXPECT_CONTAINS(csa, "layers.2.attn.compressor.ape: expected F32 [4, 256], found F32 [128, 128]");
  EXPECT_CONTAINS(csa, "layers.2.attn.indexer.wq_b.weight: missing");
}

TEST(ModelFilesErrors, DrafterStagesWithAGap) {
  ScratchCheckpoint ckpt("small_dspark");
  ckpt.editJson("model.safetensors.index.json", [](json& index) {
    json renamed = json::object();
    for (auto& [name, shard] : index["weight_map"].items()) {
      std::string n = name;
      if (n.rfind("mtp.1.", 0) == 0) n = "mtp.7." + n.substr(6);
      renamed[n] = shard;
    }
    index["weight_map"] = renamed;
  });
  for (int k = 1; k <= 3; ++k) {
    ckpt.editHeader(ckpt.dir() / ("model-0000" + std::to_string(k) + "-of-00003.safetensors"),
                    [](json& h) {
                      json renamed = json::object();
                      for (auto& [name, entry] : h.items()) {
                        std::string n = name;
                        if (n.rfind("mtp.1.", 0) == 0) n = "mtp.7." + n.substr(6);
                        renamed[n] = entry;
                      }
                      h = renamed;
                    });
  }
  EXPECT_CONTAINS(openError(ckpt.dir()), "mtp.1 is missing");
}

TEST(ModelFilesErrors, MissingDSparkHead) {
  ScratchCheckpoint ckpt("small_dspark");
  ckpt.removeTensor("mtp.2.confidence_head.proj.weight");
  EXPECT_CONTAINS(openError(ckpt.dir()),
                  "mtp.2.confidence_head.proj.weight: missing (expected BF16 [1, 288])");
}

TEST(ModelFilesErrors, NotAModelFolder) {
  EXPECT_CONTAINS(openError("/nonexistent/flint/model"), "is not a folder");
  ScratchCheckpoint ckpt("tiny_sharded");
  std::filesystem::remove(ckpt.dir() / "model.safetensors.index.json");
  EXPECT_CONTAINS(openError(ckpt.dir()), "no model.safetensors.index.json or model.safetensors");
}

}  // namespace
}  // namespace flint::engine
