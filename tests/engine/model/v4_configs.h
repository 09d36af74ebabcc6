#pragma once
// The real V4-Flash and V4-Pro config.json values (deepseek-v4.md §2, §7.2) as test fixtures;
// the DSpark variants add the dspark_* fields and two more window-only compress_ratios entries.
#include <nlohmann/json.hpp>

namespace flint::engine::testing {

inline nlohmann::json flashConfig() {
  nlohmann::json ratios = nlohmann::json::array({0, 0});
  for (int i = 0; i < 20; ++i) {
    ratios.push_back(4);
    ratios.push_back(128);
  }
  ratios.push_back(4);
  ratios.push_back(0);  // the MTP layer
  return {
      {"architectures", {"DeepseekV4ForCausalLM"}},
      {"model_type", "deepseek_v4"},
      {"vocab_size", 129280},
      {"hidden_size", 4096},
      {"num_hidden_layers", 43},
      {"num_attention_heads", 64},
      {"num_key_value_heads", 1},
      {"head_dim", 512},
      {"qk_rope_head_dim", 64},
      {"q_lora_rank", 1024},
      {"o_groups", 8},
      {"o_lora_rank", 1024},
      {"moe_intermediate_size", 2048},
      {"n_routed_experts", 256},
      {"n_shared_experts", 1},
      {"num_experts_per_tok", 6},
      {"scoring_func", "sqrtsoftplus"},
      {"topk_method", "noaux_tc"},
      {"norm_topk_prob", true},
      {"routed_scaling_factor", 1.5},
      {"num_hash_layers", 3},
      {"swiglu_limit", 10.0},
      {"sliding_window", 128},
      {"compress_ratios", ratios},
      {"compress_rope_theta", 160000},
      {"rope_theta", 10000},
      {"rope_scaling",
       {{"type", "yarn"},
        {"factor", 16},
        {"original_max_position_embeddings", 65536},
        {"beta_fast", 32},
        {"beta_slow", 1}}},
      {"max_position_embeddings", 1048576},
      {"index_n_heads", 64},
      {"index_head_dim", 128},
      {"index_topk", 512},
      {"hc_mult", 4},
      {"hc_sinkhorn_iters", 20},
      {"hc_eps", 1e-6},
      {"rms_norm_eps", 1e-6},
      {"num_nextn_predict_layers", 1},
      {"expert_dtype", "fp4"},
      {"quantization_config",
       {{"activation_scheme", "dynamic"},
        {"fmt", "e4m3"},
        {"quant_method", "fp8"},
        {"scale_fmt", "ue8m0"},
        {"weight_block_size", {128, 128}}}},
      {"tie_word_embeddings", false},
      {"bos_token_id", 0},
      {"eos_token_id", 1},
      {"torch_dtype", "bfloat16"},
  };
}

inline nlohmann::json flashDSparkConfig() {
  nlohmann::json c = flashConfig();
  c["compress_ratios"].push_back(0);
  c["compress_ratios"].push_back(0);
  c["dspark_block_size"] = 5;
  c["dspark_noise_token_id"] = 128799;
  c["dspark_target_layer_ids"] = {40, 41, 42};
  c["dspark_markov_rank"] = 256;
  return c;
}

// V4-Pro: [128,128] + [4,128]x29 + [4], then the MTP layer's 0.
inline nlohmann::json proConfig() {
  nlohmann::json c = flashConfig();
  nlohmann::json ratios = nlohmann::json::array({128, 128});
  for (int i = 0; i < 29; ++i) {
    ratios.push_back(4);
    ratios.push_back(128);
  }
  ratios.push_back(4);
  ratios.push_back(0);
  c["compress_ratios"] = ratios;
  c["hidden_size"] = 7168;
  c["num_hidden_layers"] = 61;
  c["num_attention_heads"] = 128;
  c["q_lora_rank"] = 1536;
  c["o_groups"] = 16;
  c["moe_intermediate_size"] = 3072;
  c["n_routed_experts"] = 384;
  c["routed_scaling_factor"] = 2.5;
  c["index_topk"] = 1024;
  return c;
}

inline nlohmann::json proDSparkConfig() {
  nlohmann::json c = proConfig();
  c["compress_ratios"].push_back(0);
  c["compress_ratios"].push_back(0);
  c["dspark_block_size"] = 5;
  c["dspark_noise_token_id"] = 128799;
  c["dspark_target_layer_ids"] = {58, 59, 60};
  c["dspark_markov_rank"] = 512;
  return c;
}

}  // namespace flint::engine::testing
