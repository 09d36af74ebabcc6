"""The numerics switch (deepseek-v4.md §4.9, §12).

`fp32`      the model's math with no activation rounding and no fake-quant; the weights are still
            dequantized exactly from FP8/FP4. Runs in float32 or float64 (the golden fixtures use
            float64, so an fp32 engine sees only its own rounding against them).
`official`  the rounding points of DeepSeek's official inference code, which simulates the
            quantization the model was trained with (QAT): bf16 activations between ops, FP8
            e4m3 1x128 activation quantization before every FP8/FP4 linear, FP8 block-64
            fake-quant of the kv "nope" dims, Hadamard + FP4 block-32 fake-quant of the indexer
            q/k. Always float32.

Every other module calls these methods at the points where the official code rounds; in `fp32`
mode they are identities, so the two modes share every line of the model's math.
"""

import torch

from formats import E2M1_MAX, E4M3_MAX, round_to_bf16, round_to_e2m1, round_to_e4m3

MODES = ("fp32", "official")

ACTIVATION_BLOCK = 128   # FP8 activation quantization before FP8/FP4 linears
KV_NOPE_BLOCK = 64       # FP8 fake-quant of the kv nope dims
INDEXER_BLOCK = 32       # FP4 fake-quant of indexer q and keys
FP8_AMAX_FLOOR = 1e-4
FP4_AMAX_FLOOR = 6.0 * 2.0 ** -126


def power_of_two_scale(amax, qmax):
    """2^ceil(log2(amax/qmax)), exactly: the smallest power of two >= amax/qmax."""
    # ratio = mantissa * 2^exponent with mantissa in [0.5, 1); an exact power of two (mantissa
    # 0.5) is its own scale.
    mantissa, exponent = torch.frexp(amax / qmax)
    exponent = exponent - (mantissa == 0.5).to(exponent.dtype)
    return torch.pow(2.0, exponent.to(amax.dtype))


def fake_quantize_blocks(x, block, qmax, amax_floor, round_to_grid):
    """Blocks of `block` consecutive elements along the last dim (a shorter last block when the
    dim is not a multiple) share one power-of-two scale; values are rounded onto the format's grid
    at that scale and scaled back."""
    width = x.shape[-1]
    pieces = []
    for begin in range(0, width, block):
        piece = x[..., begin:begin + block]
        amax = piece.abs().amax(dim=-1, keepdim=True).clamp(min=amax_floor)
        scale = power_of_two_scale(amax, qmax)
        pieces.append(round_to_grid(piece / scale) * scale)
    return torch.cat(pieces, dim=-1)


class Numerics:
    def __init__(self, mode, dtype):
        assert mode in MODES, f"numerics mode must be one of {MODES}"
        assert mode == "fp32" or dtype == torch.float32, "official mode runs in float32"
        self.mode = mode
        self.dtype = dtype
        self.official = mode == "official"

    def store(self, x):
        """An activation written out between ops: bf16 in official mode."""
        return round_to_bf16(x) if self.official else x

    def linear_input(self, x):
        """Input of an FP8/FP4 linear: e4m3 with one power-of-two scale per 1x128 block."""
        if not self.official:
            return x
        return fake_quantize_blocks(x, ACTIVATION_BLOCK, E4M3_MAX, FP8_AMAX_FLOOR, round_to_e4m3)

    def kv_nope(self, kv, nope_dim):
        """Window kv and main compressed kv: dims [0, nope_dim) to e4m3 in blocks of 64; the rope
        dims stay as they are."""
        if not self.official:
            return kv
        nope = fake_quantize_blocks(kv[..., :nope_dim], KV_NOPE_BLOCK, E4M3_MAX, FP8_AMAX_FLOOR,
                                    round_to_e4m3)
        return torch.cat([nope, kv[..., nope_dim:]], dim=-1)

    def indexer_fp4(self, x):
        """Indexer q and keys (after their Hadamard rotation): e2m1 in blocks of 32."""
        if not self.official:
            return x
        return fake_quantize_blocks(x, INDEXER_BLOCK, E2M1_MAX, FP4_AMAX_FLOOR, round_to_e2m1)
