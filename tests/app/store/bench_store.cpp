// List and search latency over 10,000 conversations (issue 5's "stays fast"). Numbers, not
// assertions: run bin/bench_store and compare with docs/BENCHMARKS.md.
#include "app/store/conversation_service.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

namespace {

using namespace flint::store;

constexpr int kConversations = 10'000;

// One database for every benchmark: 10,000 conversations of 4 messages each.
ConversationService& service() {
  static const std::filesystem::path file = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "flint-bench-XXXXXX").string();
    if (!mkdtemp(dir.data())) std::abort();
    return std::filesystem::path(dir) / "flint.db";
  }();
  static ConversationService s = [] {
    ConversationService created(file);
    Transaction transaction(created.database());
    for (int c = 0; c < kConversations; ++c) {
      const auto chat = created.create(fmt::format("conversation {}", c));
      const auto q =
          created.addUserMessage(chat, fmt::format("question {} about topic{}", c, c % 97));
      StreamingReply reply = created.beginReply(chat, q, {}, std::chrono::milliseconds(0));
      reply.append(fmt::format("an answer mentioning topic{} and word{}", c % 97, c % 1013),
                   "some thinking first");
      reply.finish(MessageState::Done, {});
      created.addUserMessage(chat, "thanks");
    }
    transaction.commit();
    return created;
  }();
  return s;
}

void BM_ListFirstPage(benchmark::State& state) {
  ConversationQuery query;
  query.limit = 100;
  for (auto _ : state) benchmark::DoNotOptimize(service().list(query));
}
BENCHMARK(BM_ListFirstPage)->Unit(benchmark::kMillisecond);

void BM_ListMatchingText(benchmark::State& state) {
  ConversationQuery query;
  query.text = "topic42";
  for (auto _ : state) benchmark::DoNotOptimize(service().list(query));
}
BENCHMARK(BM_ListMatchingText)->Unit(benchmark::kMillisecond);

void BM_SearchRanked(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(service().search("topic42 answer", 50));
}
BENCHMARK(BM_SearchRanked)->Unit(benchmark::kMillisecond);

void BM_ShownBranch(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(service().shownBranch(kConversations / 2));
}
BENCHMARK(BM_ShownBranch)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
