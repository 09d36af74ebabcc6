// flint-cli's contract: one clear line and a non-zero status for anything wrong; no traces.
#include "app/cli/cli_app.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <sstream>
#include <sys/wait.h>

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

std::size_t lines(const std::string& s) { return std::size_t(std::count(s.begin(), s.end(), '\n')); }

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
  for (const auto& bad : {std::vector<std::string>{"doctor", "--jsn"}, {"doctor", "-j"}, {"doctor", "extra"},
                          {"doctor", "--json=yes"}, {"doctor", "--json", "--json"}}) {
    const CliRun r = run(bad);
    EXPECT_EQ(r.status, 2) << bad.back();
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("flint-cli doctor: ", 0), 0u) << r.err;
  }
}

TEST(Cli, HelpListsEveryCommand) {
  const CliRun r = run({"--help"});
  EXPECT_EQ(r.status, 0);
  for (const auto& c : commandTable()) EXPECT_NE(r.out.find("  " + c.name), std::string::npos) << c.name;
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
  for (const char* s : {"CPU", "RAM", "GPU", "Disk", "Advice"}) EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

TEST(ParsedArgs, TypedValuesAreChecked) {
  const std::vector<OptionSpec> specs = {{"n", true, ""}, {"t", true, ""}, {"id", true, "", true}};
  const std::vector<std::string> args = {"--n", "12", "--t=0.5", "--id", "1", "--id", "2", "--", "--free"};
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
