"""The DeepSeek-V4 backbone forward (deepseek-v4.md §3): embed, N residual streams through the
blocks (mHC around attention and MoE), hc_head, final norm, fp32 head. Batch of one sequence.

  model = Model(folder, numerics="fp32" | "official", dtype=torch.float32 | torch.float64,
                device="cpu" | "cuda" | ...)
  cache = model.new_cache()
  logits = model.forward(ids, cache)     # ids [S] at positions cache.length.. -> logits [S, V]

One forward of a whole prompt is a prefill; further calls continue from the cache (one token per
call is decode). The drafter stages (mtp.*) are not run: the logits are the backbone's.

Every tensor lives on the model's device: the weights, the caches, and whatever the modules
create on the way (positions, masks), which takes the device of the tensors it works with.
"""

import torch

import mhc
from attention import Attention
from checkpoint import load_checkpoint
from moe import MoE
from numerics import Numerics
from ops import Linears, rms_norm


class Cache:
    def __init__(self, layer_caches):
        self.layers = layer_caches
        self.length = 0


class Block:
    def __init__(self, layer, weights, linears, config, numerics):
        self.prefix = f"layers.{layer}."
        self.weights = weights
        self.config = config
        self.numerics = numerics
        self.attention = Attention(layer, weights, linears, config, numerics)
        self.moe = MoE(layer, weights, linears, config, numerics)

    def _hc(self, part):
        w = self.weights
        return (w[f"{self.prefix}hc_{part}_fn"], w[f"{self.prefix}hc_{part}_scale"],
                w[f"{self.prefix}hc_{part}_base"])

    def forward(self, X, ids, start, cache):
        c, w, n = self.config, self.weights, self.numerics
        y, post, C = mhc.hc_pre(X, *self._hc("attn"), c, n)
        y = rms_norm(y, w[self.prefix + "attn_norm.weight"], c.norm_eps, n)
        X = mhc.hc_post(self.attention.forward(y, start, cache), X, post, C, n)
        y, post, C = mhc.hc_pre(X, *self._hc("ffn"), c, n)
        y = rms_norm(y, w[self.prefix + "ffn_norm.weight"], c.norm_eps, n)
        return mhc.hc_post(self.moe.forward(y, ids), X, post, C, n)


class Model:
    def __init__(self, folder, numerics="fp32", dtype=torch.float32, device="cpu"):
        self.numerics = Numerics(numerics, dtype)
        self.device = torch.device(device)
        self.config, self.weights, quantized = load_checkpoint(folder, dtype, self.device)
        linears = Linears(self.weights, quantized, self.numerics)
        self.blocks = [Block(i, self.weights, linears, self.config, self.numerics)
                       for i in range(self.config.n_layers)]

    def new_cache(self):
        return Cache([block.attention.new_cache(self.device) for block in self.blocks])

    def forward(self, ids, cache):
        c, w, n = self.config, self.weights, self.numerics
        ids = torch.as_tensor(ids, dtype=torch.int64, device=self.device)
        start = cache.length
        X = w["embed.weight"][ids][:, None, :].expand(-1, c.hc_mult, -1)
        for block, layer_cache in zip(self.blocks, cache.layers):
            X = block.forward(X, ids, start, layer_cache)
        cache.length += ids.shape[0]
        y = mhc.hc_head(X, w["hc_head_fn"], w["hc_head_scale"], w["hc_head_base"], c, n)
        y = rms_norm(y, w["norm.weight"], c.norm_eps, n)
        return y @ w["head.weight"].T
