#pragma once
// One spdlog logger per part of the house ("engine", "kernels", "app", "store", "cli", "ui"),
// all writing to the same sinks: stderr and, once initLogging() names a directory, a rotating
// file there. Before initLogging() loggers write warnings and errors to stderr only.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string_view>

namespace flint::log {

struct LogOptions {
  std::filesystem::path directory;  // empty: no file; otherwise <directory>/flint.log
  spdlog::level::level_enum stderrLevel = spdlog::level::warn;
  spdlog::level::level_enum fileLevel = spdlog::level::info;
  std::size_t maxFileBytes = 5 * 1024 * 1024;
  std::size_t maxFiles = 3;
};

// Sets up the sinks and re-targets every logger made so far. Returns the log file's path,
// or an empty path when none could be opened (the reason is logged to stderr).
std::filesystem::path initLogging(const LogOptions& options);

// The logger for one part; made on first use.
std::shared_ptr<spdlog::logger> logger(std::string_view part);

}  // namespace flint::log
