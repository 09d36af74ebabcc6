// flint-cli's contract: one clear line and a non-zero status for anything wrong; no traces.
#include "app/cli/cli_app.h"
#include "app/store/conversation_service.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace flint::cli {
namespace {

struct CliRun {
  int status;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = runCli(args, out, err);
  return {status, out.str(), err.str()};
}

std::size_t lines(const std::string& s) {
  return std::size_t(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, PrintsTheVersion) {
  const CliRun r = run({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("flint-cli ") + FLINT_TEST_VERSION + "\n");
}

TEST(Cli, UnknownCommandIsOneLine) {
  const CliRun r = run({"frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(lines(r.err), 1u);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, UnknownOptionIsOneLine) {
  for (const auto& bad : {std::vector<std::string>{"doctor", "--jsn"},
                          {"doctor", "-j"},
                          {"doctor", "extra"},
                          {"doctor", "--json=yes"},
                          {"doctor", "--json", "--json"}}) {
    const CliRun r = run(bad);
    EXPECT_EQ(r.status, 2) << bad.back();
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("flint-cli doctor: ", 0), 0u) << r.err;
  }
}

TEST(Cli, HelpListsEveryCommand) {
  const CliRun r = run({"--help"});
  EXPECT_EQ(r.status, 0);
  for (const auto& c : commandTable())
    EXPECT_NE(r.out.find("  " + c.name), std::string::npos) << c.name;
  const CliRun h = run({"doctor", "--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("--json"), std::string::npos);
  EXPECT_EQ(run({}).status, 2) << "no command is a usage error";
}

TEST(Cli, DoctorJsonIsValid) {
  const CliRun r = run({"doctor", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // throws (fails the test) if invalid
  EXPECT_TRUE(j.contains("cpu"));
  EXPECT_TRUE(j.contains("gpu"));
}

TEST(Cli, DoctorTextNamesEachSection) {
  const CliRun r = run({"doctor"});
  ASSERT_EQ(r.status, 0);
  for (const char* s : {"CPU", "RAM", "GPU", "Compute", "Disk", "Advice"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_NE(r.out.find("opt-in (--device cuda)"), std::string::npos) << r.out;
}

// What --device auto would pick agrees with the GPU section; the default stays the CPU.
TEST(Cli, DoctorJsonSaysWhereTheEngineWouldCompute) {
  const CliRun r = run({"doctor", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("compute")) << r.out;
  const auto& compute = j["compute"];
  EXPECT_EQ(compute["default_device"], "cpu");
  EXPECT_EQ(compute["cuda_opt_in"], "--device cuda");
  EXPECT_FALSE(compute["summary"].get<std::string>().empty());
  if (j["gpu"]["available"].get<bool>()) {
    EXPECT_EQ(compute["auto_device"], "cuda");
    EXPECT_EQ(compute["device"], j["gpu"]["devices"][0]["name"]);
    EXPECT_TRUE(compute["reason"].is_null());
  } else {
    EXPECT_EQ(compute["auto_device"], "cpu");
    EXPECT_EQ(compute["reason"], j["gpu"]["reason"]);
    EXPECT_TRUE(compute["memory_total_bytes"].is_null());
  }
}

TEST(ParsedArgs, TypedValuesAreChecked) {
  const std::vector<OptionSpec> specs = {{"n", true, ""}, {"t", true, ""}, {"id", true, "", true}};
  const std::vector<std::string> args = {"--n",  "12", "--t=0.5", "--id",  "1",
                                         "--id", "2",  "--",      "--free"};
  const ParsedArgs p = parseArgs("x", args, specs, true);
  EXPECT_EQ(p.integer("n"), 12);
  EXPECT_DOUBLE_EQ(*p.number("t"), 0.5);
  EXPECT_EQ(p.values("id"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(p.positionals(), (std::vector<std::string>{"--free"}));
  const std::vector<std::string> bad = {"--n", "12x"};
  EXPECT_THROW(parseArgs("x", bad, specs, false).integer("n"), UsageError);
  const std::vector<std::string> missing = {"--n"};
  EXPECT_THROW(parseArgs("x", missing, specs, false), UsageError);
}

// The real executable: exit status and stderr, no "terminate called" or stack trace.
CliRun runBinary(const std::string& args) {
  const std::string cmd = std::string(FLINT_TEST_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string all;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) all.append(buf.data(), n);
  const int st = pclose(pipe);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, all, ""};
}

TEST(CliBinary, RunsWithoutAGpu) {
  const CliRun v = runBinary("--version");
  EXPECT_EQ(v.status, 0) << v.out;
  const CliRun d = runBinary("doctor --json");
  ASSERT_EQ(d.status, 0) << d.out;
  EXPECT_TRUE(nlohmann::json::accept(d.out)) << d.out;
  const CliRun bad = runBinary("doctor --bogus");
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(lines(bad.out), 1u) << bad.out;
  EXPECT_EQ(bad.out.find("terminate"), std::string::npos);
}

}  // namespace
}  // namespace flint::cli

namespace flint::cli {
namespace {

const std::string kTiny = std::string(FLINT_TEST_CHECKPOINTS) + "/tiny_sharded";

CliRun runModel(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = runCli(args, out, err);
  return {status, out.str(), err.str()};
}

TEST(CliModel, LogitsPrintsOneRowPerId) {
  const CliRun r = runModel({"logits", "--model", kTiny, "--ids", "0,5,9", "--numerics", "fp32"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].size(), 320u) << "the tiny preset's vocabulary";
  const CliRun d =
      runModel({"logits", "--model", kTiny, "--ids", "0,5,9", "--numerics", "fp32", "--decode"});
  ASSERT_EQ(d.status, 0) << d.err;
  const auto decoded = nlohmann::json::parse(d.out);
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t v = 0; v < 320; ++v)
      ASSERT_NEAR(decoded[t][v].get<double>(), rows[t][v].get<double>(), 1e-4) << t << " " << v;
}

TEST(CliModel, LogitsBadInputIsOneLine) {
  const CliRun badList = runModel({"logits", "--model", kTiny, "--ids", "0,x"});
  EXPECT_EQ(badList.status, 2);
  EXPECT_EQ(lines(badList.err), 1u) << badList.err;
  const CliRun outside = runModel({"logits", "--model", kTiny, "--ids", "0,99999"});
  EXPECT_EQ(outside.status, 1);
  EXPECT_EQ(lines(outside.err), 1u) << outside.err;
  EXPECT_NE(outside.err.find("outside the vocabulary"), std::string::npos) << outside.err;
  const CliRun missing = runModel({"logits", "--model", "/nonexistent/model", "--ids", "0"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
  const CliRun noIds = runModel({"logits", "--model", kTiny});
  EXPECT_EQ(noIds.status, 2);
}

TEST(CliModel, ChatAnswersOnceAndReportsSpeeds) {
  const CliRun r = runModel({"chat", "--model", kTiny, "--prompt", "hi", "--temperature", "0",
                             "--max-tokens", "6", "--no-save"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.find("Answer: ") != std::string::npos ||
              r.out.find("Thinking: ") != std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("[prompt "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tok/s; decode "), std::string::npos) << r.out;
  const CliRun same = runModel({"chat", "--model", kTiny, "--prompt", "hi", "--temperature", "0",
                                "--max-tokens", "6", "--no-save"});
  EXPECT_EQ(same.out.substr(0, same.out.find("[prompt")), r.out.substr(0, r.out.find("[prompt")))
      << "greedy decoding repeats itself";
  EXPECT_EQ(
      runModel({"chat", "--model", kTiny, "--prompt", "hi", "--mode", "deep", "--no-save"}).status,
      2);
  EXPECT_EQ(
      runModel({"chat", "--model", kTiny, "--prompt", "hi", "--top-p", "0", "--no-save"}).status,
      2);
}

// A fresh install chats at once: with no --model every command uses the bundled flint-tiny,
// and in Think High it reasons before it answers.
TEST(CliModel, BundledFlintTinyIsTheDefaultAndReasons) {
  const CliRun r = runModel({"chat", "--prompt", "What is 47+38?", "--mode", "high",
                             "--temperature", "0", "--max-tokens", "300", "--no-save"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto thinking = r.out.find("Thinking: "), answer = r.out.find("Answer: ");
  ASSERT_NE(thinking, std::string::npos) << r.out;
  ASSERT_NE(answer, std::string::npos) << r.out;
  EXPECT_LT(thinking, answer) << r.out;
  const CliRun inspect = runModel({"inspect"});
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("flint-tiny"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("dspark"), std::string::npos) << inspect.out;
}

TEST(CliModel, ChatSavesIntoTheDatabaseUnlessAskedNotTo) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "flint_chat_save";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "flint.db").string();
  const CliRun r = runModel({"chat", "--model", kTiny, "--prompt", "hello there", "--mode", "high",
                             "--temperature", "0", "--max-tokens", "8", "--db", db});
  ASSERT_EQ(r.status, 0) << r.err;
  store::ConversationService service(db);
  const auto conversations = service.list();
  ASSERT_EQ(conversations.size(), 1u);
  EXPECT_EQ(conversations[0].title, "hello there");
  const auto branch = service.shownBranch(conversations[0].id);
  ASSERT_EQ(branch.size(), 2u);
  EXPECT_EQ(branch[0].message.content, "hello there");
  const auto& answer = branch[1].message;
  EXPECT_EQ(answer.state, store::MessageState::Done);
  EXPECT_EQ(answer.mode, store::ThinkingMode::High);
  EXPECT_EQ(answer.stats["generated_tokens"].get<int>(), 8);
  // What was printed is what was stored (printed thinking comes first, after "Thinking: ").
  if (!answer.thinking.empty()) {
    EXPECT_NE(r.out.find(answer.thinking), std::string::npos);
  }

  const std::string other = (dir / "other.db").string();
  ASSERT_EQ(runModel({"chat", "--model", kTiny, "--prompt", "hi", "--max-tokens", "2", "--db",
                      other, "--no-save"})
                .status,
            0);
  EXPECT_FALSE(std::filesystem::exists(other)) << "--no-save writes nothing";
}

TEST(CliModel, BenchReportsEveryFigure) {
  const CliRun r =
      runModel({"bench", "--model", kTiny, "--prompt-tokens", "8", "--gen-tokens", "4", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"prefill_tokens_per_second", "decode_tokens_per_second", "weight_bytes_per_token",
        "read_bandwidth_bytes_per_second", "decode_bandwidth_fraction"})
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  EXPECT_EQ(j["generated_tokens"].get<int>(), 4);
}

// chat prints the speculation figures after the reply: over the whole reply and, once it is
// longer than the window, over the last 32 steps. On the checkpoint whose drafter and target
// agree by construction every draft is accepted.
TEST(CliModel, ChatPrintsSpeculationFigures) {
  const std::string alphabet = std::string(FLINT_TEST_CHECKPOINTS) + "/small_alphabet";
  const CliRun r = runModel({"chat", "--model", alphabet, "--prompt", "hi", "--temperature", "0",
                             "--max-tokens", "200", "--no-save", "--threads", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"), std::string::npos)
      << r.out;
  for (const char* part : {"[speculation: ", "verify passes and ", "by position:", "draft ",
                           "experts read per pass", "[last 32 steps: "})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " missing from\n" << r.out;
  const CliRun off = runModel({"chat", "--model", alphabet, "--prompt", "hi", "--temperature", "0",
                               "--max-tokens", "20", "--no-save", "--spec", "off"});
  ASSERT_EQ(off.status, 0) << off.err;
  EXPECT_EQ(off.out.find("[speculation"), std::string::npos) << off.out;
}

// --host-mem keeps a share of the routed experts in memory and reads the rest from the
// checkpoint; the reply is the same and the hit rate is printed.
TEST(CliModel, ChatWithAHostExpertBudgetAnswersTheSame) {
  const std::string model = std::string(FLINT_TEST_CHECKPOINTS) + "/experts64";
  const std::vector<std::string> ask = {"chat",        "--model",       model, "--prompt",
                                        "hello there", "--temperature", "0",   "--max-tokens",
                                        "40",          "--no-save"};
  const CliRun all = runModel(ask);
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_EQ(all.out.find("[experts:"), std::string::npos);
  for (const char* budget : {"25%", "10%", "2M"}) {
    std::vector<std::string> limited = ask;
    limited.insert(limited.end(), {"--host-mem", budget});
    const CliRun r = runModel(limited);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto answer = [](const std::string& out) { return out.substr(0, out.find("\n\n[")); };
    EXPECT_EQ(answer(r.out), answer(all.out)) << budget;
    EXPECT_NE(r.out.find("% from host memory"), std::string::npos) << r.out;
  }
  std::vector<std::string> tooSmall = ask;
  tooSmall.insert(tooSmall.end(), {"--host-mem", "1K"});
  const CliRun refused = runModel(tooSmall);
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("experts one token uses"), std::string::npos) << refused.err;
  std::vector<std::string> bad = ask;
  bad.insert(bad.end(), {"--host-mem", "lots"});
  EXPECT_EQ(runModel(bad).status, 2);
}

// --device and its companions are checked before anything loads: one sentence, status 2.
TEST(CliModel, DeviceOptionsAreCheckedInOneSentence) {
  const std::vector<std::string> logits = {"logits", "--model", kTiny, "--ids", "0,5"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = logits;
    args.insert(args.end(), extra.begin(), extra.end());
    return runModel(args);
  };
  const CliRun bad = with({"--device", "gpu"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "--device must be cpu, cuda or auto, not 'gpu'\n");
  const CliRun context = with({"--device", "cuda", "--gpu-context", "lots"});
  EXPECT_EQ(context.status, 2);
  EXPECT_EQ(lines(context.err), 1u) << context.err;
  EXPECT_NE(context.err.find("--gpu-context takes a number of tokens"), std::string::npos)
      << context.err;
  const CliRun cpu = with({"--device", "cpu", "--gpu-context", "32K"});
  EXPECT_EQ(cpu.status, 0) << cpu.err;
  EXPECT_TRUE(nlohmann::json::accept(cpu.out));
}

TEST(CliModel, SimulateGpuDoesNotCombineWithCuda) {
  const std::vector<std::string> ask = {"chat",      "--model",      kTiny, "--prompt",      "hi",
                                        "--no-save", "--max-tokens", "4",   "--temperature", "0",
                                        "--gpu-mem", "50%"};
  std::vector<std::string> cuda = ask;
  cuda.insert(cuda.end(), {"--device", "cuda", "--simulate-gpu", "16G"});
  const CliRun refused = runModel(cuda);
  EXPECT_EQ(refused.status, 2);
  EXPECT_EQ(refused.err,
            "--simulate-gpu models a device in host memory; it does not combine with --device "
            "cuda\n");
  // On the CPU the simulated device tier works as before.
  std::vector<std::string> cpu = ask;
  cpu.insert(cpu.end(), {"--device", "cpu", "--simulate-gpu", "16G"});
  const CliRun simulated = runModel(cpu);
  EXPECT_EQ(simulated.status, 0) << simulated.err;
}

TEST(CliModel, BenchSpecComparesWithAndWithoutTheDrafter) {
  const std::string dspark = std::string(FLINT_TEST_CHECKPOINTS) + "/small_dspark";
  const CliRun r = runModel({"bench", "--model", dspark, "--spec", "on", "--gen-tokens", "6",
                             "--threads", "1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"decode_tokens_per_second", "plain_decode_tokens_per_second", "speedup"})
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  const auto& always = j["always_drafting"];
  EXPECT_GT(always["verify_passes"].get<int>(), 0);
  // Five drafts per pass at most; fewer where the token budget ends.
  EXPECT_LE(always["draft_tokens"].get<int>(), 5 * always["verify_passes"].get<int>());
  EXPECT_GE(always["draft_tokens"].get<int>(), always["verify_passes"].get<int>());
  EXPECT_GE(always["mean_accepted_length"].get<double>(), 1.0);
  EXPECT_EQ(runModel({"bench", "--model", kTiny, "--spec", "on"}).status, 2)
      << "a model without a drafter cannot speculate";
  EXPECT_EQ(runModel({"bench", "--model", dspark, "--spec", "maybe"}).status, 2);
}

}  // namespace
}  // namespace flint::cli
