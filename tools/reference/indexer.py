"""The lightning indexer of CSA layers (deepseek-v4.md §4.5): picks, for each query, which
compressed entries the attention may use.

It has its own compressor (ratio 4, overlap) producing small keys Ki [T, Di]. A query t scores
every usable entry s < (t+1) div 4 as sum_h w[t,h] * ReLU(qi[t,h] . Ki[s]) and keeps the
index_topk best (ties go to the lower index). In official mode qi and Ki are rotated by a
normalized Hadamard matrix and fake-quantized to FP4, and the scores are stored as bf16 (so they
tie often). In fp32 mode the rotation is skipped: being orthonormal and applied to both sides, it
does not change any score.
"""

import torch

import ops
from compressor import Compressor, CompressorState
from rope import apply_rope


def hadamard_matrix(n, dtype):
    """Sylvester-ordered Hadamard matrix H[i][j] = (-1)^popcount(i & j), scaled by 1/sqrt(n)."""
    H = torch.ones((1, 1), dtype=torch.float64)
    while H.shape[0] < n:
        H = torch.cat([torch.cat([H, H], dim=1), torch.cat([H, -H], dim=1)], dim=0)
    assert H.shape[0] == n, "index_head_dim must be a power of two"
    return (H / n ** 0.5).to(dtype)


class IndexerCache:
    def __init__(self, index_head_dim, dtype, device="cpu"):
        self.compressor = CompressorState()
        self.keys = torch.zeros((0, index_head_dim), dtype=dtype, device=device)


class Indexer:
    def __init__(self, prefix, weights, linears, rope_table, config, numerics):
        self.prefix = prefix
        self.config = config
        self.numerics = numerics
        self.linears = linears
        self.rope_table = rope_table
        self.n_heads, self.head_dim = config.index_n_heads, config.index_head_dim
        self.hadamard = hadamard_matrix(self.head_dim, numerics.dtype).to(
            weights[prefix + ".wq_b.weight"].device)
        self.compressor = Compressor(prefix + ".compressor", 4, self.head_dim, weights, linears,
                                     rope_table, config, numerics, self.rotate_and_quantize)

    def rotate_and_quantize(self, v):
        """Official mode: Hadamard rotation then FP4 fake-quant of the last dim."""
        if not self.numerics.official:
            return v
        return self.numerics.indexer_fp4(v @ self.hadamard.T)

    def select(self, x, qr, start, cos, sin, cache):
        """Indices [S, k] of the entries each query keeps (-1 where fewer than k are usable);
        k = min(index_topk, number of entries so far)."""
        S = x.shape[0]
        new_keys = self.compressor.step(x, start, cache.compressor)
        cache.keys = torch.cat([cache.keys, new_keys])
        qi = self.linears(self.prefix + ".wq_b", qr).reshape(S, self.n_heads, self.head_dim)
        qi = self.numerics.store(apply_rope(qi, cos, sin, self.config.rope_dim))
        qi = self.rotate_and_quantize(qi)
        head_weights = self.linears(self.prefix + ".weights_proj", x)
        head_weights = head_weights * (self.head_dim ** -0.5 * self.n_heads ** -0.5)
        per_head = torch.relu(torch.einsum("shd,nd->shn", qi, cache.keys))
        scores = self.numerics.store((head_weights[:, :, None] * per_head).sum(dim=1))
        usable = (torch.arange(start, start + S, device=x.device) + 1) // 4
        entry = torch.arange(cache.keys.shape[0], device=x.device)
        scores = scores.masked_fill(entry[None, :] >= usable[:, None], float("-inf"))
        k = min(self.config.index_topk, cache.keys.shape[0])
        order = ops.top_k(scores, k)
        kept = torch.gather(scores, 1, order)
        return torch.where(torch.isinf(kept), torch.full_like(order, -1), order)
