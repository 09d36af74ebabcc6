#include "app/paths.h"

#include <cstdlib>
#include <system_error>

namespace flint::app {
namespace {

std::filesystem::path xdg(const char* var, const char* fallbackUnderHome) {
  if (const char* v = std::getenv(var); v && *v && std::filesystem::path(v).is_absolute())
    return std::filesystem::path(v) / "flint";
  const char* home = std::getenv("HOME");
  std::filesystem::path base = (home && *home) ? home : "/tmp";
  return base / fallbackUnderHome / "flint";
}

}  // namespace

std::filesystem::path dataDir() {
  return xdg("XDG_DATA_HOME", ".local/share");
}
std::filesystem::path stateDir() {
  return xdg("XDG_STATE_HOME", ".local/state");
}

std::filesystem::path bundledModelsDir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path() / ".." / FLINT_INSTALL_DATADIR / "flint" / "models";
    if (std::filesystem::is_directory(installed, ec)) return installed.lexically_normal();
  }
  return FLINT_SOURCE_MODELS_DIR;
}

std::filesystem::path defaultModelDir() {
  return bundledModelsDir() / "flint-tiny";
}

const char* versionString() {
  return FLINT_VERSION;
}

}  // namespace flint::app
