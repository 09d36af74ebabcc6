#include "app/setup/workstation_plan.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <chrono>

namespace flint::app {
namespace {

std::string fixed(double v, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

std::string count(std::uint64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

double expectedHitRate(double share) {
  share = std::clamp(share, 0.0, 1.0);
  return 1.0 - std::pow(1.0 - share, 2.5);
}

std::string variantName(const engine::ModelConfig& config, const engine::ModelCensus& census) {
  std::string name;
  if (config.numHiddenLayers == 43 && config.hiddenSize == 4096 && config.nRoutedExperts == 256)
    name = "DeepSeek-V4-Flash";
  else if (config.numHiddenLayers == 61 && config.hiddenSize == 7168 &&
           config.nRoutedExperts == 384)
    name = "DeepSeek-V4-Pro";
  else
    return "a V4-architecture model (" + std::to_string(config.numHiddenLayers) + " layers, " +
           std::to_string(config.nRoutedExperts) + " experts per layer" +
           (census.drafterStages > 1 ? ", with a DSpark drafter" : "") + ")";
  return census.drafterStages > 1 ? name + "-DSpark" : name;
}

std::optional<double> knownGpuBandwidth(const std::string& deviceName) {
  // Vendor data sheets, HBM/GDDR peak read bandwidth.
  static const std::pair<const char*, double> kTable[] = {
      {"H200", 4.8e12},       {"H100 NVL", 3.9e12},      {"H100 SXM", 3.35e12},
      {"H100 PCIe", 2.0e12},  {"H100", 3.35e12},         {"A100-SXM4-80GB", 2.04e12},
      {"A100 80GB", 1.94e12}, {"A100", 1.56e12},         {"L40S", 0.864e12},
      {"RTX 4090", 1.008e12}, {"RTX 6000 Ada", 0.96e12}, {"RTX 3090", 0.936e12},
      {"B200", 8.0e12}};
  for (const auto& [name, bw] : kTable)
    if (deviceName.find(name) != std::string::npos) return bw;
  return std::nullopt;
}

std::optional<double> measureDiskRead(const std::filesystem::path& file, std::uint64_t bytes) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_DIRECT);
  if (fd < 0) return std::nullopt;
  constexpr std::size_t kBlock = std::size_t(4) << 20;
  void* buffer = nullptr;
  if (posix_memalign(&buffer, 4096, kBlock) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  while (done < bytes) {
    const ssize_t got = ::pread(fd, buffer, kBlock, off_t(done));
    if (got <= 0) break;
    done += std::uint64_t(got);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::free(buffer);
  ::close(fd);
  // Below a few MiB the figure is latency, not speed.
  if (done < (std::uint64_t(8) << 20) || seconds <= 0) return std::nullopt;
  return double(done) / seconds;
}

WorkstationPlan planWorkstation(const std::filesystem::path& modelDir,
                                const engine::ModelConfig& config,
                                const engine::ModelCensus& census, const SystemReport& machine,
                                const TierBandwidths& bw) {
  WorkstationPlan plan;
  plan.modelDir = modelDir;
  plan.variant = variantName(config, census);
  const std::uint64_t expertBytes = std::max<std::uint64_t>(census.expertBytes, 1);
  plan.routedExperts = census.routedExpertBytes / expertBytes;
  const std::uint64_t perToken = std::uint64_t(std::max<std::int64_t>(config.numExpertsPerTok, 0)) *
                                 std::uint64_t(std::max<std::int64_t>(config.numHiddenLayers, 0));
  std::uint64_t left = plan.routedExperts;
  std::string gpuText;

  // GPU first: the shared weights and the KV cache, then as many experts as fit.
  bool sharedOnGpu = false;
  if (machine.gpu.usable && !machine.gpu.devices.empty() && bw.gpu > 0) {
    const auto& device =
        *std::max_element(machine.gpu.devices.begin(), machine.gpu.devices.end(),
                          [](const auto& a, const auto& b) { return a.freeBytes < b.freeBytes; });
    const std::uint64_t margin = std::max<std::uint64_t>(device.totalBytes / 10, 1ull << 30);
    const std::uint64_t usable = device.freeBytes > margin ? device.freeBytes - margin : 0;
    const auto kv = std::uint64_t(census.kvBytesPerToken * double(kPlannedContextTokens)) +
                    census.kvWindowBytes;
    if (usable >= census.nonExpertBytes + kv) {
      sharedOnGpu = true;
      plan.gpuExperts = std::min(left, (usable - census.nonExpertBytes - kv) / expertBytes);
      left -= plan.gpuExperts;
      plan.gpuBytes = census.nonExpertBytes + kv + plan.gpuExperts * expertBytes;
      gpuText = "The GPU (" + device.name + ") keeps the shared weights, the KV cache for " +
                std::to_string(kPlannedContextTokens / 1024) + "K tokens and " +
                count(plan.gpuExperts, "routed expert") + " (" + formatBytes(plan.gpuBytes) + "). ";
    } else {
      gpuText = "The GPU (" + device.name + ", " + formatBytes(usable) +
                " to spare) cannot hold the shared weights (" + formatBytes(census.nonExpertBytes) +
                ") with a KV cache, so it is not used. ";
    }
  } else {
    gpuText = "There is no usable GPU, so the CPU computes everything. ";
  }

  // RAM next, with the margin the OS and the page cache need.
  const std::uint64_t margin = memoryMargin(machine.memory);
  std::uint64_t hostRoom =
      machine.memory.availableBytes > margin ? machine.memory.availableBytes - margin : 0;
  const std::uint64_t sharedInRam = sharedOnGpu ? 0 : census.nonExpertBytes;
  hostRoom = hostRoom > sharedInRam ? hostRoom - sharedInRam : 0;
  plan.hostExperts = std::min(left, hostRoom / expertBytes);
  left -= plan.hostExperts;
  plan.hostExpertBytes = plan.hostExperts * expertBytes;
  plan.diskExperts = left;

  const std::uint64_t inMemory = plan.gpuExperts + plan.hostExperts;
  if (plan.routedExperts > 0 && inMemory < std::min(perToken, plan.routedExperts)) {
    plan.fits = false;
    plan.explanation = gpuText + "This machine has " + formatBytes(hostRoom) +
                       " of RAM to spare beside the shared weights, less than one token's " +
                       count(perToken, "expert") + " need; free memory or choose a smaller model.";
    return plan;
  }

  // Expected decode speed: bytes each tier serves per token over its bandwidth.
  const double all = double(std::max<std::uint64_t>(plan.routedExperts, 1));
  const double activeBytes = double(std::min(perToken, plan.routedExperts)) * double(expertBytes);
  const auto seconds = [&](double hitShare) {
    // Uses served from memory split between GPU and RAM by their shares of what memory holds.
    const double memShare = inMemory ? double(plan.gpuExperts) / double(inMemory) : 0;
    double t = double(census.nonExpertBytes) / (sharedOnGpu ? bw.gpu : bw.host);
    t += activeBytes * hitShare * memShare / std::max(bw.gpu, 1.0);
    t += activeBytes * hitShare * (1 - memShare) / bw.host;
    if (plan.diskExperts) t += activeBytes * (1 - hitShare) / std::max(bw.disk, 1.0);
    return t;
  };
  const double share = double(inMemory) / all;
  plan.tokensPerSecondLow = kDecodeEfficiency / seconds(share);  // routing spread evenly
  plan.tokensPerSecondHigh =
      kDecodeEfficiency / seconds(plan.diskExperts ? expectedHitRate(share) : 1.0);

  std::string text = "This is " + plan.variant + ". " + gpuText;
  text += "RAM keeps " + count(plan.hostExperts, "routed expert") + " (" +
          formatBytes(plan.hostExpertBytes) + (sharedOnGpu ? "" : " beside the shared weights") +
          "). ";
  if (plan.diskExperts)
    text += "The other " + count(plan.diskExperts, "expert") + " (" +
            std::to_string(int(std::lround(100.0 * double(plan.diskExperts) / all))) +
            " %) stay on disk and are read when used, so the disk's speed (" +
            fixed(bw.disk / 1e9, 1) + " GB/s" + (bw.diskAssumed ? ", assumed" : ", measured") +
            ") matters. ";
  else
    text += "Every expert is in memory: no disk tier. ";
  const bool range = plan.tokensPerSecondHigh > plan.tokensPerSecondLow * 1.05;
  text += "Expected decode speed: " +
          (range ? fixed(plan.tokensPerSecondLow, 1) + "-" + fixed(plan.tokensPerSecondHigh, 1)
                 : "about " + fixed(plan.tokensPerSecondLow, 1)) +
          " tokens/s (RAM " + fixed(bw.host / 1e9, 0) + " GB/s measured" +
          (sharedOnGpu ? std::string(", GPU ") + fixed(bw.gpu / 1e9, 0) + " GB/s" +
                             (bw.gpuAssumed ? " from its data sheet" : "")
                       : std::string()) +
          (range ? "; the range is between routing that spreads evenly and routing as local "
                   "as measured on flint-tiny)."
                 : ").");
  plan.explanation = text;
  return plan;
}

std::filesystem::path workstationFile() {
  if (const char* v = std::getenv("XDG_CONFIG_HOME");
      v && *v && std::filesystem::path(v).is_absolute())
    return std::filesystem::path(v) / "flint" / "workstation.json";
  const char* home = std::getenv("HOME");
  return std::filesystem::path((home && *home) ? home : "/tmp") / ".config" / "flint" /
         "workstation.json";
}

void saveWorkstationPlan(const WorkstationPlan& plan, const std::filesystem::path& file) {
  nlohmann::json j = {{"model_dir", plan.modelDir.string()},
                      {"variant", plan.variant},
                      {"gpu_bytes", plan.gpuBytes},
                      {"gpu_experts", plan.gpuExperts},
                      {"host_expert_bytes", plan.hostExpertBytes},
                      {"host_experts", plan.hostExperts},
                      {"disk_experts", plan.diskExperts},
                      {"tokens_per_second", {plan.tokensPerSecondLow, plan.tokensPerSecondHigh}},
                      {"explanation", plan.explanation}};
  std::filesystem::create_directories(file.parent_path());
  // Written whole, then renamed: a crash leaves the old plan or the new one, never half.
  const auto temp = file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error("could not write " + temp);
  }
  std::filesystem::rename(temp, file);
}

std::optional<WorkstationPlan> loadWorkstationPlan(const std::filesystem::path& file,
                                                   const std::filesystem::path& modelDir) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(in);
    std::error_code ec;
    const std::filesystem::path saved = j.at("model_dir").get<std::string>();
    if (!std::filesystem::equivalent(saved, modelDir, ec) || ec) return std::nullopt;
    WorkstationPlan plan;
    plan.modelDir = saved;
    plan.variant = j.at("variant").get<std::string>();
    plan.gpuBytes = j.at("gpu_bytes").get<std::uint64_t>();
    plan.gpuExperts = j.at("gpu_experts").get<std::uint64_t>();
    plan.hostExpertBytes = j.at("host_expert_bytes").get<std::uint64_t>();
    plan.hostExperts = j.at("host_experts").get<std::uint64_t>();
    plan.diskExperts = j.at("disk_experts").get<std::uint64_t>();
    plan.tokensPerSecondLow = j.at("tokens_per_second").at(0).get<double>();
    plan.tokensPerSecondHigh = j.at("tokens_per_second").at(1).get<double>();
    plan.explanation = j.at("explanation").get<std::string>();
    return plan;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged plan is ignored; setup writes a new one
  }
}

MemoryPlan memoryPlanFor(const std::filesystem::path& modelDir, const engine::ModelCensus& census,
                         std::uint64_t expertsPerToken) {
  MemoryPlan plan = planMemory(census, expertsPerToken, readMemoryInfo());
  const auto saved = loadWorkstationPlan(workstationFile(), modelDir);
  if (!saved || saved->diskExperts == 0 || saved->hostExpertBytes == 0) return plan;
  plan.allResident = false;
  plan.fits = true;
  plan.hostExpertBytes = saved->hostExpertBytes;
  plan.explanation = "The plan saved by setup: " + saved->explanation;
  return plan;
}

}  // namespace flint::app
