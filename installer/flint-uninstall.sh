#!/bin/sh
# Removes what Flint's installer placed (listed in share/flint/install-manifest.txt) and, only
# with --purge, this user's Flint data: chats, settings, logs and caches.
set -eu

purge=no
assume_yes=no
for arg in "$@"; do
  case "$arg" in
    --purge) purge=yes ;;
    --yes|-y) assume_yes=yes ;;
    --help)
      echo "Usage: flint-uninstall [--purge] [--yes]"
      echo "  --purge  also delete your Flint chats, settings, logs and caches"
      echo "  --yes    do not ask"
      exit 0 ;;
    *) echo "Unknown option: $arg (see --help)." >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "$0")" && pwd -P)"
prefix="$(dirname "$here")"
manifest="$prefix/share/flint/install-manifest.txt"

if [ ! -f "$manifest" ]; then
  if [ "$prefix" = /usr ] && dpkg -s flint >/dev/null 2>&1; then
    echo "Flint was installed by the system's package manager: remove it with sudo apt remove flint." >&2
  else
    echo "No installer manifest in $prefix: this copy was unpacked by hand; delete $prefix to remove it." >&2
  fi
  exit 1
fi

data_dirs="${XDG_DATA_HOME:-$HOME/.local/share}/flint ${XDG_CONFIG_HOME:-$HOME/.config}/flint ${XDG_STATE_HOME:-$HOME/.local/state}/flint ${XDG_CACHE_HOME:-$HOME/.cache}/flint"

if [ "$assume_yes" = no ]; then
  echo "This removes Flint from $prefix."
  [ "$purge" = yes ] && echo "It also deletes your chats, settings, logs and caches in: $data_dirs"
  printf "Continue? [y/N] "
  read -r answer
  case "$answer" in y|Y|yes|YES) ;; *) echo "Nothing was removed."; exit 1 ;; esac
fi

# Read the list before it goes: it names itself.
entries="$(cat "$manifest")"
# Files first, then the folders the installer made, deepest first; a folder that holds anything
# the installer did not place stays.
while IFS= read -r entry; do
  case "$entry" in /*) path="$entry" ;; *) path="$prefix/$entry" ;; esac
  case "$entry" in */) ;; *) rm -f "$path" ;; esac
done <<EOF_ENTRIES
$entries
EOF_ENTRIES
printf '%s\n' "$entries" | sed -n 's|/$||p' | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2- |
  while IFS= read -r dir; do
    case "$dir" in /*) rmdir "$dir" 2>/dev/null || true ;; *) rmdir "$prefix/$dir" 2>/dev/null || true ;; esac
  done
rmdir "$prefix" 2>/dev/null || true

if [ "$purge" = yes ]; then
  for d in $data_dirs; do rm -rf "$d"; done
  echo "Flint and your Flint data are removed."
else
  echo "Flint is removed. Your chats and settings stay in ${XDG_DATA_HOME:-$HOME/.local/share}/flint (flint-uninstall --purge deletes them)."
fi
