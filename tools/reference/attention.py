"""Attention of one V4 layer, all three types (deepseek-v4.md §4.1-§4.6).

Ratio m = compress_ratios[layer]:  0 window only;  4 CSA (window + indexer-selected compressed
entries);  anything else HCA (window + every usable compressed entry; 128 in the real models).
One latent kv vector per token serves as key AND value for every head. Each query attends to
  * the window: the raw kv of positions t-W+1 .. t (W = sliding_window), and
  * compressed entries w with w < (t+1) div m (CSA: only those the indexer selects).
The attention sink adds exp(sink[h]) to the softmax denominator only. The output's rope dims are
rotated back by the conjugate at the query position (V = K carries rope), then the grouped
low-rank output projection wo_a (per group) and wo_b.

Calls process a chunk of S new tokens after `cache.length` earlier ones: a whole prompt, one
decode token, or anything between. The cache is what an engine keeps: a ring of W kv rows
(slot = pos mod W), the compressor states, the compressed entries and the indexer keys.
"""

import torch

from compressor import Compressor, CompressorState
from indexer import Indexer, IndexerCache
from ops import rms_norm, weightless_rms
from rope import RopeTable, apply_rope


class AttentionCache:
    def __init__(self, config, ratio, dtype, device="cpu"):
        self.ring = torch.zeros((config.sliding_window, config.head_dim), dtype=dtype,
                                device=device)
        self.compressor = CompressorState() if ratio else None
        self.entries = torch.zeros((0, config.head_dim), dtype=dtype, device=device)
        self.indexer = IndexerCache(config.index_head_dim, dtype, device) if ratio == 4 else None


def attend_with_sink(q, keys, visible, sink):
    """q [S, H, D], keys [N, D] (also the values), visible [S, N] -> [S, H, D].
    softmax over the visible keys plus one extra logit `sink[h]` whose value is discarded."""
    S, H, D = q.shape
    scores = torch.einsum("shd,nd->shn", q, keys) / D ** 0.5
    scores = scores.masked_fill(~visible[:, None, :], float("-inf"))
    with_sink = torch.cat([scores, sink[None, :, None].expand(S, H, 1)], dim=-1)
    probs = torch.softmax(with_sink, dim=-1)[..., :-1]
    return torch.einsum("shn,nd->shd", probs, keys)


class Attention:
    def __init__(self, layer, weights, linears, config, numerics):
        self.prefix = f"layers.{layer}.attn"
        self.ratio = config.compress_ratios[layer]
        self.config = config
        self.numerics = numerics
        self.weights = weights
        self.linears = linears
        self.rope = RopeTable(config, self.ratio, numerics.dtype)
        self.compressor = None
        self.indexer = None
        if self.ratio:
            self.compressor = Compressor(self.prefix + ".compressor", self.ratio, config.head_dim,
                                         weights, linears, self.rope, config, numerics,
                                         self.quantize_kv)
        if self.ratio == 4:
            self.indexer = Indexer(self.prefix + ".indexer", weights, linears, self.rope, config,
                                   numerics)

    def new_cache(self, device="cpu"):
        return AttentionCache(self.config, self.ratio, self.numerics.dtype, device)

    def quantize_kv(self, kv):
        return self.numerics.kv_nope(kv, self.config.nope_dim)

    def _window_keys(self, kv, start, cache):
        """Keys for the window part: the ring's rows of earlier positions, then this chunk's
        rows; with their positions."""
        W = self.config.sliding_window
        earlier = torch.arange(max(0, start - W), start, device=kv.device)
        keys = torch.cat([cache.ring[earlier % W], kv])
        return keys, torch.cat([earlier, torch.arange(start, start + kv.shape[0],
                                                       device=kv.device)])

    def _compressed_visibility(self, x, qr, start, cos, sin, cache):
        """[S, number of entries] bool: which compressed entries each query uses."""
        S, n = x.shape[0], cache.entries.shape[0]
        if self.ratio == 4:
            selected = self.indexer.select(x, qr, start, cos, sin, cache.indexer)
            visible = torch.zeros((S, n + 1), dtype=torch.bool, device=x.device)
            visible.scatter_(1, torch.where(selected < 0, n, selected), True)
            return visible[:, :n]
        usable = (torch.arange(start, start + S, device=x.device) + 1) // self.ratio
        return torch.arange(n, device=x.device)[None, :] < usable[:, None]

    def forward(self, x, start, cache):
        """x [S, d] (normed block input) at positions start.. -> [S, d]."""
        c, p, store, linear = self.config, self.prefix, self.numerics.store, self.linears
        S = x.shape[0]
        positions = torch.arange(start, start + S, device=x.device)
        cos, sin = self.rope.cos_sin(positions)

        qr = rms_norm(linear(p + ".wq_a", x), self.weights[p + ".q_norm.weight"], c.norm_eps,
                      self.numerics)
        q = linear(p + ".wq_b", qr).reshape(S, c.n_heads, c.head_dim)
        q = store(weightless_rms(q, c.norm_eps))
        q = store(apply_rope(q, cos, sin, c.rope_dim))
        kv = rms_norm(linear(p + ".wkv", x), self.weights[p + ".kv_norm.weight"], c.norm_eps,
                      self.numerics)
        kv = self.quantize_kv(store(apply_rope(kv, cos, sin, c.rope_dim)))

        keys, key_positions = self._window_keys(kv, start, cache)
        visible = ((key_positions[None, :] <= positions[:, None])
                   & (key_positions[None, :] > positions[:, None] - c.sliding_window))
        if self.ratio:
            new_entries = self.compressor.step(x, start, cache.compressor)
            cache.entries = torch.cat([cache.entries, new_entries])
            keys = torch.cat([keys, cache.entries])
            visible = torch.cat(
                [visible, self._compressed_visibility(x, qr, start, cos, sin, cache)], dim=1)

        o = store(attend_with_sink(q, keys, visible, self.weights[p + ".attn_sink"]))
        o = store(apply_rope(o, cos, sin, c.rope_dim, conjugate=True))

        # Grouped output projection: heads are split into o_groups contiguous groups; group g
        # goes through its own [o_lora_rank, H*D/G] slice of wo_a. The official code runs this
        # as a bf16 einsum (wo_a dequantized to bf16), so its input is not FP8-quantized.
        G = c.o_groups
        o = o.reshape(S, G, c.n_heads * c.head_dim // G)
        wo_a = self.weights[p + ".wo_a.weight"].reshape(G, c.o_lora_rank, -1)
        z = store(torch.einsum("sgi,gri->sgr", o, wo_a)).reshape(S, G * c.o_lora_rank)
        out = linear(p + ".wo_b", z)

        W = c.sliding_window
        last = positions[-W:]
        cache.ring[last % W] = kv[-W:]
        return out
