#include "kernels/cpu/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define FLINT_X86 1
#endif

namespace flint::kernels {
namespace {

#ifdef FLINT_X86
struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub = 0) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

std::uint64_t xgetbv0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t(hi) << 32) | lo;
}

bool bit(unsigned v, int n) {
  return (v >> n) & 1u;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

CpuFeatures detect() {
  CpuFeatures f;
  const Regs v = cpuid(0);
  char vendor[13] = {};
  std::memcpy(vendor + 0, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  f.vendor = vendor;
  const unsigned maxLeaf = v.a;

  if (cpuid(0x80000000).a >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i + 0, &r.a, 4);
      std::memcpy(brand + 16 * i + 4, &r.b, 4);
      std::memcpy(brand + 16 * i + 8, &r.c, 4);
      std::memcpy(brand + 16 * i + 12, &r.d, 4);
    }
    f.brand = trim(brand);
  }

  const Regs l1 = cpuid(1);
  const bool osxsave = bit(l1.c, 27);
  const std::uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool osYmm = (xcr0 & 0x6) == 0x6;          // SSE + AVX state
  const bool osZmm = (xcr0 & 0xe6) == 0xe6;        // + opmask, ZMM_Hi256, Hi16_ZMM
  const bool osAmx = (xcr0 & 0x60000) == 0x60000;  // XTILECFG + XTILEDATA

  f.fma = osYmm && bit(l1.c, 12);
  f.f16c = osYmm && bit(l1.c, 29);
  if (maxLeaf >= 7) {
    const Regs l7 = cpuid(7, 0);
    f.avx2 = osYmm && bit(l7.b, 5);
    f.avx512f = osZmm && bit(l7.b, 16);
    f.avx512bw = f.avx512f && bit(l7.b, 30);
    f.avx512vl = f.avx512f && bit(l7.b, 31);
    f.avx512vnni = f.avx512f && bit(l7.c, 11);
    f.amxBf16 = osAmx && bit(l7.d, 22);
    f.amxTile = osAmx && bit(l7.d, 24);
    f.amxInt8 = osAmx && bit(l7.d, 25);
    if (l7.a >= 1) f.avx512bf16 = f.avx512f && bit(cpuid(7, 1).a, 5);
  }
  return f;
}
#else
CpuFeatures detect() {
  return {};
}
#endif

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = detect();
  return features;
}

const char* bestKernelIsa(const CpuFeatures& f) {
  if (f.avx512f && f.avx512bw && f.avx512vl) return "avx512";
  if (f.avx2 && f.fma) return "avx2";
  return "scalar";
}

}  // namespace flint::kernels
