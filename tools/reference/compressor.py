"""The KV compressor of CSA and HCA layers (deepseek-v4.md §4.4).

Tokens are grouped in windows of m = compress_ratio positions aligned to position 0 (window w
covers w*m .. w*m+m-1). Each complete window becomes one entry: a per-channel softmax over its
slots of the gate scores G, weighting the projected keys K.
  HCA (m != 4): the slots are the window's m tokens.
  CSA (m == 4, "overlap"): K and G are 2*D wide; the slots are the first halves (A) of the
      previous window's m tokens plus the second halves (B) of this window's m tokens. Window 0
      has only its B slots.
G gets the learned position bias ape[pos mod m] before the softmax. The entry is then RMS-normed,
its last rope dims rotated at the window's FIRST position, and handed to `finish` (the caller's
fake-quant: FP8 nope dims for the attention keys, Hadamard + FP4 for the indexer keys).

K and G are computed in full precision from the (stored) input: the official code runs the
compressor in fp32.

The state carried between calls (so decode can continue a prefill): the K/G rows of the window
still being filled, and for CSA the A halves of the last complete window.
"""

import torch

from ops import rms_norm
from rope import apply_rope


class CompressorState:
    def __init__(self):
        self.pending_k = None       # [n < m, c*D] rows of the incomplete window
        self.pending_g = None
        self.previous_a_k = None    # CSA: [m, D] A halves of the last complete window
        self.previous_a_g = None


class Compressor:
    def __init__(self, prefix, ratio, head_dim, weights, linears, rope_table, config, numerics,
                 finish):
        self.prefix = prefix
        self.ratio = ratio
        self.overlap = ratio == 4
        self.head_dim = head_dim
        self.ape = weights[prefix + ".ape"]
        self.norm = weights[prefix + ".norm.weight"]
        self.linears = linears
        self.rope_table = rope_table
        self.config = config
        self.numerics = numerics
        self.finish = finish

    def _pool(self, slots_k, slots_g):
        """Per-channel softmax over the slots (dim 0) weighting the keys."""
        return (torch.softmax(slots_g, dim=0) * slots_k).sum(dim=0)

    def step(self, x, start, state):
        """x [S, d] at positions start..start+S-1 -> the entries completed by these tokens,
        [n, D] in window order."""
        m, D = self.ratio, self.head_dim
        positions = torch.arange(start, start + x.shape[0], device=x.device)
        K = self.linears.unrounded(self.prefix + ".wkv", x)
        G = self.linears.unrounded(self.prefix + ".wgate", x) + self.ape[positions % m]
        if state.pending_k is not None:
            K = torch.cat([state.pending_k, K])
            G = torch.cat([state.pending_g, G])
        first_window = (start - (0 if state.pending_k is None else state.pending_k.shape[0])) // m
        n_complete = K.shape[0] // m
        entries = []
        for w in range(n_complete):
            window_k, window_g = K[w * m:(w + 1) * m], G[w * m:(w + 1) * m]
            if not self.overlap:
                entries.append(self._pool(window_k, window_g))
                continue
            slots_k, slots_g = window_k[:, D:], window_g[:, D:]
            if state.previous_a_k is not None:
                slots_k = torch.cat([state.previous_a_k, slots_k])
                slots_g = torch.cat([state.previous_a_g, slots_g])
            entries.append(self._pool(slots_k, slots_g))
            state.previous_a_k, state.previous_a_g = window_k[:, :D], window_g[:, :D]
        rest = K.shape[0] - n_complete * m
        state.pending_k = K[n_complete * m:] if rest else None
        state.pending_g = G[n_complete * m:] if rest else None
        if not entries:
            return x.new_zeros((0, D))
        E = rms_norm(torch.stack(entries), self.norm, self.config.norm_eps, self.numerics)
        cos, sin = self.rope_table.cos_sin(
            (first_window + torch.arange(len(entries), device=x.device)) * m)
        E = self.numerics.store(apply_rope(E, cos, sin, self.config.rope_dim))
        return self.finish(E)
