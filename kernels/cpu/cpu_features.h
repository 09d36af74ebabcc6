#pragma once
// What the CPU can run, read once from CPUID and the OS (XCR0), so kernels can pick their
// AVX-512 / AVX2 / scalar variant at start-up and `flint-cli doctor` can report it.
#include <string>

namespace flint::kernels {

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;   // the marketing name, e.g. "AMD EPYC 9R14"
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;  // usable: the OS saves the ZMM state too
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool amxTile = false;  // the CPU has AMX; the OS must still grant it per process
  bool amxBf16 = false;
  bool amxInt8 = false;
};

// Reads the features once; later calls return the same object.
const CpuFeatures& cpuFeatures();

// The widest kernel family this CPU runs: "avx512", "avx2" or "scalar".
const char* bestKernelIsa(const CpuFeatures& f);

}  // namespace flint::kernels
