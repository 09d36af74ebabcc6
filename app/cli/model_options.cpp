#include "app/cli/model_options.h"

#include "app/paths.h"
#include "app/setup/workstation_plan.h"
#include "app/system/memory_plan.h"
#include "engine/backend/cuda_module.h"
#include "engine/logging/log.h"
#include "engine/model/model_census.h"
#include "engine/model/model_files.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

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

engine::ComputeDevice computeDevice(const ParsedArgs& args) {
  const std::string v = args.valueOr("device", "cpu");
  if (v == "cpu") return engine::ComputeDevice::Cpu;
  if (v == "cuda") return engine::ComputeDevice::Cuda;
  if (v == "auto") return engine::ComputeDevice::Auto;
  throw UsageError("--device must be cpu, cuda or auto, not '" + v + "'");
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

namespace {

// A size with an optional K/M/G suffix (binary multiples), or nullopt when `text` is not one.
std::optional<double> parseSize(const std::string& text, bool allowPercent, bool& percent) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || value <= 0) return std::nullopt;
  const std::string unit(ptr, end);
  percent = unit == "%";
  if (percent) return allowPercent ? std::optional(value) : std::nullopt;
  if (unit == "K" || unit == "k") return value * 1024.0;
  if (unit == "M" || unit == "m") return value * 1024.0 * 1024;
  if (unit == "G" || unit == "g") return value * 1024.0 * 1024 * 1024;
  if (!unit.empty()) return std::nullopt;
  return value;
}

// --host-mem / --gpu-mem: "25%" (a share of the routed experts) or a size.
void expertBudget(const std::string& option, const std::string& text, std::size_t& bytes,
                  double& fraction) {
  bool percent = false;
  const std::optional<double> value = parseSize(text, true, percent);
  if (!value)
    throw UsageError("--" + option +
                     " takes a size (8G, 512M, 1048576) or a percentage (25%), not '" + text + "'");
  if (!percent) {
    bytes = std::size_t(*value);
    return;
  }
  if (*value > 100) throw UsageError("--" + option + " cannot exceed 100%");
  fraction = *value / 100;
}

// --gpu-mem: the device's expert slots. With --device cuda or auto it budgets the GPU's; with
// --device cpu it takes effect only with --simulate-gpu BANDWIDTH (a device tier in host memory
// behind a modelled link), and otherwise one line says why it is ignored.
void deviceExpertBudget(const ParsedArgs& args, engine::LoadOptions& options) {
  const auto budget = args.value("gpu-mem");
  const auto simulate = args.value("simulate-gpu");
  if (simulate) {
    if (options.device != engine::ComputeDevice::Cpu)
      throw UsageError(
          "--simulate-gpu models a device in host memory; it does not combine with --device " +
          args.valueOr("device", "cpu"));
    bool percent = false;
    const std::optional<double> bandwidth = parseSize(*simulate, false, percent);
    if (!bandwidth)
      throw UsageError("--simulate-gpu takes the link's bytes per second (16G, 500M), not '" +
                       *simulate + "'");
    if (!budget) throw UsageError("--simulate-gpu needs --gpu-mem, the device tier's budget");
    options.simulatedDeviceBandwidth = *bandwidth;
  }
  if (!budget) return;
  if (options.device == engine::ComputeDevice::Cpu && !simulate) {
    log::logger("cli")->warn(
        "--gpu-mem is ignored with --device cpu (--device cuda budgets the GPU's expert slots; "
        "--simulate-gpu BANDWIDTH models a device tier in host memory)");
    return;
  }
  if (options.device == engine::ComputeDevice::Auto) {
    // Auto stays on the CPU without a usable GPU, where a device budget has no device.
    const engine::CudaProbeResult probe = engine::probeCuda();
    if (!probe.usable) {
      log::logger("cli")->warn("--gpu-mem is ignored: --device auto computes on the CPU here ({})",
                               probe.reason);
      return;
    }
  }
  expertBudget("gpu-mem", *budget, options.deviceExpertBytes, options.deviceExpertFraction);
}

}  // namespace

std::size_t gpuContextTokens(const ParsedArgs& args) {
  const auto text = args.value("gpu-context");
  if (!text) return 0;
  bool percent = false;
  const std::optional<double> tokens = parseSize(*text, false, percent);
  if (!tokens || *tokens < 1 || *tokens != std::floor(*tokens))
    throw UsageError("--gpu-context takes a number of tokens (65536, 32K), not '" + *text + "'");
  return std::size_t(*tokens);
}

engine::LoadOptions loadOptions(const ParsedArgs& args) {
  engine::LoadOptions options;
  options.numerics = numerics(args);
  options.device = computeDevice(args);
  options.deviceContextTokens = gpuContextTokens(args);
  if (auto t = args.integer("threads")) {
    if (*t < 1) throw UsageError("--threads must be 1 or more");
    options.threads = std::size_t(*t);
  }
  options.checkFinite = args.has("check-finite");
  if (auto budget = args.value("host-mem")) {
    expertBudget("host-mem", *budget, options.hostExpertBytes, options.hostExpertFraction);
  } else if (std::filesystem::is_directory(modelDir(args))) {
    // No budget given: the plan setup saved for this folder, else this machine's default.
    const engine::ModelFiles files = engine::openModelFiles(modelDir(args));
    const app::MemoryPlan plan =
        app::memoryPlanFor(modelDir(args), engine::takeCensus(files.config, files.weights),
                           std::uint64_t(files.config.numExpertsPerTok));
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
  deviceExpertBudget(args, options);
  return options;
}

std::unique_ptr<engine::Engine> loadEngine(const ParsedArgs& args) {
  const engine::LoadOptions options = loadOptions(args);
  const auto dir = modelDir(args);
  if (!std::filesystem::is_directory(dir))
    throw CommandError("the model folder " + dir.string() + " does not exist");
  if (!isatty(STDERR_FILENO)) return engine::Engine::load(dir, options);
  // On a terminal a large checkpoint shows where its load is; scripts see nothing of it.
  engine::LoadProgress progress;
  int shown = -1;
  progress.report = [&](std::string_view stage, double fraction) {
    const int percent = int(fraction * 100);
    if (percent == shown) return;
    shown = percent;
    std::fprintf(stderr, "\r\033[KLoading %s: %.*s, %d %%", dir.filename().c_str(),
                 int(stage.size()), stage.data(), percent);
    std::fflush(stderr);
  };
  auto engine = engine::Engine::load(dir, options, &progress);
  std::fprintf(stderr, "\r\033[K");
  return engine;
}

}  // namespace flint::cli
