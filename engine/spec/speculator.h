#pragma once
// Speculative decoding with the DSpark drafter (deepseek-v4.md §7.3-§7.4): the drafter
// proposes up to γ tokens after an anchor in one pass; the target checks [anchor, drafts] in one
// forward; the accepted prefix stays in the cache and the rest is rolled back exactly.
//
// Lossless: at temperature 0 a draft is accepted when it equals the target's argmax, so the
// output is the target's greedy output token for token (the kernels are batch invariant, so the
// verify pass computes the same logits as decoding one token at a time). Above 0, draft d with
// draft probability q(d) is accepted with probability min(1, p(d) / q(d)) and a rejection draws
// from normalize(max(p - q, 0)); with temperature, top-k and top-p applied to both sides alike,
// every token is distributed as plain sampling would draw it.
#include "engine/model/transformer.h"
#include "engine/sampling/sampler.h"
#include "engine/spec/draft_scheduler.h"
#include "engine/spec/drafter.h"
#include "engine/spec/spec_stats.h"
#include "engine/spec/verify_target.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace flint::engine {

class Speculator {
 public:
  // `scheduler` (shared by the engine's sessions) decides whether and how many drafts pay; null
  // verifies maxDrafts every step.
  Speculator(Transformer& target, Numerics numerics, kernels::ThreadPool* pool,
             DraftScheduler* scheduler);
  ~Speculator();

  std::size_t blockSize() const;

  // Records the tapped hidden states ([tokens, taps * d], from Transformer::forward) of
  // positions just committed to the cache: the drafter's context.
  void commit(const std::vector<float>& taps, std::size_t tokens);
  // Positions committed without taps (speculation was off for them): the window rings restart
  // after them, as at the start of a conversation; drafts stay lossless, only less informed
  // until the window refills.
  void skip(std::size_t tokens);
  void reset();

  // The drafter's context: what commit() and skip() have built, for saving a session.
  struct State {
    std::int64_t committed = 0;
    std::vector<std::vector<float>> rings;  // per stage, [rows <= sliding_window, key width]
  };
  State state() const;
  // Throws std::invalid_argument (and changes nothing) when `state` does not fit this drafter.
  void restore(State state);

  struct Step {
    std::span<const TokenId> accepted;  // drafts kept after the anchor (an EOS ends them);
                                        // valid until the next step
    TokenId next = 0;                   // the target's token after them: the next anchor
  };
  // `anchor` is the token already chosen for position cache.length. Drafts up to `maxDrafts`
  // tokens, verifies as many as the scheduler finds worth it (with `adaptive`; else all of them),
  // leaves the anchor and the accepted drafts in `cache`, and returns the accepted drafts and
  // the next token. Logits are restricted to ids below `idLimit`.
  Step step(VerifyTarget& target, TokenId anchor, std::size_t maxDrafts, bool adaptive,
            Sampler& sampler, std::size_t idLimit, TokenId eos, SpecStats& stats);
  // The same against the CPU backbone this speculator was made with, over `cache`.
  Step step(SessionCache& cache, TokenId anchor, std::size_t maxDrafts, bool adaptive,
            Sampler& sampler, std::size_t idLimit, TokenId eos, SpecStats& stats) {
    CpuVerifyTarget target(target_, cache);
    return step(target, anchor, maxDrafts, adaptive, sampler, idLimit, eos, stats);
  }

 private:
  Transformer& target_;
  DraftScheduler* scheduler_;
  Numerics numerics_;
  kernels::ThreadPool* pool_;
  std::unique_ptr<Drafter> drafter_;
  std::size_t hidden_, window_, vocab_;
  // Per stage, its keys of the last `window_` committed positions, oldest first: the drafter's
  // window rings, filled as positions are committed.
  std::vector<std::vector<float>> rings_;
  std::vector<const float*> ringPointers_;
  std::int64_t committed_ = 0;
  std::vector<float> mainX_, keys_;
  std::vector<float> base_, draftHidden_, corrected_, logits_, taps_, p_, confidences_;
  std::vector<std::vector<float>> q_;
  std::vector<TokenId> ids_;
};

}  // namespace flint::engine
