#pragma once
// Where a user's downloaded DeepSeek-V4 checkpoints usually are: the Hugging Face cache, and
// the folders people keep models in. A folder counts when its config.json names model_type
// deepseek_v4; the bundled flint-tiny is not searched for.
#include <filesystem>
#include <string>
#include <vector>

namespace flint::app {

// $HF_HOME/hub (or ~/.cache/huggingface/hub), ~/models, ~/Models, ~/.local/share/flint/models.
std::vector<std::filesystem::path> modelSearchRoots();
std::string describeSearchRoots();

// V4 model folders under `roots`, at most four levels down, largest checkpoint first.
std::vector<std::filesystem::path> findModelFolders(
    const std::vector<std::filesystem::path>& roots);

}  // namespace flint::app
