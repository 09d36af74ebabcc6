#include "app/system/system_report.h"
#include "app/system/system_report_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace flint::app {
namespace {

TEST(SystemReport, ParsesMeminfo) {
  const auto m = parseMeminfo(
      "MemTotal:       24684444 kB\nMemFree:        1000 kB\nMemAvailable:   22000000 kB\n"
      "HugePages_Total:       0\n");
  EXPECT_EQ(m.totalBytes, 24684444ull * 1024);
  EXPECT_EQ(m.availableBytes, 22000000ull * 1024);
}

TEST(SystemReport, CountsPhysicalCoresAcrossSockets) {
  const std::string cpuinfo =
      "processor\t: 0\nmodel name\t: Test CPU 9000\nphysical id\t: 0\ncore id\t: 0\n\n"
      "processor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\n"  // SMT sibling
      "processor\t: 2\nphysical id\t: 1\ncore id\t: 0\n\n"  // second socket
      "processor\t: 3\nphysical id\t: 1\ncore id\t: 1\n";
  EXPECT_EQ(countPhysicalCores(cpuinfo), 3u);
  EXPECT_EQ(cpuModelFromCpuinfo(cpuinfo), "Test CPU 9000");
  EXPECT_EQ(countPhysicalCores("processor : 0\n"), 0u) << "unknown when core ids are absent";
}

TEST(SystemReport, ReadsThisMachine) {
  const SystemReport r = collectSystemReport();
  EXPECT_FALSE(r.cpuModel.empty());
  EXPECT_GE(r.logicalCores, 1u);
  const unsigned long long physical =
      static_cast<unsigned long long>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  EXPECT_NEAR(double(r.memory.totalBytes), double(physical), double(physical) * 0.01);
  EXPECT_LE(r.memory.availableBytes, r.memory.totalBytes);
  EXPECT_TRUE(r.disk.error.empty()) << r.disk.error;
  EXPECT_GT(r.disk.totalBytes, 0u);
#if defined(__x86_64__)
  // An independent source for the feature bits: the compiler's own CPU check.
  __builtin_cpu_init();
  EXPECT_EQ(r.cpu.avx2, bool(__builtin_cpu_supports("avx2")));
  EXPECT_EQ(r.cpu.avx512f, bool(__builtin_cpu_supports("avx512f")));
  EXPECT_EQ(r.cpu.avx512vnni, bool(__builtin_cpu_supports("avx512vnni")));
#endif
  EXPECT_FALSE(r.advice.empty());
  if (!r.gpu.usable) {
    EXPECT_FALSE(r.gpu.reason.empty());
  }
}

TEST(SystemReport, AdviceExplainsAMissingGpuAndLowDisk) {
  SystemReport r;
  r.kernelIsa = "avx2";
  r.memory = {64ull << 30, 1ull << 30};
  r.gpu.reason = "no NVIDIA driver was found";
  r.disk.freeBytes = 1ull << 29;
  r.disk.measuredAt = "/data";
  const auto advice = adviseFor(r);
  auto mentions = [&](const std::string& needle) {
    for (const auto& a : advice)
      if (a.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(mentions("no NVIDIA driver was found"));
  EXPECT_TRUE(mentions("AVX2 but not AVX-512"));
  EXPECT_TRUE(mentions("disk tier"));
  EXPECT_TRUE(mentions("Less than 2 GiB is free in /data"));
  EXPECT_TRUE(mentions("close other programs"));
}

TEST(SystemReport, JsonHasEveryField) {
  const auto j = toJson(collectSystemReport());
  for (const char* key :
       {"model", "vendor", "logical_cores", "physical_cores", "kernel_isa", "features"})
    EXPECT_TRUE(j["cpu"].contains(key)) << key;
  for (const char* f :
       {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"})
    EXPECT_TRUE(j["cpu"]["features"][f].is_boolean()) << f;
  EXPECT_TRUE(j["memory"]["total_bytes"].is_number_unsigned());
  EXPECT_TRUE(j["memory"]["available_bytes"].is_number_unsigned());
  EXPECT_TRUE(j["gpu"]["available"].is_boolean());
  EXPECT_TRUE(j["gpu"]["devices"].is_array());
  if (!j["gpu"]["available"].get<bool>()) {
    EXPECT_TRUE(j["gpu"]["reason"].is_string());
  }
  EXPECT_TRUE(j["disk"]["free_bytes"].is_number_unsigned());
  EXPECT_TRUE(j["disk"]["data_dir"].is_string());
  ASSERT_TRUE(j["advice"].is_array());
  EXPECT_FALSE(j["advice"].empty());
}

}  // namespace
}  // namespace flint::app
