"""The DSpark drafter of a -DSpark checkpoint (deepseek-v4.md §7.3), next to the backbone.

  drafter = Drafter(model)                         # model: Model of a checkpoint with mtp.* stages
  logits, main_x = drafter.target(ids)             # backbone prefill, plus the taps projected
  U, y = drafter.blocks(main_x, anchors, starts)   # base logits and pre-norm hidden of each block
  L = drafter.markov(U, previous)                  # Markov-corrected draft logits
  c = drafter.confidence(y, previous)              # confidence logits (sigmoid: P(accept))

A block is [anchor, noise x (γ-1)] at positions start .. start+γ-1, where the anchor is the token
at `start` (sampled by the target for that position) and the block's k-th output predicts the
token at start+k+1. Every stage attends, without a causal mask, to its own block and to the
keys of the committed target positions start-W .. start-1 (its window ring), computed from main_x
with the stage's wkv and kv_norm. Several blocks go through one call: everything but attention
is per token, and attention masks each block to its own keys.

Decisions where the spec is silent (deepseek-v4.md §9): the stage keys get the same rounding as
the backbone's window keys (bf16 store and the kv fake-quant in official numerics); the noise
rows use the shared embedding of dspark_noise_token_id.
"""

import torch

import mhc
from attention import attend_with_sink
from moe import MoE
from ops import rms_norm, weightless_rms
from rope import RopeTable, apply_rope


class Drafter:
    def __init__(self, model):
        self.model = model
        self.config = c = model.config
        fields = c.fields
        self.block_size = fields["dspark_block_size"]
        self.noise_id = fields["dspark_noise_token_id"]
        self.target_layers = list(fields["dspark_target_layer_ids"])
        self.stages = len(self.target_layers)
        self.weights = model.weights
        self.numerics = model.numerics
        self.linears = model.blocks[0].attention.linears
        self.rope = RopeTable(c, 0, model.numerics.dtype)  # plain RoPE, base 10000, no YaRN
        self.moes = []
        for s in range(self.stages):
            moe = MoE(c.n_layers, self.weights, self.linears, c, self.numerics)
            moe.prefix, moe.hash_routed = f"mtp.{s}.ffn", False
            self.moes.append(moe)

    # --- target side -------------------------------------------------------------------------

    def taps(self, ids):
        """Backbone prefill of `ids` from position 0: (logits [S, V], taps [S, stages * d]), the
        taps being the outputs of the target layers, averaged over the residual streams."""
        c, w, n = self.config, self.weights, self.numerics
        ids = torch.as_tensor(ids, dtype=torch.int64, device=self.model.device)
        cache = self.model.new_cache()
        X = w["embed.weight"][ids][:, None, :].expand(-1, c.hc_mult, -1)
        taps = []
        for i, (block, layer_cache) in enumerate(zip(self.model.blocks, cache.layers)):
            X = block.forward(X, ids, 0, layer_cache)
            if i in self.target_layers:
                taps.append(X.mean(dim=1))
        y = mhc.hc_head(X, w["hc_head_fn"], w["hc_head_scale"], w["hc_head_base"], c, n)
        y = rms_norm(y, w["norm.weight"], c.norm_eps, n)
        return y @ w["head.weight"].T, torch.cat(taps, dim=-1)

    def project(self, taps):
        """main_x: the taps through mtp.0.main_proj and main_norm, shared by every stage."""
        c, w, n = self.config, self.weights, self.numerics
        return rms_norm(self.linears("mtp.0.main_proj", taps), w["mtp.0.main_norm.weight"],
                        c.norm_eps, n)

    def target(self, ids):
        """Backbone prefill of `ids` from position 0: (logits [S, V], main_x [S, d])."""
        logits, taps = self.taps(ids)
        return logits, self.project(taps)

    # --- drafter blocks ----------------------------------------------------------------------

    def _kv(self, s, x, positions):
        c, p, n = self.config, f"mtp.{s}.attn", self.numerics
        cos, sin = self.rope.cos_sin(positions)
        kv = rms_norm(self.linears(p + ".wkv", x), self.weights[p + ".kv_norm.weight"],
                      c.norm_eps, n)
        return n.kv_nope(n.store(apply_rope(kv, cos, sin, c.rope_dim)), c.nope_dim)

    def _attention(self, s, x, positions, context_keys, visible_context, block_of):
        c, p, n, w = self.config, f"mtp.{s}.attn", self.numerics, self.weights
        S = x.shape[0]
        cos, sin = self.rope.cos_sin(positions)
        qr = rms_norm(self.linears(p + ".wq_a", x), w[p + ".q_norm.weight"], c.norm_eps, n)
        q = self.linears(p + ".wq_b", qr).reshape(S, c.n_heads, c.head_dim)
        q = n.store(weightless_rms(q, c.norm_eps))
        q = n.store(apply_rope(q, cos, sin, c.rope_dim))
        kv = self._kv(s, x, positions)
        keys = torch.cat([context_keys, kv])
        same_block = block_of[:, None] == block_of[None, :]
        visible = torch.cat([visible_context, same_block], dim=1)
        o = n.store(attend_with_sink(q, keys, visible, w[p + ".attn_sink"]))
        o = n.store(apply_rope(o, cos, sin, c.rope_dim, conjugate=True))
        G = c.o_groups
        o = o.reshape(S, G, c.n_heads * c.head_dim // G)
        wo_a = w[p + ".wo_a.weight"].reshape(G, c.o_lora_rank, -1)
        z = n.store(torch.einsum("sgi,gri->sgr", o, wo_a)).reshape(S, G * c.o_lora_rank)
        return self.linears(p + ".wo_b", z)

    def blocks(self, main_x, anchors, starts, context_length=None):
        """Blocks for anchors[b] at positions starts[b]..; target positions < starts[b] (and
        within the window) are the context. main_x [T, d] covers target positions 0..T-1.
        Returns base logits U [B, γ, V] and the pre-norm hidden y [B, γ, d]."""
        c, w, n, g = self.config, self.weights, self.numerics, self.block_size
        device = main_x.device
        starts = torch.as_tensor(starts, dtype=torch.int64, device=device)
        anchors = torch.as_tensor(anchors, dtype=torch.int64, device=device)
        B = starts.shape[0]
        T = main_x.shape[0] if context_length is None else context_length
        ids = torch.full((B, g), self.noise_id, dtype=torch.int64, device=device)
        ids[:, 0] = anchors
        ids = ids.reshape(-1)
        positions = (starts[:, None] + torch.arange(g, device=device)[None, :]).reshape(-1)
        block_of = torch.arange(B, device=device).repeat_interleave(g)
        context = torch.arange(T, device=device)
        start_of = starts.repeat_interleave(g)
        visible_context = ((context[None, :] < start_of[:, None])
                           & (context[None, :] >= start_of[:, None] - c.sliding_window))

        X = w["embed.weight"][ids][:, None, :].expand(-1, c.hc_mult, -1)
        for s in range(self.stages):
            p = f"mtp.{s}."
            context_keys = self._kv(s, main_x[:T], context)
            y, post, C = mhc.hc_pre(X, w[p + "hc_attn_fn"], w[p + "hc_attn_scale"],
                                    w[p + "hc_attn_base"], c, n)
            y = rms_norm(y, w[p + "attn_norm.weight"], c.norm_eps, n)
            X = mhc.hc_post(self._attention(s, y, positions, context_keys, visible_context,
                                            block_of), X, post, C, n)
            y, post, C = mhc.hc_pre(X, w[p + "hc_ffn_fn"], w[p + "hc_ffn_scale"],
                                    w[p + "hc_ffn_base"], c, n)
            y = rms_norm(y, w[p + "ffn_norm.weight"], c.norm_eps, n)
            X = mhc.hc_post(self.moes[s].forward(y, ids), X, post, C, n)
        last = f"mtp.{self.stages - 1}."
        y = mhc.hc_head(X, w[last + "hc_head_fn"], w[last + "hc_head_scale"],
                        w[last + "hc_head_base"], c, n)
        U = rms_norm(y, w[last + "norm.weight"], c.norm_eps, n) @ w["head.weight"].T
        return U.reshape(B, g, -1), y.reshape(B, g, -1)

    def markov(self, U, previous):
        """U [B, γ, V]; previous [B, γ] = the token before each draft (anchor, then drafts)."""
        last = f"mtp.{self.stages - 1}.markov_head."
        w1 = self.weights[last + "markov_w1.weight"]
        w2 = self.weights[last + "markov_w2.weight"]
        previous = torch.as_tensor(previous, dtype=torch.int64, device=w1.device)
        return U + w1[previous] @ w2.T

    def confidence(self, y, previous):
        last = f"mtp.{self.stages - 1}."
        w1 = self.weights[last + "markov_head.markov_w1.weight"]
        proj = self.weights[last + "confidence_head.proj.weight"]
        previous = torch.as_tensor(previous, dtype=torch.int64, device=w1.device)
        return (torch.cat([y, w1[previous]], dim=-1) @ proj.T)[..., 0]

    def draft_greedy(self, main_x, anchor, start):
        """γ greedy drafts after committed positions < start, anchor at `start`:
        (draft ids [γ], Markov-corrected logits [γ, V], confidence logits [γ])."""
        U, y = self.blocks(main_x, [anchor], [start], context_length=start)
        previous, drafts, corrected = anchor, [], []
        for k in range(self.block_size):
            L = self.markov(U[:, k], torch.tensor([previous], device=U.device))[0]
            corrected.append(L)
            drafts.append(int(L.argmax()))
            previous = drafts[-1]
        prev = torch.tensor([[anchor] + drafts[:-1]], device=U.device)
        conf = self.confidence(y, prev)[0]
        return drafts, torch.stack(corrected), conf
