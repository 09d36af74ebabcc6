"""Values for a checkpoint whose target and DSpark drafter agree by construction (--alphabet).

After a letter the target predicts the next one ('z' wraps to 'a'), after anything else 'a':
it writes the alphabet forever. The drafter, built the same way, proposes exactly that, so
speculation accepts nearly every draft: the upper end of what a drafter can give, for tests of
losslessness at high acceptance and for measuring the best case of speculative decoding.

How (deepseek-v4.md §3, §7.3): every token's embedding is its class direction u_c (26 letters
and one "other" class) plus a little noise; every block's output projections (attn.wo_b and the
experts' w2) are scaled down to 1%, so the residual streams carry the current token's embedding
to the final norm nearly unchanged (mHC mixes equal streams into equal streams). The head row of
a letter is the direction of the class that precedes it, so the logit of the successor stands
LOGIT above the rest. The drafter's base logits follow the same path, which gets the anchor's
draft right; for the noise rows the Markov head does the work: markov_w1[t] points at the
successor of t with weight MARKOV in a rank-32 basis where markov_w2 holds one axis per letter.
The confidence head reads only that Markov embedding, so it is confident everywhere.
"""

import numpy as np

LETTERS = [ord(c) for c in "abcdefghijklmnopqrstuvwxyz"]
BYTE_BASE = 2  # tokenizer_files.py: BOS 0, EOS 1, then the 256 byte symbols
LOGIT = 20.0  # the target's margin for the successor
MARKOV = 40.0  # the Markov head's margin: above LOGIT, so it overrides the noise rows' base
CONFIDENCE_LOGIT = 10.0  # sigmoid(10): the drafter is sure of every draft
BLOCK_OUTPUT_SCALE = 0.01


def letter_ids():
    return [BYTE_BASE + b for b in LETTERS]


def _classes(vocab):
    """Class of every token: 0..25 for the letters, 26 for everything else."""
    classes = np.full(vocab, 26, dtype=np.int64)
    for i, token in enumerate(letter_ids()):
        classes[token] = i
    return classes


def _successor_class(c):
    return (c + 1) % 26 if c < 26 else 0


def _directions(d, seed):
    rng = np.random.default_rng([seed, 0xA1FA])
    return rng.normal(0.0, 1.0, (27, d))


def override(tensor, values, config, seed):
    """The value of `tensor` in the alphabet checkpoint, given its random draw `values`."""
    name, vocab, d = tensor.name, config["vocab_size"], config["hidden_size"]
    classes = _classes(vocab)
    u = _directions(d, seed)
    if name == "embed.weight":
        return u[classes] + 0.1 * values
    if name == "head.weight":
        # Row v points along the class whose successor v is; the final norm makes the hidden
        # state's rms 1, so <u_c, norm(u_c)> is about sqrt(d) * |u_c|.
        head = np.zeros((vocab, d))
        for c in range(27):
            head[letter_ids()[_successor_class(c)]] += u[c]
        return head * LOGIT / d
    if name.endswith("attn.wo_b.weight") or name.endswith(".w2.weight"):
        return values * BLOCK_OUTPUT_SCALE
    if name.endswith("markov_head.markov_w1.weight"):
        rank = tensor.shape[1]
        assert rank >= 26, "the Markov head needs an axis per letter"
        w1 = np.zeros((vocab, rank))
        w1[np.arange(vocab), [_successor_class(c) for c in classes]] = MARKOV
        return w1
    if name.endswith("markov_head.markov_w2.weight"):
        rank = tensor.shape[1]
        w2 = np.zeros((vocab, rank))
        for i, token in enumerate(letter_ids()):
            w2[token, i] = 1.0
        return w2
    if name.endswith("confidence_head.proj.weight"):
        proj = np.zeros(tensor.shape)
        proj[0, d:] = CONFIDENCE_LOGIT / MARKOV
        return proj
    return values
