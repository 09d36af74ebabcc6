"""Manifold-constrained hyper-connections (deepseek-v4.md §3.1).

The residual is N = hc_mult streams X [S, N, d]. Before each sub-layer, hc_pre mixes the streams
into the sub-layer's input and computes `post` and the N x N matrix C (pushed towards doubly
stochastic by Sinkhorn); after it, hc_post writes the output back into every stream. hc_head
collapses the streams at the end of the model.
"""

import torch


def _mix(X, fn, eps):
    """(flatten(X) @ fn^T) * r, r the weightless RMS factor over all N*d values. [S, rows of fn]"""
    flat = X.flatten(-2)
    r = torch.rsqrt(flat.pow(2).mean(dim=-1, keepdim=True) + eps)
    return (flat @ fn.T) * r


def sinkhorn(logits, iters, eps):
    """C[j][k] from its logits [S, N, N]: softmax over k, +eps, normalize columns (over j), then
    iters-1 rounds of (rows, columns). The last step is always a column normalization."""
    C = torch.softmax(logits, dim=-1) + eps
    C = C / (C.sum(dim=-2, keepdim=True) + eps)
    for _ in range(iters - 1):
        C = C / (C.sum(dim=-1, keepdim=True) + eps)
        C = C / (C.sum(dim=-2, keepdim=True) + eps)
    return C


def hc_pre(X, fn, scale, base, config, numerics):
    """X [S, N, d] -> (sub-layer input y [S, d], post [S, N], C [S, N, N])."""
    n = config.hc_mult
    mix = _mix(X, fn, config.norm_eps)
    pre = torch.sigmoid(mix[:, :n] * scale[0] + base[:n]) + config.hc_eps
    post = 2 * torch.sigmoid(mix[:, n:2 * n] * scale[1] + base[n:2 * n])
    C_logits = mix[:, 2 * n:].reshape(-1, n, n) * scale[2] + base[2 * n:].reshape(n, n)
    C = sinkhorn(C_logits, config.hc_sinkhorn_iters, config.hc_eps)
    y = (pre[:, :, None] * X).sum(dim=1)
    return numerics.store(y), post, C


def hc_post(f, X_residual, post, C, numerics):
    """out[j] = post[j] * f + sum_i C[i][j] * X_residual[i]: the sum runs over C's FIRST index."""
    mixed = torch.einsum("sij,sid->sjd", C, X_residual)
    return numerics.store(post[:, :, None] * f[:, None, :] + mixed)


def hc_head(X, fn, scale, base, config, numerics):
    """Final collapse of the streams: sum_i (sigmoid(mix_i * scale + base_i) + eps) * X[i]."""
    pre = torch.sigmoid(_mix(X, fn, config.norm_eps) * scale + base) + config.hc_eps
    return numerics.store((pre[:, :, None] * X).sum(dim=1))
