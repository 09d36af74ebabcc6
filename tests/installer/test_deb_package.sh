#!/usr/bin/env bash
# The .deb: its control data must name a package for every shared library the executables load
# directly and for every QML module the UI imports (with the modules those import), and its
# payload, unpacked with dpkg -x into a temporary root, must run: version, a chat with the
# bundled flint-tiny, and the GUI's first frame. The CUDA package, when built, depends on flint.
# Usage: test_deb_package.sh BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
build=$1 source=$2 version=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

SOURCE_DATE_EPOCH=0 cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack could not build the .deb"; }
deb="$work/pkg/flint_${version}_amd64.deb"
[ -f "$deb" ] || fail "no $deb"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
declared() { tr ',' '\n' <<<"$depends" | sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g' -e 's/:.*//' | grep -qx "$1"; }
# dpkg -S answers "pkg:arch: path"; a library may resolve through a symlink another package owns.
owner() { dpkg -S "$1" 2>/dev/null | head -1 | cut -d: -f1 || true; }

dpkg -x "$deb" "$work/root"
missing=()
for exe in "$work/root/usr/bin/flint" "$work/root/usr/bin/flint-cli"; do
  for lib in $(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    path=$(ldd "$exe" | awk -v l="$lib" '$1 == l { print $3 } $1 ~ "/" l "$" { print $1 }')
    [ -n "$path" ] || fail "$lib of $exe does not resolve on this machine"
    pkg=$(owner "$(readlink -f "$path")")
    [ -n "$pkg" ] || pkg=$(owner "$path")
    [ -n "$pkg" ] || fail "no Debian package owns $path"
    declared "$pkg" || declared "$(sed 's/-fmt[0-9]*$//' <<<"$pkg")" ||
      [ -n "$(dpkg-deb -f "$deb" Depends | grep -o "$pkg[^,]*")" ] || missing+=("$pkg (for $lib)")
  done
done

# QML: the imports of ui/qml, closed over the imports and dependencies their qmldir files name.
qmlroot=$(dirname "$(dpkg -L qml6-module-qtquick | grep '/qml/QtQuick/qmldir$')")/..
queue=$(grep -h '^import ' "$source"/ui/qml/*.qml | awk '{print $2}' | grep -v '^Flint$' | sort -u)
seen=""
while [ -n "$queue" ]; do
  module=$(head -1 <<<"$queue"); queue=$(tail -n +2 <<<"$queue")
  case " $seen " in *" $module "*) continue ;; esac
  seen="$seen $module"
  qmldir="$qmlroot/${module//.//}/qmldir"
  [ -f "$qmldir" ] || fail "QML module $module is not installed here ($qmldir)"
  pkg=$(owner "$(readlink -f "$qmldir")")
  declared "$pkg" || missing+=("$pkg (QML $module)")
  queue=$(printf '%s\n%s\n' "$queue" "$(awk '$1 == "import" || $1 == "depends" { print $2 }' "$qmldir" | grep -v auto)" | sed '/^$/d')
done
[ ${#missing[@]} -eq 0 ] || fail "Depends lacks: ${missing[*]}"

# The payload runs from the temporary root.
cli="$work/root/usr/bin/flint-cli"
[ "$("$cli" --version)" = "flint-cli $version" ] || fail "version: $("$cli" --version)"
"$cli" inspect | grep -q "$work/root/usr/share/flint/models/flint-tiny" || fail "the unpacked CLI does not use its own flint-tiny"
HOME="$work/home" "$cli" chat --prompt "What is 47+38?" --mode high --max-tokens 16 >"$work/chat.txt" 2>&1 ||
  { cat "$work/chat.txt"; fail "chat from the unpacked .deb"; }
HOME="$work/home" QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software "$work/root/usr/bin/flint" \
  --screenshot "$work/shot.png" >"$work/gui.log" 2>&1 || { cat "$work/gui.log"; fail "the unpacked GUI did not start"; }
[ -s "$work/shot.png" ] || fail "the unpacked GUI rendered nothing"
for f in usr/share/applications/dev.flint.Flint.desktop usr/share/metainfo/dev.flint.Flint.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/dev.flint.Flint.svg; do
  [ -s "$work/root/$f" ] || fail "the .deb lacks $f"
done
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net --pedantic "$work/root/usr/share/metainfo/dev.flint.Flint.metainfo.xml" >"$work/as.log" 2>&1 ||
    grep -q "Validation was successful" "$work/as.log" || { cat "$work/as.log"; fail "AppStream metadata"; }
fi

cuda="$work/pkg/flint-cuda_${version}_amd64.deb"
if [ -f "$cuda" ]; then
  dpkg-deb -f "$cuda" Depends | grep -q "flint (= $version)" || fail "flint-cuda does not depend on flint $version"
  dpkg-deb -c "$cuda" | grep -q "usr/lib/flint/libflint_cuda.so" || fail "flint-cuda lacks the module"
  if dpkg-deb -c "$deb" | grep -q libflint_cuda; then fail "the CUDA module is in the base package"; fi
fi
echo "PASS: dependencies complete, payload runs"
