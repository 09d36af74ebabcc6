#include "engine/spec/speculator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

namespace flint::engine {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Speculator::Speculator(Transformer& target, Numerics numerics, kernels::ThreadPool* pool,
                       DraftScheduler* scheduler)
    : target_(target),
      scheduler_(scheduler),
      numerics_(numerics),
      pool_(pool),
      drafter_(std::make_unique<Drafter>(target.files(), target.weights())),
      hidden_(std::size_t(target.config().hiddenSize)),
      window_(std::size_t(target.config().slidingWindow)),
      vocab_(std::size_t(target.config().vocabSize)) {}

Speculator::~Speculator() = default;

std::size_t Speculator::blockSize() const {
  return drafter_->blockSize();
}

void Speculator::reset() {
  rings_.assign(drafter_->stages(), {});
  committed_ = 0;
}

Speculator::State Speculator::state() const {
  State s{committed_, rings_};
  s.rings.resize(drafter_->stages());  // none yet before the first commit
  return s;
}

void Speculator::restore(State state) {
  const std::size_t width = drafter_->keyWidth();
  if (state.committed < 0 || state.rings.size() != drafter_->stages())
    throw std::invalid_argument("the drafter state has " + std::to_string(state.rings.size()) +
                                " stages; this drafter has " + std::to_string(drafter_->stages()));
  for (const auto& ring : state.rings)
    if (ring.size() % width != 0 || ring.size() / width > window_ ||
        ring.size() / width > std::size_t(state.committed))
      throw std::invalid_argument("a drafter window ring of " + std::to_string(ring.size()) +
                                  " values does not fit this drafter");
  rings_ = std::move(state.rings);
  committed_ = state.committed;
}

void Speculator::skip(std::size_t tokens) {
  if (tokens == 0) return;
  for (auto& ring : rings_) ring.clear();
  committed_ += std::int64_t(tokens);
}

void Speculator::commit(const std::vector<float>& taps, std::size_t tokens) {
  const LinearContext ctx{numerics_, pool_};
  const std::size_t d = hidden_, D = drafter_->keyWidth();
  if (rings_.size() != drafter_->stages()) rings_.assign(drafter_->stages(), {});
  mainX_.resize(tokens * d);
  drafter_->project(ctx, taps.data(), tokens, mainX_.data());
  keys_.resize(tokens * D);
  for (std::size_t s = 0; s < rings_.size(); ++s) {
    drafter_->stageKeys(ctx, s, mainX_.data(), tokens, committed_, keys_.data());
    std::vector<float>& ring = rings_[s];
    ring.insert(ring.end(), keys_.begin(), keys_.end());
    const std::size_t rows = ring.size() / D;
    if (rows > window_)
      ring.erase(ring.begin(), ring.begin() + std::ptrdiff_t((rows - window_) * D));
  }
  committed_ += std::int64_t(tokens);
}

Speculator::Step Speculator::step(VerifyTarget& target, TokenId anchor, std::size_t maxDrafts,
                                  bool adaptive, Sampler& sampler, std::size_t idLimit, TokenId eos,
                                  SpecStats& stats) {
  const LinearContext ctx{numerics_, pool_};
  const std::size_t most = std::min({maxDrafts, drafter_->blockSize(), DraftScheduler::kMaxDrafts});
  const bool schedule = scheduler_ && adaptive && most > 0;
  const bool draft = most > 0 && (!schedule || scheduler_->shouldDraft());
  const auto stepStart = Clock::now();
  const auto known = [&](const float* row) { return std::span<const float>(row, idLimit); };

  // Draft: one pass over [anchor, noise...], then the Markov chain left to right, with each
  // draft's confidence; then the scheduler picks how many of them to verify.
  ids_.assign(1, anchor);
  std::size_t k = 0;
  if (draft) {
    ringPointers_.clear();
    for (const auto& ring : rings_) ringPointers_.push_back(ring.data());
    const std::size_t context = rings_.empty() ? 0 : rings_[0].size() / drafter_->keyWidth();
    drafter_->block(ctx, ringPointers_, context, target.length(), anchor, base_, draftHidden_);
    corrected_.resize(vocab_);
    q_.resize(most);
    confidences_.resize(most);
    TokenId previous = anchor;
    for (std::size_t j = 0; j < most; ++j) {
      drafter_->markov(ctx, base_.data() + j * vocab_, previous, corrected_.data());
      confidences_[j] =
          1.0f /
          (1.0f + std::exp(-drafter_->confidence(draftHidden_.data() + j * hidden_, previous)));
      sampler.distribution(known(corrected_.data()), q_[j]);
      previous = sampler.greedy() ? argmax(known(corrected_.data())) : sampler.draw(q_[j]);
      ids_.push_back(previous);
    }
    k = schedule ? scheduler_->chooseLength(confidences_) : most;
    ids_.resize(k + 1);
  }
  SpecStep record;
  record.drafts = k;
  record.draftSeconds = secondsSince(stepStart);

  // Verify [anchor, drafts] in one target pass.
  const auto verifyStart = Clock::now();
  target.verify(ids_, numerics_, logits_, taps_);
  const double passSeconds = secondsSince(verifyStart);
  Step out;
  std::size_t kept = 0;  // accepted drafts
  bool decided = false;
  for (std::size_t j = 0; j < k; ++j) {
    const TokenId proposed = ids_[j + 1];
    const float* row = logits_.data() + j * vocab_;
    ++record.tried;
    bool accept;
    if (sampler.greedy()) {
      accept = proposed == argmax(known(row));
    } else {
      sampler.distribution(known(row), p_);
      const double p = p_[std::size_t(proposed)], q = q_[j][std::size_t(proposed)];
      accept = q > 0 && sampler.uniform() < std::min(1.0, p / q);
    }
    if (!accept) {
      if (sampler.greedy()) {
        out.next = argmax(known(row));
      } else {  // the residual max(p - q, 0), or p itself where q covers p
        double mass = 0;
        for (std::size_t v = 0; v < p_.size(); ++v)
          mass += (p_[v] = std::max(0.0f, p_[v] - q_[j][v]));
        if (mass <= 0) sampler.distribution(known(row), p_);
        out.next = sampler.draw(p_);
      }
      decided = true;
      break;
    }
    ++kept;
    if (proposed == eos) {  // the reply ends here; nothing after it is kept
      decided = true;
      out.next = eos;
      break;
    }
  }
  if (!decided) out.next = sampler.sample(known(logits_.data() + k * vocab_));
  out.accepted = std::span<const TokenId>(ids_).subspan(1, kept);
  target.keepFirst(kept + 1);
  taps_.resize((kept + 1) * (taps_.size() / ids_.size()));
  commit(taps_, kept + 1);

  record.accepted = kept;
  record.experts = target.lastDistinctExperts();
  record.verifySeconds = secondsSince(verifyStart);
  stats.record(record);
  if (schedule) {
    scheduler_->recordVerify(ids_.size(), passSeconds, record.experts);
    if (k > 0) scheduler_->recordOutcome(confidences_, record.tried, kept);
    scheduler_->recordStep(draft, double(kept + 1) / std::max(1e-9, secondsSince(stepStart)));
  }
  return out;
}

}  // namespace flint::engine
