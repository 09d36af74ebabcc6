#!/usr/bin/env bash
# Regenerates tests/engine/data/tokenizer_corpus.json: the inputs come from
# make_corpus_strings.py, the expected ids from an independent tokenizer (@lenml/tokenizers,
# the transformers.js port, run with node) on DeepSeek's real tokenizer.json.
# Needs python3, node and npm with the registry reachable.
set -euo pipefail

reference_version=3.7.2
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tools/tokenizer"
"$root/scripts/fetch_test_data.sh"
node_dir="$root/.cache/node-reference"
if [[ ! -d "$node_dir/node_modules/@lenml/tokenizers" ]]; then
  npm install --silent --no-audit --no-fund --prefix "$node_dir" "@lenml/tokenizers@$reference_version"
fi
inputs=$(mktemp)
trap 'rm -f "$inputs"' EXIT
python3 "$here/make_corpus_strings.py" "$inputs"
NODE_PATH="$node_dir/node_modules" node "$here/expected_ids.js" "$inputs" \
  "$root/.cache/test-data/deepseek-v3-tokenizer" "$root/tests/engine/data/tokenizer_corpus.json" \
  "$reference_version"
