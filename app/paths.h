#pragma once
// Where Flint keeps things, following the XDG base directories.
#include <filesystem>

namespace flint::app {

// $XDG_DATA_HOME/flint (default ~/.local/share/flint): the database, saved caches.
std::filesystem::path dataDir();
// $XDG_STATE_HOME/flint (default ~/.local/state/flint): logs.
std::filesystem::path stateDir();
// The bundled models folder: <exe>/../share/flint/models when installed, else the source tree's.
std::filesystem::path bundledModelsDir();
// The default model for every command: the bundled flint-tiny.
std::filesystem::path defaultModelDir();

// The version string, e.g. "0.1.0".
const char* versionString();

}  // namespace flint::app
