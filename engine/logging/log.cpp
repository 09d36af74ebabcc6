#include "engine/logging/log.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace flint::log {
namespace {

// The sinks and loggers live here rather than in spdlog's global registry, so two
// initLogging() calls (tests do this) re-target existing loggers instead of clashing.
struct Registry {
  std::mutex mutex;
  std::vector<spdlog::sink_ptr> sinks;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;

  Registry() {
    auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    err->set_level(spdlog::level::warn);
    err->set_pattern("flint: %^%l%$: [%n] %v");
    sinks.push_back(err);
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

void attach(spdlog::logger& l, const std::vector<spdlog::sink_ptr>& sinks) {
  l.sinks() = sinks;
  l.set_level(spdlog::level::trace);  // each sink filters by its own level
  l.flush_on(spdlog::level::info);
}

}  // namespace

std::filesystem::path initLogging(const LogOptions& options) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<spdlog::sink_ptr> sinks;
  auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  err->set_level(options.stderrLevel);
  err->set_pattern("flint: %^%l%$: [%n] %v");
  sinks.push_back(err);

  std::filesystem::path file;
  if (!options.directory.empty()) {
    try {
      std::filesystem::create_directories(options.directory);
      file = options.directory / "flint.log";
      auto rotating = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          file.string(), options.maxFileBytes, options.maxFiles);
      rotating->set_level(options.fileLevel);
      rotating->set_pattern("%Y-%m-%d %H:%M:%S.%e %l [%n] [t%t] %v");
      sinks.push_back(rotating);
    } catch (const std::exception& e) {
      err->log(spdlog::details::log_msg(
          "log", spdlog::level::warn,
          "cannot write the log file in " + options.directory.string() + ": " + e.what()));
      file.clear();
    }
  }
  r.sinks = sinks;
  for (auto& [name, l] : r.loggers) attach(*l, r.sinks);
  return file;
}

std::shared_ptr<spdlog::logger> logger(std::string_view part) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.loggers.find(part); it != r.loggers.end()) return it->second;
  auto l = std::make_shared<spdlog::logger>(std::string(part));
  attach(*l, r.sinks);
  r.loggers.emplace(std::string(part), l);
  return l;
}

}  // namespace flint::log
