// Step 2 of make_corpus.sh: tokenizes the corpus inputs with an independent implementation,
// @lenml/tokenizers (the transformers.js tokenizers, JavaScript regexes), and writes the
// committed corpus. Byte strings are decoded the WHATWG way (one U+FFFD per ill-formed
// subsequence) before tokenizing. Strings holding a code point whose classes JavaScript's
// Unicode tables give differently from the Python tables Flint is generated from are dropped
// (and counted), so the corpus checks the tokenizer, not a Unicode version difference.
//
// Usage: node expected_ids.js INPUTS.json TOKENIZER_DIR OUT.json REFERENCE_VERSION
"use strict";
const fs = require("fs");
const path = require("path");
const { TokenizerLoader } = require("@lenml/tokenizers");

const [inputsPath, tokenizerDir, outPath, referenceVersion] = process.argv.slice(2);
const inputs = JSON.parse(fs.readFileSync(inputsPath, "utf8"));
const readJson = (name) => JSON.parse(fs.readFileSync(path.join(tokenizerDir, name), "utf8"));
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: readJson("tokenizer.json"),
  tokenizerConfig: readJson("tokenizer_config.json"),
});

const tests = [["L", /^\p{L}$/u], ["M", /^\p{M}$/u], ["N", /^\p{N}$/u], ["P", /^\p{P}$/u],
  ["S", /^\p{S}$/u], ["s", /^\s$/u]];
const disagrees = new Set();
for (const [cp, pyClasses] of Object.entries(inputs.classes)) {
  const ch = String.fromCodePoint(Number(cp));
  const jsClasses = tests.filter(([, re]) => re.test(ch)).map(([flag]) => flag).join("");
  if (jsClasses !== pyClasses) disagrees.add(Number(cp));
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const encode = (text) => Array.from(tokenizer.encode(text, { add_special_tokens: false }));
const cases = [];
let dropped = 0;
for (const c of inputs.cases) {
  if (c.bytes !== undefined) {
    cases.push({ bytes: c.bytes, ids: encode(decoder.decode(Buffer.from(c.bytes, "hex"))) });
  } else if ([...c.text].some((ch) => disagrees.has(ch.codePointAt(0)))) {
    ++dropped;
  } else {
    cases.push({ text: c.text, ids: encode(c.text) });
  }
}
const doc = {
  format: 1,
  about: "Expected DeepSeek-V3 tokenizer.json ids for Flint's tokenizer tests.",
  regenerate: "tools/tokenizer/make_corpus.sh",
  reference: "@lenml/tokenizers " + referenceVersion +
    " on node " + process.versions.node,
  unicode: inputs.unicode,
  cases,
};
fs.writeFileSync(outPath, JSON.stringify(doc) + "\n");
console.error(`corpus: ${cases.length} cases; dropped ${dropped} strings over ` +
  `${disagrees.size} code points classed differently by JavaScript's Unicode ` +
  `${process.versions.unicode}`);
