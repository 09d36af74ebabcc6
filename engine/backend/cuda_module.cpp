#include "engine/backend/cuda_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <system_error>

namespace flint::engine {
namespace {

std::filesystem::path executableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

}  // namespace

CudaModule::CudaModule(void* handle, std::filesystem::path path, FlintCudaProbeFn probeFn)
    : handle_(handle), path_(std::move(path)), probe_(probeFn) {}

CudaModule::~CudaModule() {
  if (handle_) dlclose(handle_);
}

std::unique_ptr<CudaModule> CudaModule::open(const std::filesystem::path& path, std::string* why) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = dlerror();
    *why = "the CUDA backend could not be loaded: " + std::string(err ? err : "unknown error");
    return nullptr;
  }
  auto version = reinterpret_cast<FlintCudaAbiVersionFn>(dlsym(handle, "flint_cuda_abi_version"));
  auto probe = reinterpret_cast<FlintCudaProbeFn>(dlsym(handle, "flint_cuda_probe"));
  if (!version || !probe) {
    dlclose(handle);
    *why = "the CUDA backend at " + path.string() + " is not a Flint module (entry points missing)";
    return nullptr;
  }
  if (version() != FLINT_CUDA_ABI_VERSION) {
    const int found = version();
    dlclose(handle);
    *why = "the CUDA backend at " + path.string() + " speaks interface version " +
           std::to_string(found) + ", this build needs " + std::to_string(FLINT_CUDA_ABI_VERSION);
    return nullptr;
  }
  return std::unique_ptr<CudaModule>(new CudaModule(handle, path, probe));
}

void* CudaModule::symbol(const char* name) const {
  return dlsym(handle_, name);
}

CudaProbeResult CudaModule::probe() const {
  FlintCudaProbe raw{};
  probe_(&raw);
  CudaProbeResult r;
  r.moduleLoaded = true;
  r.modulePath = path_;
  r.driverVersion = raw.driverVersion;
  r.runtimeVersion = raw.runtimeVersion;
  for (int i = 0; i < raw.deviceCount; ++i) {
    const FlintCudaDevice& d = raw.devices[i];
    r.devices.push_back({d.ordinal, d.name, d.computeMajor, d.computeMinor, d.multiprocessors,
                         d.totalBytes, d.freeBytes});
  }
  r.usable = raw.status == FLINT_CUDA_OK && !r.devices.empty();
  if (!r.usable) r.reason = raw.message[0] ? raw.message : "no CUDA device is usable";
  return r;
}

std::vector<std::filesystem::path> cudaModuleCandidates() {
  std::vector<std::filesystem::path> out;
  // An explicit choice is the only candidate, so a wrong path is reported rather than hidden.
  if (const char* env = std::getenv("FLINT_CUDA_MODULE"); env && *env) return {env};
  const std::string name = FLINT_CUDA_MODULE_NAME;
  if (name.empty()) return out;
  const auto dir = executableDir();
  if (!dir.empty()) out.push_back((dir / ".." / "lib" / "flint" / name).lexically_normal());
  return out;
}

CudaProbeResult probeCuda() {
  const auto candidates = cudaModuleCandidates();
  CudaProbeResult r;
  if (candidates.empty()) {
    r.reason = "this build of Flint has no CUDA backend (built without nvcc)";
    return r;
  }
  std::string firstError;
  for (const auto& path : candidates) {
    std::error_code ec;
    // A bare file name is left to the dynamic loader's search path.
    if (path.has_parent_path() && !std::filesystem::exists(path, ec)) {
      if (firstError.empty())
        firstError = "the CUDA backend is not installed (looked for " + path.string() + ")";
      continue;
    }
    std::string why;
    auto module = CudaModule::open(path, &why);
    if (!module) {
      if (firstError.empty()) firstError = why;
      continue;
    }
    return module->probe();
  }
  r.reason = firstError;
  return r;
}

std::string formatCudaVersion(int version) {
  if (version <= 0) return "";
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

}  // namespace flint::engine
