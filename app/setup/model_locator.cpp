#include "app/setup/model_locator.h"

#include "app/paths.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace flint::app {
namespace {

namespace fs = std::filesystem;

fs::path home() {
  const char* h = std::getenv("HOME");
  return (h && *h) ? fs::path(h) : fs::path("/tmp");
}

bool isV4Folder(const fs::path& dir) {
  std::ifstream in(dir / "config.json", std::ios::binary);
  if (!in) return false;
  try {
    const auto config = nlohmann::json::parse(in);
    return config.value("model_type", "") == "deepseek_v4";
  } catch (const std::exception&) {
    return false;  // not a model folder we can use; the verifier explains when asked directly
  }
}

std::uintmax_t weightBytes(const fs::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".safetensors") total += fs::file_size(entry.path(), ec);
  return total;
}

}  // namespace

std::vector<fs::path> modelSearchRoots() {
  std::vector<fs::path> roots;
  if (const char* hf = std::getenv("HF_HOME"); hf && *hf)
    roots.push_back(fs::path(hf) / "hub");
  else
    roots.push_back(home() / ".cache" / "huggingface" / "hub");
  roots.push_back(home() / "models");
  roots.push_back(home() / "Models");
  roots.push_back(dataDir() / "models");
  return roots;
}

std::string describeSearchRoots() {
  std::string text;
  for (const auto& root : modelSearchRoots()) text += (text.empty() ? "" : ", ") + root.string();
  return text;
}

std::vector<fs::path> findModelFolders(const std::vector<fs::path>& roots) {
  std::vector<std::pair<std::uintmax_t, fs::path>> found;
  for (const auto& root : roots) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    if (isV4Folder(root)) found.emplace_back(weightBytes(root), root);
    fs::recursive_directory_iterator it(root,
                                        fs::directory_options::follow_directory_symlink |
                                            fs::directory_options::skip_permission_denied,
                                        ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it.depth() >= 4) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_directory(ec) && isV4Folder(it->path()))
        found.emplace_back(weightBytes(it->path()), it->path());
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<fs::path> folders;
  for (auto& [bytes, path] : found) folders.push_back(std::move(path));
  return folders;
}

}  // namespace flint::app
