"""The tensors a DeepSeek-V4 checkpoint holds, by native name (deepseek-v4.md §5.1, §7.5).

Each entry is (name, kind, logical shape, init), where kind is how it is stored:
  bf16 / f32 / i64  as is;
  fp8               F8_E4M3 weight + `.scale` F8_E8M0 sibling, 128x128 blocks;
  fp4               I8 weight packing two e2m1 per byte + `.scale` F8_E8M0, 1x32 blocks.
The logical shape is the unpacked [out, in]; names of quantized weights end in `.weight`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tensor:
    name: str
    kind: str  # bf16 | f32 | i64 | fp8 | fp4
    shape: tuple
    init: str  # how values are drawn: linear | norm | embed | small | sink | hc_scale | tid2eid


def _linear(kind, name, out_dim, in_dim):
    return Tensor(name + ".weight", kind, (out_dim, in_dim), "linear")


def _norm(name, dim):
    return Tensor(name + ".weight", "bf16", (dim,), "norm")


def _attention(c, p, ratio):
    d, heads, hd = c["hidden_size"], c["num_attention_heads"], c["head_dim"]
    q_lora, groups, o_lora = c["q_lora_rank"], c["o_groups"], c["o_lora_rank"]
    out = [
        Tensor(p + "attn.attn_sink", "f32", (heads,), "sink"),
        _linear("fp8", p + "attn.wq_a", q_lora, d),
        _norm(p + "attn.q_norm", q_lora),
        _linear("fp8", p + "attn.wq_b", heads * hd, q_lora),
        _linear("fp8", p + "attn.wkv", hd, d),
        _norm(p + "attn.kv_norm", hd),
        _linear("fp8", p + "attn.wo_a", groups * o_lora, heads * hd // groups),
        _linear("fp8", p + "attn.wo_b", d, groups * o_lora),
    ]
    if ratio != 0:
        width = (2 if ratio == 4 else 1) * hd  # CSA compresses with overlap: two halves
        out += [
            _linear("bf16", p + "attn.compressor.wkv", width, d),
            _linear("bf16", p + "attn.compressor.wgate", width, d),
            Tensor(p + "attn.compressor.ape", "f32", (ratio, width), "small"),
            _norm(p + "attn.compressor.norm", hd),
        ]
    if ratio == 4:
        n_idx, idx_dim = c["index_n_heads"], c["index_head_dim"]
        out += [
            _linear("fp8", p + "attn.indexer.wq_b", n_idx * idx_dim, q_lora),
            _linear("bf16", p + "attn.indexer.weights_proj", n_idx, d),
            _linear("bf16", p + "attn.indexer.compressor.wkv", 2 * idx_dim, d),
            _linear("bf16", p + "attn.indexer.compressor.wgate", 2 * idx_dim, d),
            Tensor(p + "attn.indexer.compressor.ape", "f32", (4, 2 * idx_dim), "small"),
            _norm(p + "attn.indexer.compressor.norm", idx_dim),
        ]
    return out


def _hyper_connections(c, p):
    n, d = c["hc_mult"], c["hidden_size"]
    mix = (2 + n) * n
    out = []
    for part in ("attn", "ffn"):
        out += [
            Tensor(f"{p}hc_{part}_fn", "f32", (mix, n * d), "linear"),
            Tensor(f"{p}hc_{part}_base", "f32", (mix,), "small"),
            Tensor(f"{p}hc_{part}_scale", "f32", (3,), "hc_scale"),
        ]
    return out


def _moe(c, p, hash_routed):
    d, inter, experts = c["hidden_size"], c["moe_intermediate_size"], c["n_routed_experts"]
    expert_kind = "fp4" if c.get("expert_dtype") == "fp4" else "fp8"
    out = [_linear("bf16", p + "ffn.gate", experts, d)]
    if hash_routed:
        out.append(Tensor(p + "ffn.gate.tid2eid", "i64",
                          (c["vocab_size"], c["num_experts_per_tok"]), "tid2eid"))
    else:
        out.append(Tensor(p + "ffn.gate.bias", "f32", (experts,), "small"))
    for e in range(experts):
        q = f"{p}ffn.experts.{e}."
        out += [_linear(expert_kind, q + "w1", inter, d), _linear(expert_kind, q + "w2", d, inter),
                _linear(expert_kind, q + "w3", inter, d)]
    shared = inter * c["n_shared_experts"]
    if shared:
        q = p + "ffn.shared_experts."
        out += [_linear("fp8", q + "w1", shared, d), _linear("fp8", q + "w2", d, shared),
                _linear("fp8", q + "w3", shared, d)]
    return out


def _block(c, p, ratio, hash_routed):
    d = c["hidden_size"]
    return ([_norm(p + "attn_norm", d), _norm(p + "ffn_norm", d)] + _attention(c, p, ratio)
            + _hyper_connections(c, p) + _moe(c, p, hash_routed))


def _hc_head(c, p):
    n, d = c["hc_mult"], c["hidden_size"]
    return [Tensor(p + "hc_head_fn", "f32", (n, n * d), "linear"),
            Tensor(p + "hc_head_base", "f32", (n,), "small"),
            Tensor(p + "hc_head_scale", "f32", (1,), "hc_scale")]


def _drafter_stage(c, s, n_stages, drafter):
    d, vocab = c["hidden_size"], c["vocab_size"]
    p = f"mtp.{s}."
    out = _block(c, p, 0, False)
    if drafter == "mtp":
        out += [_linear("fp8", p + "e_proj", d, d), _linear("fp8", p + "h_proj", d, d),
                _norm(p + "enorm", d), _norm(p + "hnorm", d), _norm(p + "norm", d)]
        return out + _hc_head(c, p)
    if s == 0:
        taps = len(c["dspark_target_layer_ids"])
        out += [_linear("fp8", p + "main_proj", d, taps * d), _norm(p + "main_norm", d)]
    if s == n_stages - 1:
        rank = c["dspark_markov_rank"]
        out += [_norm(p + "norm", d),
                Tensor(p + "markov_head.markov_w1.weight", "bf16", (vocab, rank), "embed"),
                Tensor(p + "markov_head.markov_w2.weight", "bf16", (vocab, rank), "linear"),
                Tensor(p + "confidence_head.proj.weight", "bf16", (1, d + rank), "linear")]
        out += _hc_head(c, p)
    return out


def model_tensors(c, drafter, n_stages):
    """Every tensor of the checkpoint in a stable order: top level, layers, drafter stages."""
    d, vocab, layers = c["hidden_size"], c["vocab_size"], c["num_hidden_layers"]
    out = [Tensor("embed.weight", "bf16", (vocab, d), "embed"),
           Tensor("head.weight", "bf16", (vocab, d), "linear"),
           _norm("norm", d)] + _hc_head(c, "")
    for i in range(layers):
        out += _block(c, f"layers.{i}.", c["compress_ratios"][i], i < c["num_hash_layers"])
    for s in range(n_stages):
        out += _drafter_stage(c, s, n_stages, drafter)
    return out
