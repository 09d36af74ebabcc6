"""A byte-level BPE tokenizer trained on flint-tiny's corpus, saved as tokenizer.json in the
Hugging Face format with the DeepSeek pre-tokenizer and the V4 special tokens, so the engine reads
it through the same code path as the real model's.

Ids: BOS 0, EOS 1, the 256 byte symbols, the learned merges, then the chat markers.
Training pre-splits text roughly as the DeepSeek pre-tokenizer does (digit groups of up to three,
letter runs with an optional leading space, punctuation runs, whitespace); a merge the real
pre-tokenizer never reaches only wastes an id.
"""

import collections
import re
import sys
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "checkpoint"))
import tokenizer_files  # noqa: E402

SPECIALS = [tokenizer_files.BOS, tokenizer_files.EOS]
MARKERS = ["<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"]
_PIECES = re.compile(r"\d{1,3}| ?[^\W\d_]+| ?[^\w\s]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
_SPECIAL_SPLIT = re.compile("(" + "|".join(re.escape(t) for t in SPECIALS + MARKERS) + ")")


def words(texts):
    symbols = tokenizer_files.byte_symbols()
    counts = collections.Counter()
    for text in texts:
        for part in _SPECIAL_SPLIT.split(text):
            if part in SPECIALS or part in MARKERS:
                continue
            for piece in _PIECES.findall(part):
                counts[tuple(symbols[b] for b in piece.encode("utf-8"))] += 1
    return counts


def train(texts, vocab_size):
    """Merges, most frequent pair first, until the vocabulary reaches vocab_size."""
    counts = words(texts)
    budget = vocab_size - 2 - 256 - len(MARKERS)
    merges = []
    vocab_words = {w: list(w) for w in counts}
    while len(merges) < budget:
        pairs = collections.Counter()
        for w, n in counts.items():
            s = vocab_words[w]
            for i in range(len(s) - 1):
                # Digits stay single tokens: column arithmetic reads them one by one.
                if not (s[i][-1].isdigit() or s[i + 1][0].isdigit()):
                    pairs[(s[i], s[i + 1])] += n
        if not pairs:
            break
        (left, right), n = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if n < 2:
            break
        merges.append((left, right))
        for w in counts:
            s = vocab_words[w]
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == left and s[i + 1] == right:
                    out.append(left + right)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            vocab_words[w] = out
    return merges


def tokenizer_json(merges, vocab_size):
    vocab = {tokenizer_files.BOS: 0, tokenizer_files.EOS: 1}
    for symbol in tokenizer_files.byte_symbols():
        vocab[symbol] = len(vocab)
    kept = []
    for left, right in merges:
        if left + right not in vocab:
            vocab[left + right] = len(vocab)
            kept.append((left, right))
    added = [tokenizer_files._added(0, tokenizer_files.BOS),
             tokenizer_files._added(1, tokenizer_files.EOS)]
    for marker in MARKERS:
        added.append(tokenizer_files._added(len(vocab), marker))
        vocab[marker] = len(vocab)
    assert len(vocab) <= vocab_size
    base = tokenizer_files.tokenizer_json(vocab_size)
    base["added_tokens"] = added
    base["model"]["vocab"] = vocab
    base["model"]["merges"] = [f"{left} {right}" for left, right in kept]
    return base


class Encoder:
    """Encodes text as the engine does for these files: added tokens first, then pre-tokens,
    each merged by merge rank. train.py checks it against `flint-cli tokenize`."""

    def __init__(self, tok):
        self.vocab = tok["model"]["vocab"]
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(tok["model"]["merges"])}
        self.symbols = tokenizer_files.byte_symbols()
        self.cache = {}

    def _piece(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        s = [self.symbols[b] for b in piece.encode("utf-8")]
        while len(s) > 1:
            best = min(range(len(s) - 1), key=lambda i: self.ranks.get((s[i], s[i + 1]), 1 << 30))
            if (s[best], s[best + 1]) not in self.ranks:
                break
            s = s[:best] + [s[best] + s[best + 1]] + s[best + 2:]
        ids = [self.vocab[x] for x in s]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        ids = []
        for part in _SPECIAL_SPLIT.split(text):
            if part in self.vocab and (part in SPECIALS or part in MARKERS):
                ids.append(self.vocab[part])
            elif part:
                for piece in _PIECES.findall(part):
                    ids.extend(self._piece(piece))
        return ids
