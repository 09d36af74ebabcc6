"""A minimal byte-level BPE tokenizer.json (Hugging Face format, DeepSeek pre-tokenizer) so a
generated checkpoint folder loads as a whole model. Ids: BOS 0, EOS 1, the 256 byte symbols,
a few merges, then the chat markers; all below vocab_size.
"""

import json

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
CHAT_MARKERS = ["<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"]
MERGES = [("h", "e"), ("Ġ", "t"), ("i", "n"), ("e", "r"), ("Ġ", "a"), ("o", "n"), ("Ġt", "he"),
          ("l", "l")]

# The DeepSeek V3 pre-tokenizer: digit groups of up to 3, CJK runs, then the letter/punctuation
# regex; ByteLevel without its own regex.
PRE_TOKENIZER = {
    "type": "Sequence",
    "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated",
         "invert": False},
        {"type": "Split", "pattern": {"Regex": "[一-龥぀-ゟ゠-ヿ]+"}, "behavior": "Isolated",
         "invert": False},
        {"type": "Split",
         "pattern": {"Regex": "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                              "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*"
                              "|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},
         "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
         "use_regex": False},
    ],
}


def byte_symbols():
    """GPT-2's byte -> printable character table used by byte-level BPE."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def _added(token_id, content, special=True):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": special}


def tokenizer_json(vocab_size):
    vocab = {BOS: 0, EOS: 1}
    for symbol in byte_symbols():
        vocab[symbol] = len(vocab)
    for left, right in MERGES:
        vocab[left + right] = len(vocab)
    added = [_added(0, BOS), _added(1, EOS)]
    for marker in CHAT_MARKERS:
        added.append(_added(len(vocab), marker))
        vocab[marker] = len(vocab)
    assert len(vocab) <= vocab_size, "vocab_size too small for the minimal tokenizer"
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": PRE_TOKENIZER,
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                  "merges": [f"{left} {right}" for left, right in MERGES]},
    }


def tokenizer_config():
    return {"add_bos_token": False, "add_eos_token": False, "bos_token": BOS, "eos_token": EOS,
            "pad_token": EOS, "model_max_length": 1048576,
            "tokenizer_class": "PreTrainedTokenizerFast"}


def write_tokenizer_files(out_dir, vocab_size):
    for name, content in (("tokenizer.json", tokenizer_json(vocab_size)),
                          ("tokenizer_config.json", tokenizer_config())):
        with open(out_dir / name, "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=1)
            f.write("\n")
