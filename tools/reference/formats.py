"""The number formats of a V4 checkpoint and of its fake-quantization (deepseek-v4.md §4.9, §5.2):
decoding stored codes to values, and rounding values onto a format's grid.

Torch 1.13 has no float8/float4 dtypes, so both are done here by hand. All rounding is
round-to-nearest, ties to the even code, saturating at the format's largest finite value.
"""

import torch

E4M3_MAX = 448.0
E2M1_MAX = 6.0

# e2m1 code (4 bits: sign, 2 exponent, 1 mantissa) -> value.
E2M1_VALUES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
               -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0)


def e4m3_value_table():
    """Value of each e4m3 byte (bias 7, no infinities; 0x7f and 0xff are NaN), as float64."""
    values = []
    for code in range(256):
        sign = -1.0 if code & 0x80 else 1.0
        exponent, mantissa = (code >> 3) & 0xF, code & 0x7
        if exponent == 0xF and mantissa == 0x7:
            values.append(float("nan"))
        elif exponent == 0:
            values.append(sign * mantissa / 8.0 * 2.0 ** -6)
        else:
            values.append(sign * (1.0 + mantissa / 8.0) * 2.0 ** (exponent - 7))
    return torch.tensor(values, dtype=torch.float64)


def e8m0_values(scale_bytes):
    """E8M0 scale byte s -> 2^(s-127); 255 is NaN. `scale_bytes` is a uint8 tensor."""
    exponents = scale_bytes.to(torch.float64) - 127.0
    values = torch.pow(2.0, exponents)
    return torch.where(scale_bytes == 255, torch.full_like(values, float("nan")), values)


def _round_to_grid(x, min_exponent, mantissa_bits, max_value):
    """Nearest value with `mantissa_bits` explicit mantissa bits and exponents >= min_exponent
    (below that the spacing stays fixed: subnormals), ties to even, saturated at max_value."""
    magnitude = x.abs()
    _, exponent = torch.frexp(magnitude)  # magnitude = m * 2^exponent, m in [0.5, 1)
    exponent = torch.clamp(exponent.to(x.dtype) - 1, min=min_exponent)
    spacing = torch.pow(2.0, exponent - mantissa_bits)
    rounded = torch.round(magnitude / spacing) * spacing  # torch.round: ties to even
    return torch.sign(x) * torch.clamp(rounded, max=max_value)


def round_to_e4m3(x):
    """Onto the float8 e4m3 grid (min normal exponent -6, 3 mantissa bits, max 448)."""
    return _round_to_grid(x, -6, 3, E4M3_MAX)


def round_to_e2m1(x):
    """Onto the float4 e2m1 grid {0, 0.5, 1, 1.5, 2, 3, 4, 6} (min exponent 0, 1 mantissa bit)."""
    return _round_to_grid(x, 0, 1, E2M1_MAX)


def round_to_bf16(x):
    """Onto the bfloat16 grid (torch's conversion rounds to nearest even); float32 input only,
    since a float64 -> bfloat16 cast would round twice."""
    assert x.dtype == torch.float32
    return x.to(torch.bfloat16).to(torch.float32)
