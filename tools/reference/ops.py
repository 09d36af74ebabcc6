"""Building blocks shared by every part of the model: weighted RMSNorm and the linears.

Whether a linear quantizes its input depends on how its weight is stored: FP8/FP4 weights
(those with a `.scale` in the checkpoint) take FP8 activations in official mode; BF16 ones do not.
"""

import torch


def top_k(values, k):
    """Indices of the k largest values along the last dim, largest first; equal values keep
    index order, so ties go to the lower index (MoE selection, indexer selection)."""
    return torch.sort(values, dim=-1, descending=True, stable=True).indices[..., :k]


def rms_norm(x, weight, eps, numerics):
    """w * x / sqrt(mean(x^2) + eps) over the last dim (deepseek-v4.md §3.2)."""
    normed = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return numerics.store(weight * normed)


def weightless_rms(x, eps):
    """x / sqrt(mean(x^2) + eps) over the last dim, no weight (per-head q normalization)."""
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)


class Linears:
    """The checkpoint's linear weights, applied the way their storage asks for."""

    def __init__(self, weights, quantized_names, numerics):
        self.weights = weights
        self.quantized_names = quantized_names
        self.numerics = numerics

    def __call__(self, name, x):
        """y = x @ W^T for `name`.weight, stored as an activation."""
        weight_name = name + ".weight"
        if weight_name in self.quantized_names:
            x = self.numerics.linear_input(x)
        return self.numerics.store(x @ self.weights[weight_name].T)

    def unrounded(self, name, x):
        """y = x @ W^T with no rounding of input or output: the compressors' fp32 projections."""
        return x @ self.weights[name + ".weight"].T
