#include "app/cli/model_options.h"

#include "app/paths.h"
#include "app/system/memory_plan.h"
#include "engine/logging/log.h"
#include "engine/model/model_census.h"
#include "engine/model/model_files.h"

#include <charconv>

namespace flint::cli {

std::filesystem::path modelDir(const ParsedArgs& args) {
  const auto dir = args.value("model");
  return dir ? std::filesystem::path(*dir) : app::defaultModelDir();
}

engine::Numerics numerics(const ParsedArgs& args) {
  const std::string v = args.valueOr("numerics", "official");
  if (v == "official") return engine::Numerics::Official;
  if (v == "fp32") return engine::Numerics::Fp32;
  throw UsageError("--numerics must be official or fp32, not '" + v + "'");
}

engine::SamplingParams sampling(const ParsedArgs& args) {
  engine::SamplingParams p;
  if (auto t = args.number("temperature")) p.temperature = float(*t);
  if (auto t = args.number("top-p")) p.topP = float(*t);
  if (auto k = args.integer("top-k")) p.topK = int(*k);
  if (auto s = args.integer("seed")) p.seed = std::uint64_t(*s);
  if (!(p.temperature >= 0)) throw UsageError("--temperature must be 0 (greedy) or more");
  if (!(p.topP > 0 && p.topP <= 1)) throw UsageError("--top-p must be more than 0 and at most 1");
  if (p.topK < 0) throw UsageError("--top-k must be 0 (off) or more");
  return p;
}

std::vector<engine::TokenId> parseIds(const std::string& list, const std::string& option) {
  std::vector<engine::TokenId> ids;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    const std::size_t end = std::min(list.find(',', begin), list.size());
    const std::string item = list.substr(begin, end - begin);
    engine::TokenId id = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || id < 0)
      throw UsageError("--" + option + " takes comma-separated token ids; '" + item +
                       "' is not one");
    ids.push_back(id);
    begin = end + 1;
  }
  return ids;
}

// --host-mem: "25%" (a share of the routed experts) or a size with an optional K/M/G suffix.
void hostExpertBudget(const std::string& text, engine::LoadOptions& options) {
  const auto bad = [&] {
    return UsageError("--host-mem takes a size (8G, 512M, 1048576) or a percentage (25%), not '" +
                      text + "'");
  };
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || value <= 0) throw bad();
  const std::string unit(ptr, end);
  if (unit == "%") {
    if (value > 100) throw UsageError("--host-mem cannot exceed 100%");
    options.hostExpertFraction = value / 100;
    return;
  }
  double scale = 1;
  if (unit == "K" || unit == "k")
    scale = 1024.0;
  else if (unit == "M" || unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (!unit.empty())
    throw bad();
  options.hostExpertBytes = std::size_t(value * scale);
}

engine::LoadOptions loadOptions(const ParsedArgs& args) {
  engine::LoadOptions options;
  options.numerics = numerics(args);
  if (auto t = args.integer("threads")) {
    if (*t < 1) throw UsageError("--threads must be 1 or more");
    options.threads = std::size_t(*t);
  }
  options.checkFinite = args.has("check-finite");
  if (auto budget = args.value("host-mem")) {
    hostExpertBudget(*budget, options);
  } else if (std::filesystem::is_directory(modelDir(args))) {
    // No budget given: this machine's default plan (everything in RAM when it fits).
    const engine::ModelFiles files = engine::openModelFiles(modelDir(args));
    const app::MemoryPlan plan =
        app::planMemory(engine::takeCensus(files.config, files.weights),
                        std::uint64_t(files.config.numExpertsPerTok), app::readMemoryInfo());
    if (!plan.allResident) {
      log::logger("cli")->warn("{}", plan.explanation);
      options.hostExpertBytes = plan.fits ? plan.hostExpertBytes : 1;  // 1: refused, in words
    }
  }
  if (auto policy = args.value("expert-policy")) {
    if (*policy == "lru")
      options.expertPolicy = engine::EvictionPolicy::Lru;
    else if (*policy != "frequency")
      throw UsageError("--expert-policy must be frequency or lru, not '" + *policy + "'");
  }
  return options;
}

std::unique_ptr<engine::Engine> loadEngine(const ParsedArgs& args) {
  const engine::LoadOptions options = loadOptions(args);
  const auto dir = modelDir(args);
  if (!std::filesystem::is_directory(dir))
    throw CommandError("the model folder " + dir.string() + " does not exist");
  return engine::Engine::load(dir, options);
}

}  // namespace flint::cli
