"""How two sets of logits [S, V] differ, in the terms of the recommended bounds (README)."""

import numpy as np


def logit_distance(logits, golden):
    """Per-position relative L2 (max and median), max abs, argmax agreement, and the relative
    L2 over the whole [S, V] matrix."""
    logits, golden = np.asarray(logits, np.float64), np.asarray(golden, np.float64)
    rel = np.linalg.norm(logits - golden, axis=-1) / np.linalg.norm(golden, axis=-1)
    return {"max_rel_l2": float(rel.max()), "median_rel_l2": float(np.median(rel)),
            "max_abs": float(np.abs(logits - golden).max()),
            "argmax_agreement": float((logits.argmax(-1) == golden.argmax(-1)).mean()),
            "total_rel_l2": float(np.linalg.norm(logits - golden) / np.linalg.norm(golden))}


def format_distance(d):
    return (f"rel L2 max {d['max_rel_l2']:.2e} median {d['median_rel_l2']:.2e} "
            f"total {d['total_rel_l2']:.2e}, max abs {d['max_abs']:.2e}, "
            f"argmax {d['argmax_agreement']:.3f}")
