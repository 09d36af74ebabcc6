#!/usr/bin/env bash
# Installs what Flint needs to build and test on Debian 12. Idempotent: when everything is
# present it prints nothing and returns at once. Needs root (or sudo) only to install.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-declarative-dev qt6-declarative-dev-tools
  qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-qpa-plugins libqt6sql6-sqlite
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml
  qml6-module-qtqml-models qml6-module-qtqml-workerscript qml6-module-qttest
  qml6-module-qtquick-dialogs qml6-module-qt-labs-folderlistmodel
  libspdlog-dev libsqlite3-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
  libcpp-httplib-dev libpoppler-cpp-dev
  clang clang-format libclang-rt-14-dev
  libgl1-mesa-dri xvfb xauth
  python3 python3-numpy
)

# One dpkg-query for all packages keeps the no-op case instant.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
  awk '$2 == "install" && $4 == "installed" { print $1 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "flint setup: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "flint setup: these packages are missing and this user cannot install them: ${missing[*]}" >&2
    echo "flint setup: run 'make setup' as root, or install them with apt-get." >&2
    exit 1
  fi
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
  -o DPkg::Lock::Timeout=300 "${missing[@]}"
