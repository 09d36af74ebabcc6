// flint-cli bench: prefill and decode speed on a model, next to the machine's measured read
// bandwidth, so the fraction of the bandwidth limit is one division:
//   decode_bandwidth_fraction = decode tok/s * weight bytes per token / read bandwidth.
#include "app/cli/bench_prefix_cache.h"
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"
#include "app/cli/svg_line_chart.h"
#include "engine/gpu/device_bandwidth.h"
#include "kernels/cpu/bandwidth.h"
#include "kernels/cpu/matmul.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <random>

namespace flint::cli {

namespace {

class QuietSink : public engine::StreamSink {
 public:
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const engine::Stats&) override {}
};

struct ChatRun {
  std::size_t tokens = 0;
  double seconds = 0;
  engine::SpecCounters spec;
};

// How one workload run decodes: drafts per pass at most, and whether the scheduler decides.
struct Variant {
  std::size_t maxDrafts;
  bool adaptive;
};

// Decoding real questions (speculation needs text its drafter can predict, not random ids):
// every prompt in each thinking mode, greedy. The variants run back to back on each question,
// so the machine's drift (frequency, other load) reaches all of them alike.
std::vector<ChatRun> chatWorkload(engine::Engine& engine, std::span<const Variant> variants,
                                  int maxTokens) {
  static const char* kPrompts[] = {"What is 47+38?", "What is 315-128?", "Hi",
                                   "Sort these numbers from smallest to largest: 42, 7, 19.",
                                   "How many minutes are in 5 hours?"};
  std::vector<ChatRun> runs(variants.size());
  QuietSink sink;
  for (const char* prompt : kPrompts)
    for (auto mode : {engine::ThinkingMode::kNonThink, engine::ThinkingMode::kHigh})
      for (std::size_t v = 0; v < variants.size(); ++v) {
        engine::GenerateRequest request;
        request.messages = {{engine::ChatRole::kUser, prompt, ""}};
        request.mode = mode;
        request.sampling.temperature = 0;
        request.maxTokens = maxTokens;
        request.maxDrafts = variants[v].maxDrafts;
        request.adaptiveDrafts = variants[v].adaptive;
        const engine::GenerateResult r = engine.newSession()->generate(request, sink);
        ChatRun& run = runs[v];
        run.tokens += r.stats.generatedTokens;
        run.seconds += r.stats.decodeSeconds;
        run.spec += r.stats.spec;
      }
  return runs;
}

// flint-cli bench --spec on|off: the chat workload without the drafter, with it drafting on
// every step (what the drafter achieves: acceptance, accepted length, raw speedup) and with the
// scheduler deciding (what a user gets), in the same run.
int benchSpeculation(const ParsedArgs& args, CommandContext& ctx, bool on) {
  const long long genTokens = args.integer("gen-tokens").value_or(128);
  auto engine = loadEngine(args);
  if (!engine->config().dspark) throw UsageError("--spec needs a model with a DSpark drafter");
  const Variant variants[] = {{0, true}, {5, false}, {on ? std::size_t(5) : 0, true}};
  chatWorkload(*engine, variants, 4);  // maps the weights' pages and warms the scheduler
  const std::vector<ChatRun> runs = chatWorkload(*engine, variants, int(genTokens));
  const ChatRun &plain = runs[0], &always = runs[1], &chosen = runs[2];
  auto rate = [](const ChatRun& r) { return double(r.tokens) / r.seconds; };
  nlohmann::json j = {{"model", modelDir(args).string()},
                      {"spec", on ? "on" : "off"},
                      {"generated_tokens", chosen.tokens},
                      {"decode_tokens_per_second", rate(chosen)},
                      {"plain_decode_tokens_per_second", rate(plain)},
                      {"speedup", rate(chosen) / rate(plain)},
                      {"verify_passes", chosen.spec.steps},
                      {"always_drafting",
                       {{"decode_tokens_per_second", rate(always)},
                        {"speedup", rate(always) / rate(plain)},
                        {"verify_passes", always.spec.steps},
                        {"draft_tokens", always.spec.draftTokens},
                        {"accepted_tokens", always.spec.acceptedTokens},
                        {"acceptance_rate", always.spec.acceptanceRate()},
                        {"mean_accepted_length", always.spec.meanAcceptedLength()},
                        {"draft_seconds", always.spec.draftSeconds},
                        {"experts_per_verify_pass", always.spec.expertsPerVerify()},
                        {"verify_seconds", always.spec.verifySeconds}}}};
  if (args.has("json")) {
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  char text[640];
  std::snprintf(text, sizeof text,
                "decode   %.1f tok/s with speculation %s (scheduled), %.1f tok/s without: %.2fx\n"
                "always   %.1f tok/s drafting every step: %.2fx; %zu of %zu drafts accepted "
                "(%.0f%%), %.2f tokens per verify pass\n",
                rate(chosen), on ? "on" : "off", rate(plain), rate(chosen) / rate(plain),
                rate(always), rate(always) / rate(plain), always.spec.acceptedTokens,
                always.spec.draftTokens, 100.0 * always.spec.acceptanceRate(),
                always.spec.meanAcceptedLength());
  ctx.out << text;
  return 0;
}

// flint-cli bench --expert-budgets: the chat workload decoded plainly with the routed experts in
// a host budget of 100, 50, 25 and 10 % of their bytes, for LRU and frequency eviction without
// prefetch and for frequency with the look-ahead prefetch; decode speed, the share of expert uses
// served from memory and the look-ahead's accuracy. The rest are read from the checkpoint's
// shards (from the page cache once read: this measures the policy and the read path, not a cold
// disk). The router trace is the model's own routing of the workload's greedy replies. A device
// tier given with --gpu-mem and --simulate-gpu sits above every run. --svg writes the plot.
int benchExpertBudgets(const ParsedArgs& args, CommandContext& ctx) {
  const long long genTokens = args.integer("gen-tokens").value_or(64);
  const Variant plain[] = {{0, true}};
  struct Policy {
    const char* name;
    engine::EvictionPolicy policy;
    bool lookAhead;
  };
  const Policy policies[] = {{"lru", engine::EvictionPolicy::Lru, false},
                             {"frequency", engine::EvictionPolicy::Frequency, false},
                             {"frequency+prefetch", engine::EvictionPolicy::Frequency, true}};
  nlohmann::json rows = nlohmann::json::array();
  std::vector<ChartSeries> speed, hits;
  for (const Policy& p : policies) {
    speed.push_back({p.name, {}});
    hits.push_back({p.name, {}});
    for (double fraction : {1.0, 0.5, 0.25, 0.1}) {
      engine::LoadOptions options = loadOptions(args);
      options.hostExpertFraction = fraction;
      options.expertPolicy = p.policy;
      options.expertLookAhead = p.lookAhead;
      auto engine = engine::Engine::load(modelDir(args), options);
      const engine::ExpertStats before = *engine->expertStats();
      const ChatRun run = chatWorkload(*engine, plain, int(genTokens))[0];
      const engine::ExpertStats e = engine->expertStats()->since(before);
      const double rate = double(run.tokens) / run.seconds;
      speed.back().points.emplace_back(100 * fraction, rate);
      hits.back().points.emplace_back(100 * fraction, 100 * e.hitRate());
      rows.push_back({{"policy", p.name},
                      {"host_fraction", fraction},
                      {"decode_tokens_per_second", rate},
                      {"hit_rate", e.hitRate()},
                      {"expert_uses", e.uses()},
                      {"disk_reads", e.diskReads},
                      {"read_ahead", e.readAhead},
                      {"bytes_read", e.bytesRead},
                      {"read_seconds", e.readSeconds},
                      {"device_hit_rate", e.deviceHitRate()},
                      {"bytes_to_device", e.bytesToDevice},
                      {"prefetch_accuracy", e.prefetchAccuracy()}});
    }
  }
  if (auto svg = args.value("svg")) {
    std::ofstream file(*svg);
    file << svgLineCharts(
        {{"Decode speed", "host budget (% of routed experts)", "tokens / s", speed},
         {"Expert uses served from memory", "host budget (% of routed experts)", "hit rate (%)",
          hits}});
    if (!file) throw CommandError("could not write " + *svg);
  }
  const nlohmann::json j = {{"model", modelDir(args).string()}, {"runs", rows}};
  if (args.has("json")) {
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : rows) {
    char line[240];
    std::snprintf(line, sizeof line,
                  "%-18s host %3.0f%%: %7.1f tok/s, %5.1f%% hits, %zu reads, look-ahead %3.0f%% "
                  "right\n",
                  r["policy"].get<std::string>().c_str(), 100 * r["host_fraction"].get<double>(),
                  r["decode_tokens_per_second"].get<double>(), 100 * r["hit_rate"].get<double>(),
                  r["disk_reads"].get<std::size_t>(), 100 * r["prefetch_accuracy"].get<double>());
    ctx.out << line;
  }
  return 0;
}

}  // namespace

int runBench(const ParsedArgs& args, CommandContext& ctx) {
  if (args.has("expert-budgets")) return benchExpertBudgets(args, ctx);
  if (args.has("prefix-cache")) return benchPrefixCache(args, ctx);
  if (auto spec = args.value("spec")) {
    if (*spec != "on" && *spec != "off")
      throw UsageError("--spec must be on or off, not '" + *spec + "'");
    return benchSpeculation(args, ctx, *spec == "on");
  }
  const long long promptTokens = args.integer("prompt-tokens").value_or(128);
  const long long genTokens = args.integer("gen-tokens").value_or(32);
  if (promptTokens < 1 || genTokens < 1)
    throw UsageError("--prompt-tokens and --gen-tokens must be 1 or more");

  auto engine = loadEngine(args);
  const auto& config = engine->config();
  if (promptTokens + genTokens > config.maxPositionEmbeddings)
    throw UsageError("--prompt-tokens plus --gen-tokens exceed the model's context of " +
                     std::to_string(config.maxPositionEmbeddings));
  const std::size_t threads = args.integer("threads") ? std::size_t(*args.integer("threads")) : 0;
  kernels::ThreadPool pool(threads);
  const double bandwidth = kernels::measureReadBandwidth(pool);

  std::mt19937 rng(1234);
  std::uniform_int_distribution<engine::TokenId> pick(0, engine::TokenId(config.vocabSize - 1));
  std::vector<engine::TokenId> prompt(static_cast<std::size_t>(promptTokens));
  for (auto& id : prompt) id = pick(rng);

  using Clock = std::chrono::steady_clock;
  auto session = engine->newSession();
  // One untimed token first: it maps the weights' pages, as a loaded app would have.
  session->feed(std::span(prompt.data(), 1));
  session->reset();
  const auto prefillStart = Clock::now();
  std::span<const float> logits = session->feed(prompt);
  const double prefillSeconds = std::chrono::duration<double>(Clock::now() - prefillStart).count();

  const auto decodeStart = Clock::now();
  for (long long i = 0; i < genTokens; ++i) {
    const engine::TokenId next = engine::argmax(logits);
    logits = session->feed(std::span(&next, 1));
  }
  const double decodeSeconds = std::chrono::duration<double>(Clock::now() - decodeStart).count();

  const double decodeRate = double(genTokens) / decodeSeconds;
  const std::size_t bytesPerToken = engine->weightBytesPerToken();
  nlohmann::json j = {
      {"model", modelDir(args).string()},
      {"threads", pool.size()},
      {"kernel_isa", kernels::bestRowDotKernels().isa},
      {"numerics", args.valueOr("numerics", "official")},
      {"prompt_tokens", promptTokens},
      {"prefill_seconds", prefillSeconds},
      {"prefill_tokens_per_second", double(promptTokens) / prefillSeconds},
      {"generated_tokens", genTokens},
      {"decode_seconds", decodeSeconds},
      {"decode_tokens_per_second", decodeRate},
      {"weight_bytes_per_token", bytesPerToken},
      {"read_bandwidth_bytes_per_second", bandwidth},
      {"decode_bandwidth_fraction", decodeRate * double(bytesPerToken) / bandwidth},
  };
  // On a GPU the reference is the device's own bandwidth: weights stream from device memory.
  double deviceBandwidth = 0;
  j["compute"] = engine->computeDescription();
  if (const auto plan = engine->deviceMemoryPlan()) {
    deviceBandwidth = engine::measureDeviceCopyBandwidth(*engine::CudaOps::create(0));
    j["device"] = plan->deviceName;
    j["device_experts"] = plan->deviceExperts;
    j["routed_experts"] = plan->routedExperts;
    j["device_copy_bandwidth_bytes_per_second"] = deviceBandwidth;
    j["decode_device_bandwidth_fraction"] = decodeRate * double(bytesPerToken) / deviceBandwidth;
  }
  if (args.has("json")) {
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  char text[512];
  std::snprintf(text, sizeof text,
                "prefill  %lld tokens in %.2f s: %.1f tok/s\n"
                "decode   %lld tokens in %.2f s: %.2f tok/s\n"
                "weights  %.1f MB read per decoded token\n"
                "memory   %.1f GB/s read bandwidth (%zu threads)\n"
                "decode reaches %.0f%% of the bandwidth limit\n",
                promptTokens, prefillSeconds, double(promptTokens) / prefillSeconds, genTokens,
                decodeSeconds, decodeRate, double(bytesPerToken) / 1e6, bandwidth / 1e9,
                pool.size(), 100.0 * decodeRate * double(bytesPerToken) / bandwidth);
  ctx.out << text;
  if (deviceBandwidth > 0) {
    std::snprintf(text, sizeof text,
                  "device   %s: %.0f GB/s copy bandwidth; decode reaches %.1f%% of it\n",
                  engine->computeDescription().c_str(), deviceBandwidth / 1e9,
                  100.0 * decodeRate * double(bytesPerToken) / deviceBandwidth);
    ctx.out << text;
  }
  return 0;
}

}  // namespace flint::cli
