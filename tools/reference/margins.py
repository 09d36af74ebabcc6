"""Records how close each top-k selection came to a tie (a tool for the fixture writer).

A golden fixture is only useful if an engine computing in float32 makes the same discrete
choices as the float64 reference: an expert or compressed entry whose score is within rounding
of the k-th best could flip. While recording, every call of ops.top_k notes, per row, the gap
between the k-th and (k+1)-th value relative to the row's largest magnitude. Boundaries where
both values are exactly 0 are counted apart: they are the indexer's ReLU zeros, which any
implementation reproduces exactly and breaks by index.
"""

import contextlib

import torch

import ops


@contextlib.contextmanager
def recording_selection_margins():
    """Yields a dict with "min_relative_gap" (inf if no boundary) and "zero_ties"."""
    seen = {"min_relative_gap": float("inf"), "zero_ties": 0}
    original = ops.top_k

    def top_k_noting_gap(values, k):
        if values.shape[-1] > k:
            ordered = torch.sort(values, dim=-1, descending=True).values
            kth, next_ = ordered[..., k - 1], ordered[..., k]
            scale = ordered.masked_fill(~torch.isfinite(ordered), 0).abs().amax(dim=-1)
            zero_tie = (kth == 0) & (next_ == 0)
            counted = torch.isfinite(next_) & ~zero_tie
            seen["zero_ties"] += int(zero_tie.sum())
            if counted.any():
                gap = ((kth - next_) / scale.clamp(min=1e-30))[counted]
                seen["min_relative_gap"] = min(seen["min_relative_gap"], gap.min().item())
        return original(values, k)

    ops.top_k = top_k_noting_gap
    try:
        yield seen
    finally:
        ops.top_k = original
