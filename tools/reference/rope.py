"""Rotary position embedding, DeepSeek-V4 style (deepseek-v4.md §4.2).

Interleaved pairs: dims (2i, 2i+1) of the LAST rope_dim dims form one complex number rotated by
pos * f_i. Two tables: pure-window layers use rope_theta as is; compressed layers (CSA/HCA) use
compress_rope_theta with YaRN frequency interpolation, and no attention/mscale factor.

Angles and their cos/sin are computed in float64 and then rounded to the compute dtype, so an
engine that does the same (pow, multiply, cos, sin in double) gets identical tables. They are
computed on the CPU whatever the device of the positions, then moved there, so a GPU run uses
the same tables as a CPU one.
"""

import math

import torch


def rope_frequencies(config, compress_ratio):
    """f_i for i in [0, rope_dim/2), float64."""
    rope_dim = config.rope_dim
    i = torch.arange(0, rope_dim, 2, dtype=torch.float64)
    if compress_ratio == 0:
        return torch.pow(float(config.rope_theta), -i / rope_dim)
    base = float(config.compress_rope_theta)
    freqs = torch.pow(base, -i / rope_dim)
    scaling = config.rope_scaling
    if not scaling:
        return freqs
    original = scaling["original_max_position_embeddings"]

    def correction_dim(rotations):
        return rope_dim * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low = max(math.floor(correction_dim(scaling["beta_fast"])), 0)
    high = min(math.ceil(correction_dim(scaling["beta_slow"])), rope_dim - 1)
    if low == high:
        high += 0.001
    i_half = torch.arange(rope_dim // 2, dtype=torch.float64)
    ramp = torch.clamp((i_half - low) / (high - low), 0, 1)
    smooth = 1 - ramp
    return freqs / scaling["factor"] * (1 - smooth) + freqs * smooth


class RopeTable:
    def __init__(self, config, compress_ratio, dtype):
        self.freqs = rope_frequencies(config, compress_ratio)
        self.rope_dim = config.rope_dim
        self.dtype = dtype

    def cos_sin(self, positions):
        """cos and sin of pos * f_i, [len(positions), rope_dim/2], on the positions' device."""
        angles = positions.to("cpu", torch.float64)[:, None] * self.freqs[None, :]
        return (torch.cos(angles).to(self.dtype).to(positions.device),
                torch.sin(angles).to(self.dtype).to(positions.device))


def apply_rope(x, cos, sin, rope_dim, conjugate=False):
    """Rotates the last rope_dim dims of x [S, ..., D] by the angles of cos/sin [S, rope_dim/2];
    conjugate=True rotates backwards (the attention output's de-rotation)."""
    cos = cos.reshape(cos.shape[0], *([1] * (x.dim() - 2)), cos.shape[-1])
    sin = sin.reshape(cos.shape)
    if conjugate:
        sin = -sin
    rope = x[..., -rope_dim:]
    even, odd = rope[..., 0::2], rope[..., 1::2]
    rotated = torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)
    return torch.cat([x[..., :-rope_dim], rotated], dim=-1)
