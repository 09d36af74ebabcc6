"""Float32 arrays -> the checkpoint's storage formats (deepseek-v4.md §5.2), with numpy only.

Rounding picks the nearest representable value; scales are powers of two (E8M0 bytes) chosen so
the block's largest magnitude fits the format's range, as DeepSeek's converter does.
"""

import numpy as np

FP8_MAX = 448.0
FP4_MAX = 6.0
FP8_BLOCK = 128
FP4_BLOCK = 32


def _e4m3_positive_values():
    """Values of codes 0x00..0x7e (0x7f is NaN): ascending, so code = index."""
    values = []
    for code in range(0x7F):
        exponent, mantissa = code >> 3, code & 7
        if exponent == 0:
            values.append(mantissa / 8.0 * 2.0**-6)
        else:
            values.append((1.0 + mantissa / 8.0) * 2.0 ** (exponent - 7))
    return np.array(values, dtype=np.float64)


E4M3_POSITIVE = _e4m3_positive_values()
E2M1_POSITIVE = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


def _nearest_code(magnitudes, table):
    """Index of the nearest entry of the ascending `table` for each magnitude."""
    upper = np.clip(np.searchsorted(table, magnitudes), 1, len(table) - 1)
    lower = upper - 1
    pick_upper = (table[upper] - magnitudes) < (magnitudes - table[lower])
    return np.where(pick_upper, upper, lower).astype(np.uint8)


def _scale_exponents(amax, qmax):
    """E8M0 byte per block: 2^(byte-127) >= amax/qmax (127 for an all-zero block)."""
    safe = np.where(amax > 0, amax, qmax)
    exponents = np.ceil(np.log2(safe / qmax)).astype(np.int64)
    return np.clip(exponents + 127, 1, 254).astype(np.uint8)


def _scale_values(scale_bytes):
    return np.ldexp(1.0, scale_bytes.astype(np.int64) - 127)


def to_bf16(x):
    """float32 -> bfloat16 bits (round to nearest even), as uint16."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def to_fp8_blocks(w):
    """[out, in] float -> (F8_E4M3 bytes [out, in], E8M0 scales [ceil(out/128), ceil(in/128)])."""
    out_dim, in_dim = w.shape
    blocks_out = -(-out_dim // FP8_BLOCK)
    blocks_in = -(-in_dim // FP8_BLOCK)
    padded = np.zeros((blocks_out * FP8_BLOCK, blocks_in * FP8_BLOCK))
    padded[:out_dim, :in_dim] = np.abs(w)
    amax = padded.reshape(blocks_out, FP8_BLOCK, blocks_in, FP8_BLOCK).max(axis=(1, 3))
    scales = _scale_exponents(amax, FP8_MAX)
    per_element = np.repeat(np.repeat(_scale_values(scales), FP8_BLOCK, 0), FP8_BLOCK, 1)
    scaled = np.abs(w) / per_element[:out_dim, :in_dim]
    codes = _nearest_code(np.minimum(scaled, FP8_MAX), E4M3_POSITIVE)
    codes |= np.where(w < 0, 0x80, 0).astype(np.uint8)
    return codes, scales


def to_fp4_groups(w):
    """[out, in] float -> (I8 bytes [out, in/2] low nibble = even element, E8M0 [out, in/32])."""
    out_dim, in_dim = w.shape
    assert in_dim % FP4_BLOCK == 0, "FP4 input dims are multiples of 32"
    amax = np.abs(w).reshape(out_dim, in_dim // FP4_BLOCK, FP4_BLOCK).max(axis=2)
    scales = _scale_exponents(amax, FP4_MAX)
    per_element = np.repeat(_scale_values(scales), FP4_BLOCK, 1)
    codes = _nearest_code(np.minimum(np.abs(w) / per_element, FP4_MAX), E2M1_POSITIVE)
    codes |= np.where(w < 0, 0x8, 0).astype(np.uint8)
    packed = codes[:, 0::2] | (codes[:, 1::2] << 4)
    return packed.astype(np.uint8).view(np.int8), scales
