#!/usr/bin/env bash
# The self-extracting installer, end to end, as a user without root: build it, install into a
# temporary prefix, run the installed programs (version, doctor, a chat with flint-tiny, the GUI
# rendering its first frame), refuse a second install over the first, uninstall, and check that
# nothing is left behind; then the same with --purge, which also deletes the user's data.
# Two builds of it are identical.
# Usage: test_sh_installer.sh BUILD_DIR VERSION
set -euo pipefail
build=$1 version=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

SOURCE_DATE_EPOCH=0 cpack --config "$build/CPackConfig.cmake" -G STGZ -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack could not build the .sh installer"; }
installer=$(ls "$work"/pkg/flint-*.sh)
# Reproducible: the same tree and file time give the same installer, byte for byte.
SOURCE_DATE_EPOCH=0 cpack --config "$build/CPackConfig.cmake" -G STGZ -B "$work/again" >/dev/null 2>&1 ||
  fail "cpack failed the second time"
cmp -s "$installer" "$work"/again/flint-*.sh || fail "two builds of the .sh differ"
chmod 755 "$installer"

# Everything below runs as an unprivileged user: this one when it is not root, else nobody.
as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
fi
userdir="$work/user"
# A lived-in home: the XDG base folders exist (the installer must not take them away).
mkdir -p "$userdir/home/.local/share" "$userdir/home/.local/state" "$userdir/home/.config" "$userdir/home/.cache"
chmod -R 777 "$userdir"
env_user=(env -i PATH=/usr/bin:/bin HOME="$userdir/home" LANG=C.UTF-8)
run() { as_user "${env_user[@]}" "$@"; }

run true || fail "cannot run as an unprivileged user here"
before=$(cd "$userdir" && find . | sort)
prefix="$userdir/prefix"

run sh "$installer" --prefix="$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install"; }
grep -q "installed in $prefix" "$work/install.log" || fail "the installer did not say where it installed"
grep -q "libraries are missing" "$work/install.log" && { cat "$work/install.log"; fail "missing libraries"; }

[ "$(run "$prefix/bin/flint-cli" --version)" = "flint-cli $version" ] ||
  fail "version: $(run "$prefix/bin/flint-cli" --version)"
run "$prefix/bin/flint-cli" doctor --json >"$work/doctor.json" || fail "doctor --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["memory"]["total_bytes"] > 0, d' "$work/doctor.json" ||
  fail "doctor --json is not a report"
run "$prefix/bin/flint-cli" inspect >"$work/inspect.txt" || fail "inspect"
grep -q "$prefix/share/flint/models/flint-tiny" "$work/inspect.txt" ||
  { cat "$work/inspect.txt"; fail "the installed CLI does not use the installed flint-tiny"; }
run "$prefix/bin/flint-cli" chat --prompt "What is 47+38?" --mode high --max-tokens 24 >"$work/chat.txt" 2>&1 ||
  { cat "$work/chat.txt"; fail "chat"; }
[ -s "$work/chat.txt" ] || fail "chat printed nothing"
run env QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software "$prefix/bin/flint" --screenshot "$userdir/shot.png" \
  >"$work/gui.log" 2>&1 || { cat "$work/gui.log"; fail "the installed GUI did not start"; }
[ -s "$userdir/shot.png" ] || fail "the installed GUI rendered nothing"
rm -f "$userdir/shot.png"

entry="$userdir/home/.local/share/applications/dev.flint.Flint.desktop"
grep -qx "Exec=$prefix/bin/flint" "$entry" || fail "the desktop entry does not start the installed app"

if run sh "$installer" --prefix="$prefix" >"$work/again.log" 2>&1; then fail "a second install over the first was not refused"; fi
grep -q "already installed" "$work/again.log" || fail "the refusal does not say why"

run "$prefix/bin/flint-uninstall" --yes >"$work/uninstall.log" 2>&1 || { cat "$work/uninstall.log"; fail "uninstall"; }
[ ! -e "$prefix" ] || { find "$prefix"; fail "files left in the prefix"; }
[ ! -e "$entry" ] || fail "the desktop entry was left behind"
# Without --purge the user's data stays: only the data folders may differ from before.
left=$(cd "$userdir" && find . | sort | comm -13 <(echo "$before") - |
  grep -v -e '^\./home/\.local/share/flint' -e '^\./home/\.local/state/flint' \
          -e '^\./home/\.cache/flint' -e '^\./home/\.config/flint' || true)
[ -z "$left" ] || fail "left behind: $left"
[ -d "$userdir/home/.local/share/flint" ] || [ -d "$userdir/home/.local/state/flint" ] ||
  fail "the chat kept no data, so the purge check would prove nothing"

# --purge: the data goes too, and the user's tree is exactly as it was, folders included.
run sh "$installer" --prefix="$prefix" >/dev/null 2>&1 || fail "reinstall"
run "$prefix/bin/flint-uninstall" --purge --yes >/dev/null 2>&1 || fail "uninstall --purge"
after=$(cd "$userdir" && find . | sort)
[ "$after" = "$before" ] || fail "left behind after --purge: $(comm -13 <(echo "$before") <(echo "$after"))"
for d in .local/share/flint .local/state/flint .cache/flint .config/flint; do
  [ ! -e "$userdir/home/$d" ] || fail "--purge left $d"
done
echo "PASS: installed, ran, refused a second install, uninstalled, purged"
