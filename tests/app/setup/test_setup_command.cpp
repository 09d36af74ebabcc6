// `flint-cli setup` against generated checkpoints: a complete one is verified, planned and saved
// (and the saved plan is what loading the folder uses); a missing and a truncated shard each get
// their verdict in words, a non-zero status, and no saved plan.
#include "app/cli/cli_app.h"
#include "app/setup/workstation_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <sstream>

namespace flint::cli {
namespace {

namespace fs = std::filesystem;

class SetupCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("flint-setup-" + std::to_string(std::random_device{}()));
    model_ = root_ / "DeepSeek-V4-tiny";
    fs::create_directories(root_);
    fs::copy(fs::path(FLINT_TEST_CHECKPOINTS) / "tiny_sharded", model_,
             fs::copy_options::recursive);
    ::setenv("XDG_CONFIG_HOME", (root_ / "config").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("XDG_CONFIG_HOME");
    fs::remove_all(root_);
  }
  int run(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int status = runCli(args, out, err);
    out_ = out.str();
    err_ = err.str();
    return status;
  }

  fs::path root_, model_;
  std::string out_, err_;
};

TEST_F(SetupCommand, ACompleteModelIsVerifiedPlannedAndSaved) {
  ASSERT_EQ(run({"setup", "--model", model_.string(), "--yes"}), 0) << out_ << err_;
  EXPECT_NE(out_.find("Machine:"), std::string::npos) << out_;
  EXPECT_NE(out_.find("is complete"), std::string::npos) << out_;
  EXPECT_NE(out_.find("Plan: This is a V4-architecture model"), std::string::npos) << out_;
  EXPECT_NE(out_.find("tokens/s"), std::string::npos) << out_;
  const auto saved = app::loadWorkstationPlan(app::workstationFile(), model_);
  ASSERT_TRUE(saved.has_value()) << out_;
  EXPECT_EQ(app::workstationFile(), root_ / "config" / "flint" / "workstation.json");
  EXPECT_EQ(saved->diskExperts, 0u);
  // Loading the folder with the saved plan in place still chats.
  ASSERT_EQ(run({"chat", "--model", model_.string(), "--prompt", "hi", "--max-tokens", "4"}), 0)
      << err_;
}

TEST_F(SetupCommand, AMissingShardGetsItsVerdictAndNoPlan) {
  fs::remove(model_ / "model-00002-of-00002.safetensors");
  EXPECT_EQ(run({"setup", "--model", model_.string(), "--yes"}), 1);
  EXPECT_NE(out_.find("model-00002-of-00002.safetensors is missing"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("Plan:"), std::string::npos) << out_;
  EXPECT_FALSE(fs::exists(app::workstationFile()));
}

TEST_F(SetupCommand, ATruncatedShardGetsItsVerdictAndNoPlan) {
  const fs::path shard = model_ / "model-00001-of-00002.safetensors";
  fs::resize_file(shard, fs::file_size(shard) / 2);
  EXPECT_EQ(run({"setup", "--model", model_.string(), "--yes"}), 1);
  EXPECT_NE(out_.find("model-00001-of-00002.safetensors is truncated"), std::string::npos) << out_;
  EXPECT_FALSE(fs::exists(app::workstationFile()));
}

TEST_F(SetupCommand, WithoutAFolderItSearchesAndSaysWhere) {
  ::setenv("HF_HOME", (root_ / "hf").c_str(), 1);
  const char* home = std::getenv("HOME");
  const std::string savedHome = home ? home : "";
  ::setenv("HOME", (root_ / "home").c_str(), 1);
  EXPECT_EQ(run({"setup", "--yes"}), 1);
  EXPECT_NE(out_.find("No DeepSeek-V4 model folder was found"), std::string::npos) << out_;
  EXPECT_NE(out_.find((root_ / "hf" / "hub").string()), std::string::npos) << out_;
  // Put the model where the Hugging Face cache keeps it: setup finds it.
  const fs::path snapshot = root_ / "hf" / "hub" / "models--x--V4" / "snapshots" / "r1";
  fs::create_directories(snapshot.parent_path());
  fs::rename(model_, snapshot);
  EXPECT_EQ(run({"setup", "--yes"}), 0) << out_;
  EXPECT_NE(out_.find("using " + snapshot.string()), std::string::npos) << out_;
  ::setenv("HOME", savedHome.c_str(), 1);
  ::unsetenv("HF_HOME");
}

}  // namespace
}  // namespace flint::cli
