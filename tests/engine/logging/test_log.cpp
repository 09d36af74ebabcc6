#include "engine/logging/log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace flint::log {
namespace {

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Logging, EachPartWritesToTheSharedFile) {
  const auto dir = std::filesystem::path(testing::TempDir()) / "flint_log_test";
  std::filesystem::remove_all(dir);
  auto early = logger("kernels");  // made before init: must be re-targeted
  LogOptions options;
  options.directory = dir / "nested";
  options.stderrLevel = spdlog::level::off;
  const auto file = initLogging(options);
  ASSERT_EQ(file, dir / "nested" / "flint.log");

  logger("engine")->info("engine says {}", 42);
  early->warn("kernels warns");
  logger("engine")->debug("below the file level");
  logger("engine")->flush();
  early->flush();

  const std::string text = readAll(file);
  EXPECT_NE(text.find("[engine]"), std::string::npos) << text;
  EXPECT_NE(text.find("engine says 42"), std::string::npos) << text;
  EXPECT_NE(text.find("[kernels]"), std::string::npos) << text;
  EXPECT_NE(text.find("kernels warns"), std::string::npos) << text;
  EXPECT_EQ(text.find("below the file level"), std::string::npos) << text;
  EXPECT_EQ(logger("engine").get(), logger("engine").get()) << "one logger per part";
}

TEST(Logging, UnwritableDirectoryStillLogsToStderr) {
  LogOptions options;
  options.directory = "/proc/flint-cannot-write-here";
  options.stderrLevel = spdlog::level::off;
  EXPECT_TRUE(initLogging(options).empty());
  EXPECT_NO_THROW(logger("app")->error("still works"));
}

}  // namespace
}  // namespace flint::log
