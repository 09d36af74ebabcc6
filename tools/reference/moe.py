"""The mixture of experts of every V4 layer (deepseek-v4.md §4.7).

score = sqrt(softplus(x @ gate^T)) per routed expert. Hash layers (layer < num_hash_layers) take
the experts from the fixed table tid2eid[token id]; the others take the top-k of score + bias
(the bias only chooses; ties go to the lower expert index). The chosen scores are renormalized
to sum 1 and multiplied by routed_scaling_factor. Every expert, and the shared one, is a SwiGLU
with clamps: up in [-limit, limit], gate <= limit. The routing weight multiplies the hidden
activation before the down projection.
"""

import torch
import torch.nn.functional as F

import ops


class MoE:
    def __init__(self, layer, weights, linears, config, numerics):
        self.prefix = f"layers.{layer}.ffn"
        self.hash_routed = layer < config.n_hash_layers
        self.config = config
        self.numerics = numerics
        self.weights = weights
        self.linears = linears

    def route(self, x, ids):
        """(expert indices [T, k], routing weights [T, k])."""
        c, p = self.config, self.prefix
        scores = torch.sqrt(F.softplus(x @ self.weights[p + ".gate.weight"].T))
        if self.hash_routed:
            chosen = self.weights[p + ".gate.tid2eid"][ids]
        else:
            biased = scores + self.weights[p + ".gate.bias"]
            chosen = ops.top_k(biased, c.n_experts_per_token)
        picked = torch.gather(scores, 1, chosen)
        return chosen, picked / picked.sum(dim=-1, keepdim=True) * c.routed_scaling_factor

    def expert(self, prefix, x, weight=None):
        limit = self.config.swiglu_limit
        gate = torch.clamp(self.linears(prefix + ".w1", x), max=limit)
        up = torch.clamp(self.linears(prefix + ".w3", x), min=-limit, max=limit)
        hidden = F.silu(gate) * up
        if weight is not None:
            hidden = hidden * weight[:, None]
        return self.linears(prefix + ".w2", self.numerics.store(hidden))

    def forward(self, x, ids):
        """x [T, d] (normed), ids [T] -> [T, d]."""
        chosen, routing_weights = self.route(x, ids)
        y = torch.zeros_like(x)
        for e in range(self.config.n_routed_experts):
            tokens, slot = torch.nonzero(chosen == e, as_tuple=True)
            if tokens.numel():
                y[tokens] += self.expert(f"{self.prefix}.experts.{e}", x[tokens],
                                         routing_weights[tokens, slot])
        y = y + self.expert(self.prefix + ".shared_experts", x)
        return self.numerics.store(y)
