// Setup's verdict on a downloaded model folder: complete, a shard missing, a shard cut short,
// a shard too long, a damaged index, a checksum that disagrees with the download cache, and a
// cancelled checksum. Each on a copy of a generated sharded checkpoint.
#include "app/setup/model_verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

namespace flint::app {
namespace {

namespace fs = std::filesystem;

class ModelVerifier : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("flint-verify-" + std::to_string(std::random_device{}()));
    fs::copy(fs::path(FLINT_TEST_CHECKPOINTS) / "tiny_sharded", dir_, fs::copy_options::recursive);
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".safetensors") shards_.push_back(e.path());
    std::sort(shards_.begin(), shards_.end());
    ASSERT_GE(shards_.size(), 2u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::vector<fs::path> shards_;
};

bool mentions(const ModelVerification& v, const std::string& text) {
  return v.verdict().find(text) != std::string::npos;
}

TEST_F(ModelVerifier, ACompleteFolderPasses) {
  const auto v = verifyModelFolder(dir_);
  EXPECT_TRUE(v.ok()) << v.verdict();
  EXPECT_EQ(v.shards.size(), shards_.size());
  for (const auto& s : v.shards) EXPECT_EQ(s.actualBytes, s.expectedBytes) << s.name;
  EXPECT_TRUE(mentions(v, "is complete")) << v.verdict();
}

TEST_F(ModelVerifier, AMissingShardIsNamed) {
  fs::remove(shards_[1]);
  const auto v = verifyModelFolder(dir_);
  EXPECT_FALSE(v.ok());
  const std::string name = shards_[1].filename().string();
  EXPECT_TRUE(mentions(v, name + " is missing")) << v.verdict();
  EXPECT_TRUE(mentions(v, "cannot be used yet")) << v.verdict();
}

TEST_F(ModelVerifier, ATruncatedShardIsNamedWithItsSizes) {
  const auto full = fs::file_size(shards_[0]);
  fs::resize_file(shards_[0], full - 100);
  const auto v = verifyModelFolder(dir_);
  EXPECT_FALSE(v.ok());
  const std::string name = shards_[0].filename().string();
  EXPECT_TRUE(mentions(v, name + " is truncated")) << v.verdict();
  EXPECT_TRUE(mentions(v, std::to_string(full - 100) + " bytes")) << v.verdict();
  EXPECT_TRUE(mentions(v, "implies " + std::to_string(full))) << v.verdict();
}

TEST_F(ModelVerifier, AShardCutInsideItsHeaderIsTruncatedToo) {
  fs::resize_file(shards_[0], 20);
  const auto v = verifyModelFolder(dir_);
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(mentions(v, shards_[0].filename().string())) << v.verdict();
}

TEST_F(ModelVerifier, ExtraBytesAreReported) {
  std::ofstream(shards_[0], std::ios::app | std::ios::binary) << "trailing";
  const auto v = verifyModelFolder(dir_);
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(mentions(v, "8 bytes after its last tensor")) << v.verdict();
}

TEST_F(ModelVerifier, ADamagedIndexIsSaidInWords) {
  std::ofstream(dir_ / "model.safetensors.index.json", std::ios::trunc) << "{\"weight_map\": {";
  const auto v = verifyModelFolder(dir_);
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(mentions(v, "index.json is damaged")) << v.verdict();
}

TEST_F(ModelVerifier, ChecksumAgreesWithTheDownloadCacheOrNamesTheShard) {
  // A Hugging Face cache: the shard is a link to blobs/<its sha256>.
  auto v = verifyModelFolder(dir_, {.checksum = true, .progress = {}, .cancel = nullptr});
  ASSERT_TRUE(v.ok()) << v.verdict();
  const std::string digest = v.shards[0].sha256;
  ASSERT_EQ(digest.size(), 64u);
  const fs::path blobs = dir_ / "blobs";
  fs::create_directories(blobs);
  fs::rename(shards_[0], blobs / digest);
  fs::create_symlink(blobs / digest, shards_[0]);
  v = verifyModelFolder(dir_, {.checksum = true, .progress = {}, .cancel = nullptr});
  EXPECT_TRUE(v.ok()) << v.verdict();

  // Same size, one byte changed inside a tensor: only the checksum can tell.
  {
    std::fstream f(blobs / digest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(fs::file_size(blobs / digest) - 3));
    f.put('\x5a');
  }
  EXPECT_TRUE(verifyModelFolder(dir_).ok());
  v = verifyModelFolder(dir_, {.checksum = true, .progress = {}, .cancel = nullptr});
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(mentions(v, shards_[0].filename().string() + " is damaged")) << v.verdict();
}

TEST_F(ModelVerifier, ChecksumReportsProgressAndStopsWhenCancelled) {
  std::vector<ChecksumProgress> seen;
  std::atomic<bool> cancel{false};
  VerifyOptions options;
  options.checksum = true;
  options.progress = [&](const ChecksumProgress& p) { seen.push_back(p); };
  auto v = verifyModelFolder(dir_, options);
  ASSERT_TRUE(v.ok()) << v.verdict();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().bytesDone, seen.back().bytesTotal);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].bytesDone, seen[i - 1].bytesDone);

  cancel = true;
  options.cancel = &cancel;
  v = verifyModelFolder(dir_, options);
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(mentions(v, "cancelled")) << v.verdict();
}

TEST_F(ModelVerifier, ANonModelFolderIsSaidInWords) {
  const auto v = verifyModelFolder(dir_ / "nothing-here");
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(mentions(v, "is not a folder")) << v.verdict();
}

}  // namespace
}  // namespace flint::app
