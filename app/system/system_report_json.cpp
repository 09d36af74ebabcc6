#include "app/system/system_report_json.h"

#include <ostream>

namespace flint::app {

nlohmann::json toJson(const SystemReport& r) {
  using nlohmann::json;
  json devices = json::array();
  for (const auto& d : r.gpu.devices)
    devices.push_back({{"index", d.ordinal},
                       {"name", d.name},
                       {"compute_capability",
                        std::to_string(d.computeMajor) + "." + std::to_string(d.computeMinor)},
                       {"multiprocessors", d.multiprocessors},
                       {"memory_total_bytes", d.totalBytes},
                       {"memory_free_bytes", d.freeBytes}});
  const ComputeSummary compute = summarizeCompute(r);
  return {
      {"flint_version", r.flintVersion},
      {"cpu",
       {{"model", r.cpuModel},
        {"vendor", r.cpu.vendor},
        {"logical_cores", r.logicalCores},
        {"physical_cores", r.physicalCores ? json(r.physicalCores) : json(nullptr)},
        {"kernel_isa", r.kernelIsa},
        {"features",
         {{"avx2", r.cpu.avx2},
          {"fma", r.cpu.fma},
          {"f16c", r.cpu.f16c},
          {"avx512f", r.cpu.avx512f},
          {"avx512bw", r.cpu.avx512bw},
          {"avx512vl", r.cpu.avx512vl},
          {"avx512_vnni", r.cpu.avx512vnni},
          {"avx512_bf16", r.cpu.avx512bf16},
          {"amx_tile", r.cpu.amxTile},
          {"amx_bf16", r.cpu.amxBf16},
          {"amx_int8", r.cpu.amxInt8}}}}},
      {"memory",
       {{"total_bytes", r.memory.totalBytes}, {"available_bytes", r.memory.availableBytes}}},
      {"gpu",
       {{"available", r.gpu.usable},
        {"reason", r.gpu.usable ? json(nullptr) : json(r.gpu.reason)},
        {"backend_module",
         r.gpu.modulePath.empty() ? json(nullptr) : json(r.gpu.modulePath.string())},
        {"driver_version", r.gpu.driverVersion
                               ? json(engine::formatCudaVersion(r.gpu.driverVersion))
                               : json(nullptr)},
        {"runtime_version", r.gpu.runtimeVersion
                                ? json(engine::formatCudaVersion(r.gpu.runtimeVersion))
                                : json(nullptr)},
        {"devices", devices}}},
      {"compute",
       {{"auto_device", compute.gpu ? "cuda" : "cpu"},
        {"device", compute.device},
        {"memory_total_bytes", compute.gpu ? json(compute.memoryTotalBytes) : json(nullptr)},
        {"memory_free_bytes", compute.gpu ? json(compute.memoryFreeBytes) : json(nullptr)},
        {"reason", compute.gpu ? json(nullptr) : json(compute.reason)},
        {"default_device", "cpu"},
        {"cuda_opt_in", "--device cuda"},
        {"summary", compute.sentence}}},
      {"disk",
       {{"data_dir", r.disk.path.string()},
        {"measured_at", r.disk.measuredAt.string()},
        {"free_bytes", r.disk.freeBytes},
        {"total_bytes", r.disk.totalBytes},
        {"error", r.disk.error.empty() ? json(nullptr) : json(r.disk.error)}}},
      {"advice", r.advice},
  };
}

void printReport(const SystemReport& r, std::ostream& out) {
  auto yes = [](bool b) { return b ? "yes" : "no"; };
  out << "Flint " << r.flintVersion << " on this machine\n\n"
      << "CPU      " << (r.cpuModel.empty() ? "unknown" : r.cpuModel) << "\n"
      << "         " << r.logicalCores << " logical cores";
  if (r.physicalCores) out << ", " << r.physicalCores << " physical";
  out << "; kernels: " << r.kernelIsa << "\n"
      << "         AVX2 " << yes(r.cpu.avx2) << ", AVX-512 " << yes(r.cpu.avx512f) << " (VNNI "
      << yes(r.cpu.avx512vnni) << ", BF16 " << yes(r.cpu.avx512bf16) << "), AMX "
      << yes(r.cpu.amxTile) << "\n"
      << "RAM      " << formatBytes(r.memory.totalBytes) << " total, "
      << formatBytes(r.memory.availableBytes) << " available\n";
  if (r.gpu.usable) {
    for (const auto& d : r.gpu.devices)
      out << "GPU " << d.ordinal << "    " << d.name << ", " << formatBytes(d.totalBytes) << " ("
          << formatBytes(d.freeBytes) << " free), compute " << d.computeMajor << "."
          << d.computeMinor << "\n";
    out << "Driver   CUDA " << engine::formatCudaVersion(r.gpu.driverVersion) << "\n";
  } else {
    out << "GPU      none: " << r.gpu.reason << "\n";
  }
  out << "Compute  " << summarizeCompute(r).sentence << "\n";
  if (r.disk.error.empty())
    out << "Disk     " << formatBytes(r.disk.freeBytes) << " free of "
        << formatBytes(r.disk.totalBytes) << " at " << r.disk.measuredAt.string() << "\n";
  else
    out << "Disk     " << r.disk.error << "\n";
  out << "\nAdvice\n";
  for (const auto& a : r.advice) out << "  - " << a << "\n";
}

}  // namespace flint::app
