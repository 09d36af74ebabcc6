#include "app/system/system_report.h"

#include "app/paths.h"

#include <sys/statvfs.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace flint::app {
namespace {

std::string readFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fieldValue(const std::string& line) {
  auto colon = line.find(':');
  if (colon == std::string::npos) return "";
  auto v = line.substr(colon + 1);
  auto b = v.find_first_not_of(" \t");
  auto e = v.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : v.substr(b, e - b + 1);
}

DiskInfo measureDisk(const std::filesystem::path& dir) {
  DiskInfo d;
  d.path = dir;
  std::filesystem::path at = dir;
  std::error_code ec;
  while (!at.empty() && !std::filesystem::exists(at, ec)) {
    if (at == at.parent_path()) break;
    at = at.parent_path();
  }
  d.measuredAt = at;
  struct statvfs s {};
  if (statvfs(at.c_str(), &s) != 0) {
    d.error = "cannot measure free space at " + at.string();
    return d;
  }
  d.freeBytes = static_cast<unsigned long long>(s.f_bavail) * s.f_frsize;
  d.totalBytes = static_cast<unsigned long long>(s.f_blocks) * s.f_frsize;
  return d;
}

constexpr unsigned long long kGiB = 1ull << 30;

}  // namespace

std::string formatBytes(unsigned long long bytes) {
  char buf[32];
  if (bytes >= kGiB)
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(kGiB));
  else
    std::snprintf(buf, sizeof buf, "%.0f MiB", double(bytes) / double(1ull << 20));
  return buf;
}

MemoryInfo readMemoryInfo() {
  return parseMeminfo(readFile("/proc/meminfo"));
}

MemoryInfo parseMeminfo(const std::string& text) {
  MemoryInfo m;
  std::istringstream in(text);
  std::string key;
  unsigned long long value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    const unsigned long long bytes = unit.find("kB") != std::string::npos ? value * 1024 : value;
    if (key == "MemTotal:") m.totalBytes = bytes;
    if (key == "MemAvailable:") m.availableBytes = bytes;
  }
  return m;
}

unsigned countPhysicalCores(const std::string& cpuinfo) {
  // Distinct (physical id, core id) pairs; 0 when the kernel does not report them (VMs often
  // don't).
  std::set<std::pair<std::string, std::string>> cores;
  std::istringstream in(cpuinfo);
  std::string line, physical = "0", core;
  while (std::getline(in, line)) {
    if (line.rfind("physical id", 0) == 0) physical = fieldValue(line);
    if (line.rfind("core id", 0) == 0) core = fieldValue(line);
    if (line.empty() && !core.empty()) {
      cores.insert({physical, core});
      core.clear();
    }
  }
  if (!core.empty()) cores.insert({physical, core});
  return static_cast<unsigned>(cores.size());
}

std::string cpuModelFromCpuinfo(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return fieldValue(line);
  return "";
}

ComputeSummary summarizeCompute(const SystemReport& r) {
  ComputeSummary c;
  c.gpu = r.gpu.usable && !r.gpu.devices.empty();
  if (c.gpu) {
    const auto& d = r.gpu.devices.front();
    c.device = d.name;
    c.memoryTotalBytes = d.totalBytes;
    c.memoryFreeBytes = d.freeBytes;
    c.sentence = "--device auto would compute on " + d.name + " (" + formatBytes(d.totalBytes) +
                 ", " + formatBytes(d.freeBytes) +
                 " free); the default stays the CPU while the CUDA backbone is opt-in "
                 "(--device cuda).";
    return c;
  }
  c.device = "CPU (" + r.kernelIsa + ", " + std::to_string(r.logicalCores) + " threads)";
  c.reason = r.gpu.reason.empty() ? "no usable GPU" : r.gpu.reason;
  c.sentence = "--device auto would compute on the " + c.device + ": " + c.reason +
               "; the CUDA backbone is opt-in (--device cuda).";
  return c;
}

std::vector<std::string> adviseFor(const SystemReport& r) {
  std::vector<std::string> out;
  const double ramGiB = double(r.memory.totalBytes) / double(kGiB);
  if (!r.gpu.usable) {
    out.push_back("No usable GPU, so Flint computes on the CPU (" + r.gpu.reason +
                  "); flint-tiny runs well, large models will be slow.");
  } else {
    const auto& d = r.gpu.devices.front();
    out.push_back("GPU " + d.name + " with " + formatBytes(d.totalBytes) +
                  ": with --device cuda, attention, shared experts and the hottest routed "
                  "experts live there.");
  }
  if (r.kernelIsa == "scalar")
    out.push_back("This CPU has neither AVX2 nor AVX-512: decoding will be several times slower.");
  else if (r.kernelIsa == "avx2")
    out.push_back("The CPU has AVX2 but not AVX-512: the AVX2 kernels will be used.");
  else
    out.push_back(std::string("The CPU has AVX-512") + (r.cpu.avx512bf16 ? " with BF16" : "") +
                  (r.cpu.avx512vnni ? " and VNNI" : "") +
                  ": the fastest CPU kernels will be used.");
  // V4-Flash is ~160 GB on disk, V4-Pro ~865 GB; the routed experts can stream from disk.
  if (ramGiB >= 180)
    out.push_back("With " + formatBytes(r.memory.totalBytes) +
                  " of RAM, V4-Flash fits in memory; V4-Pro needs the disk tier.");
  else
    out.push_back("With " + formatBytes(r.memory.totalBytes) +
                  " of RAM, V4-Flash (about 160 GB) needs the disk tier for most routed experts; "
                  "expect it to be limited by disk speed.");
  if (r.disk.error.empty() && r.disk.freeBytes < 2 * kGiB)
    out.push_back("Less than 2 GiB is free in " + r.disk.measuredAt.string() +
                  ": conversations and caches may not fit.");
  if (r.memory.totalBytes && r.memory.availableBytes < r.memory.totalBytes / 10)
    out.push_back(
        "Less than a tenth of the RAM is available: close other programs before loading a model.");
  return out;
}

SystemReport collectSystemReport() {
  SystemReport r;
  r.flintVersion = versionString();
  r.cpu = kernels::cpuFeatures();
  r.kernelIsa = kernels::bestKernelIsa(r.cpu);
  const std::string cpuinfo = readFile("/proc/cpuinfo");
  r.cpuModel = r.cpu.brand.empty() ? cpuModelFromCpuinfo(cpuinfo) : r.cpu.brand;
  r.logicalCores = std::thread::hardware_concurrency();
  r.physicalCores = countPhysicalCores(cpuinfo);
  r.memory = readMemoryInfo();
  r.gpu = engine::probeCuda();
  r.disk = measureDisk(dataDir());
  r.advice = adviseFor(r);
  return r;
}

}  // namespace flint::app
