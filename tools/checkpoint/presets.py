"""Named small DeepSeek-V4 configurations for tests, in config.json's own field names (§2).

Every preset keeps the official reference's constraints (deepseek-v4.md §8): head_dim - rope
divisible by 64, index_head_dim a power of two, FP8/FP4 input dims multiples of 128 / 32.
"""

# Shared by every preset; a preset overrides what it needs.
_COMMON = {
    "architectures": ["DeepseekV4ForCausalLM"],
    "model_type": "deepseek_v4",
    "num_key_value_heads": 1,
    "head_dim": 128,
    "qk_rope_head_dim": 64,
    "n_shared_experts": 1,
    "scoring_func": "sqrtsoftplus",
    "topk_method": "noaux_tc",
    "norm_topk_prob": True,
    "routed_scaling_factor": 1.5,
    "swiglu_limit": 10.0,
    "compress_rope_theta": 160000.0,
    "rope_theta": 10000.0,
    "rope_scaling": {
        "type": "yarn",
        "factor": 16.0,
        "original_max_position_embeddings": 4096,
        "beta_fast": 32,
        "beta_slow": 1,
    },
    "max_position_embeddings": 65536,
    "hc_sinkhorn_iters": 20,
    "hc_eps": 1e-6,
    "rms_norm_eps": 1e-6,
    "num_nextn_predict_layers": 1,
    "expert_dtype": "fp4",
    "quantization_config": {
        "activation_scheme": "dynamic",
        "fmt": "e4m3",
        "quant_method": "fp8",
        "scale_fmt": "ue8m0",
        "weight_block_size": [128, 128],
    },
    "tie_word_embeddings": False,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "torch_dtype": "bfloat16",
}

# `layer_ratios` are the backbone's compress_ratios; the writer appends one 0 per drafter stage.
PRESETS = {
    # Fast unit tests: 2 hc streams, one layer of each type plus a second CSA layer.
    "tiny": {
        "config": {
            "vocab_size": 320,
            "hidden_size": 128,
            "num_hidden_layers": 4,
            "num_attention_heads": 2,
            "q_lora_rank": 128,
            "o_groups": 2,
            "o_lora_rank": 64,
            "moe_intermediate_size": 64,
            "n_routed_experts": 4,
            "num_experts_per_tok": 2,
            "num_hash_layers": 1,
            "sliding_window": 8,
            "index_n_heads": 2,
            "index_head_dim": 64,
            "index_topk": 4,
            "hc_mult": 2,
        },
        "layer_ratios": [0, 4, 128, 4],
        "drafter": "none",
        "shards": 2,
    },
    # Like V4-Flash in miniature: 4 hc streams, window/CSA/HCA layers, 2 hash layers and a
    # 3-stage DSpark drafter tapping the last three layers.
    "small": {
        "config": {
            "vocab_size": 512,
            "hidden_size": 256,
            "num_hidden_layers": 6,
            "num_attention_heads": 4,
            "q_lora_rank": 128,
            "o_groups": 2,
            "o_lora_rank": 128,
            "moe_intermediate_size": 128,
            "n_routed_experts": 8,
            "num_experts_per_tok": 2,
            "num_hash_layers": 2,
            "sliding_window": 16,
            "index_n_heads": 4,
            "index_head_dim": 64,
            "index_topk": 8,
            "hc_mult": 4,
            "dspark_block_size": 5,
            "dspark_noise_token_id": 511,
            "dspark_target_layer_ids": [3, 4, 5],
            "dspark_markov_rank": 32,
        },
        "layer_ratios": [0, 0, 4, 128, 4, 128],
        "drafter": "dspark",
        "shards": 3,
    },
    # V4-Flash/Pro style single V3 MTP layer (`mtp.0` with e_proj/h_proj), 4 hc streams.
    "small-mtp": {
        "config": {
            "vocab_size": 384,
            "hidden_size": 256,
            "num_hidden_layers": 3,
            "num_attention_heads": 2,
            "q_lora_rank": 128,
            "o_groups": 2,
            "o_lora_rank": 64,
            "moe_intermediate_size": 128,
            "n_routed_experts": 4,
            "num_experts_per_tok": 2,
            "num_hash_layers": 1,
            "sliding_window": 16,
            "index_n_heads": 2,
            "index_head_dim": 64,
            "index_topk": 4,
            "hc_mult": 4,
        },
        "layer_ratios": [128, 4, 128],
        "drafter": "mtp",
        "shards": 2,
    },
    # Golden-logit fixtures (tools/reference): the real sliding_window of 128 and prompts of a
    # few hundred tokens. Layer 2 is an HCA layer at ratio 16 so a prompt holds many of its
    # compressed entries (ratio 128 gives only a few); 1 hash layer, 4 hc streams.
    "window128": {
        "config": {
            "vocab_size": 384,
            "hidden_size": 256,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "q_lora_rank": 128,
            "o_groups": 2,
            "o_lora_rank": 128,
            "moe_intermediate_size": 128,
            "n_routed_experts": 8,
            "num_experts_per_tok": 2,
            "num_hash_layers": 1,
            "sliding_window": 128,
            "index_n_heads": 4,
            "index_head_dim": 64,
            "index_topk": 16,
            "hc_mult": 4,
        },
        "layer_ratios": [4, 128, 16, 0],
        "drafter": "none",
        "shards": 2,
    },
    # Benchmarks, never tests: V4-Flash's widths (hidden 4096, head_dim 512, q_lora 1024,
    # 8 output groups, 2048-wide experts, top-6) in two layers, so one decoded token reads
    # about 430 MB of weights: far more than any cache, as decode reads a real model.
    "bench": {
        "config": {
            "vocab_size": 8192,
            "hidden_size": 4096,
            "num_hidden_layers": 2,
            "num_attention_heads": 32,
            "head_dim": 512,
            "q_lora_rank": 1024,
            "o_groups": 8,
            "o_lora_rank": 1024,
            "moe_intermediate_size": 2048,
            "n_routed_experts": 8,
            "num_experts_per_tok": 6,
            "num_hash_layers": 1,
            "sliding_window": 128,
            "index_n_heads": 64,
            "index_head_dim": 128,
            "index_topk": 512,
            "hc_mult": 4,
        },
        "layer_ratios": [4, 128],
        "drafter": "none",
        "shards": 2,
    },
}

# The expert store's tests: 64 routed experts of which each token uses 6, so a host budget of
# 10-50 % of the experts makes hits, misses and evictions all happen in a short reply.
PRESETS["experts64"] = {
    "config": dict(PRESETS["small"]["config"], n_routed_experts=64, num_experts_per_tok=6,
                   num_hidden_layers=4, moe_intermediate_size=128),
    "layer_ratios": [0, 4, 128, 0],
    "drafter": "none",
    "shards": 2,
}

# Speculative decoding at the bench widths: ten layers and the 3-stage DSpark drafter, so a draft
# pass reads about a third of what a target step reads (V4-Flash: 3 stages against 43 layers).
# Used with --alphabet, where drafter and target agree: the best case of speculation on a model
# whose decode is bound by memory bandwidth. About 3.4 GB; benchmarks only.
PRESETS["bench-dspark"] = {
    "config": dict(PRESETS["bench"]["config"], num_hidden_layers=10),
    "layer_ratios": [4, 128] * 5,
    "drafter": "dspark",
    "shards": 8,
}

DSPARK_FIELDS = (
    "dspark_block_size",
    "dspark_noise_token_id",
    "dspark_target_layer_ids",
    "dspark_markov_rank",
)


def build_config(preset_name, drafter):
    """config.json for a preset and a drafter kind ('none', 'mtp' or 'dspark')."""
    preset = PRESETS[preset_name]
    config = dict(_COMMON)
    config.update(preset["config"])
    if drafter != "dspark":
        for field in DSPARK_FIELDS:
            config.pop(field, None)
    elif "dspark_target_layer_ids" not in config:
        layers = config["num_hidden_layers"]
        config.update(
            {
                "dspark_block_size": 5,
                "dspark_noise_token_id": config["vocab_size"] - 1,
                "dspark_target_layer_ids": [max(0, layers - 3 + i) for i in range(3)],
                "dspark_markov_rank": 32,
            }
        )
    stages = drafter_stage_count(drafter)
    config["compress_ratios"] = list(preset["layer_ratios"]) + [0] * stages
    return config


def drafter_stage_count(drafter):
    return {"none": 0, "mtp": 1, "dspark": 3}[drafter]
