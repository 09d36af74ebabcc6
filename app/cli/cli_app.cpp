#include "app/cli/cli_app.h"

#include "app/paths.h"

#include <ostream>

namespace flint::cli {
namespace {

void printOverview(std::ostream& out) {
  out << "flint-cli " << app::versionString() << ": DeepSeek-V4 on this machine\n\n"
      << "usage: flint-cli COMMAND [OPTIONS]\n\ncommands:\n";
  for (const auto& c : commandTable()) {
    out << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
        << c.summary << "\n";
  }
  out << "\n'flint-cli COMMAND --help' describes one command. --version prints the version.\n";
}

void printCommandHelp(const Command& c, std::ostream& out) {
  out << "usage: flint-cli " << c.name << (c.usage.empty() ? "" : " " + c.usage) << "\n\n"
      << c.summary << "\n";
  if (c.options.empty()) return;
  out << "\noptions:\n";
  for (const auto& o : c.options) {
    std::string left = "--" + o.name + (o.takesValue ? " VALUE" : "");
    out << "  " << left << std::string(left.size() < 22 ? 22 - left.size() : 1, ' ') << o.help
        << "\n";
  }
}

// Options that every command loading a model takes, worded once.
const OptionSpec kModel{"model", true, "the model folder (default: the bundled flint-tiny)"};
const OptionSpec kThreads{"threads", true, "compute threads (default: all)"};
const OptionSpec kCheckFinite{"check-finite", false, "scan the weights for NaN/Inf when loading"};
const OptionSpec kHostMem{"host-mem", true,
                          "host memory for the routed experts: a size (8G, 512M) or a share of "
                          "them (25%); the rest are read from the checkpoint when used (default: "
                          "all mapped)"};
const OptionSpec kDevice{"device", true,
                         "where the backbone computes: cpu (default), cuda (opt-in until its "
                         "parity is measured) or auto (the GPU when one is usable)"};
const OptionSpec kGpuContext{"gpu-context", true,
                             "tokens the GPU's KV cache holds per session (64K, 32768; default: "
                             "the model's context, at most 64K)"};
const OptionSpec kGpuMem{"gpu-mem", true,
                         "device memory for the hottest routed experts: a size or a share of "
                         "them (25%); with --device cpu it needs --simulate-gpu"};
const OptionSpec kSimulateGpu{"simulate-gpu", true,
                              "with --device cpu: model the device tier in host memory behind a "
                              "link of this many bytes per second (16G)"};
const OptionSpec kNumerics{"numerics", true, "official (default) or fp32"};
const OptionSpec kExpertPolicy{
    "expert-policy", true, "which experts leave a full host budget: frequency (default) or lru"};

// `own` followed by the options of every command that runs the engine.
std::vector<OptionSpec> withEngineOptions(std::vector<OptionSpec> own) {
  own.insert(own.end(), {kNumerics, kThreads, kDevice, kGpuContext, kHostMem, kExpertPolicy,
                         kGpuMem, kSimulateGpu, kCheckFinite});
  return own;
}

}  // namespace

const std::vector<Command>& commandTable() {
  static const std::vector<Command> table = {
      {"inspect",
       "describe a model folder: config, parameters, bytes per dtype, layer kinds, memory per tier",
       "[--model DIR] [--context N] [--gpu-context N] [--json]",
       {kModel,
        {"json", false, "print the census as JSON"},
        {"context", true,
         "also feed a session N tokens and measure its KV cache by layer kind against the "
         "spec's figures"},
        kGpuContext},
       false,
       &runInspect},
      {"doctor",
       "check this machine: CPU features, memory, GPU and driver, disk; advice in words",
       "[--json]",
       {{"json", false, "print the report as JSON"}},
       false,
       &runDoctor},
      {"setup",
       "set up this workstation: check it, verify a V4 model folder, plan its memory, save the "
       "plan",
       "[--model DIR] [--checksum] [--yes]",
       {{"model", true, "the downloaded model folder (default: search the usual places)"},
        {"checksum", false, "also read every shard and check its SHA-256"},
        {"yes", false, "save the plan without asking"}},
       false,
       &runSetup},
      {"export",
       "write conversations as Markdown (the shown branch) or JSON (to keep or import)",
       "(--conversation ID | --all) [--format md|json] [--tree] [--no-thinking] [--out PATH]",
       {{"conversation", true, "the conversation's id"},
        {"all", false, "every conversation (md: one file each under --out DIR)"},
        {"format", true, "md (default) or json"},
        {"tree", false, "json: every branch, not only the shown one"},
        {"no-thinking", false, "leave the model's thinking out"},
        {"out", true, "write here instead of standard output"},
        {"db", true, "the database file (default: the one the GUI uses)"}},
       false,
       &runExport},
      {"import",
       "add conversations from a JSON export",
       "FILE.json [--db FILE]",
       {{"db", true, "the database file (default: the one the GUI uses)"}},
       true,
       &runImport},
      {"tokenize",
       "the token ids of TEXT under a model's tokenizer.json",
       "[--model DIR] [--json] [--no-special] TEXT",
       {kModel,
        {"json", false, "print ids and each token's text as JSON"},
        {"no-special", false, "encode added tokens such as <｜User｜> as plain text"}},
       true,
       &runTokenize},
      {"detokenize",
       "the text of token ids, byte for byte",
       "[--model DIR] --ids 1,2,3",
       {kModel, {"ids", true, "comma-separated token ids"}},
       false,
       &runDetokenize},
      {"prompt",
       "the exact DeepSeek-V4 prompt for a conversation, as text bytes or (--json) text and ids",
       "[--model DIR] --mode non-think|high|max ([--system S] --user U | --messages F.json) "
       "[--json]",
       {kModel,
        {"mode", true, "non-think, high or max"},
        {"system", true, "a system prompt (with --user)"},
        {"user", true, "the user's message"},
        {"messages", true, "a JSON list of {role, content, reasoning_content?}"},
        {"json", false, "print text and ids as JSON"}},
       false,
       &runPrompt},
      {"logits",
       "float32 logits of every position of a list of token ids, as JSON",
       "--ids 0,5,9 [--model DIR] [--numerics official|fp32] [--decode] [--out F.json]",
       {kModel,
        {"ids", true, "comma-separated token ids"},
        {"numerics", true, "official (default: the reference's rounding) or fp32"},
        {"decode", false, "feed one token at a time instead of one prefill"},
        {"out", true, "write the JSON here instead of standard output"},
        kThreads,
        kDevice,
        kGpuContext,
        kCheckFinite},
       false,
       &runLogits},
      {"chat", "talk to a model: one answer with --prompt, else a conversation on standard input",
       "[--model DIR] [--mode non-think|high|max] [--prompt P] [--temperature T] [--top-p P] "
       "[--seed S] [--spec on|off] [--device cpu|cuda|auto] [--host-mem SIZE|N%] [--gpu-mem "
       "SIZE|N%]",
       withEngineOptions(
           {kModel,
            {"mode", true, "non-think (default), high or max"},
            {"prompt", true, "ask this once and exit"},
            {"system", true, "a system prompt"},
            {"temperature", true, "sampling temperature (default 1.0; 0 is greedy)"},
            {"top-p", true, "nucleus size (default 1.0: off)"},
            {"top-k", true, "keep only the k most likely tokens (default 0: off)"},
            {"seed", true, "random seed: the same seed gives the same reply"},
            {"max-tokens", true, "stop after this many tokens (default 1024)"},
            {"spec", true,
             "on (default where the model has a drafter) or off: speculative decoding"},
            {"max-drafts", true, "drafts per verify pass when speculating (default 5)"},
            {"db", true, "save into this database (default: the one the GUI uses)"},
            {"no-save", false, "do not save the conversation"}}),
       false, &runChat},
      {"ask",
       "a question about documents: whole when they fit the context, else retrieved passages",
       "--doc FILE [--doc FILE ...] --prompt Q [--mode non-think|high|max] [--model DIR]",
       withEngineOptions(
           {kModel,
            {"doc", true, "a text, Markdown, HTML, PDF or source file (repeat for more)", true},
            {"prompt", true, "the question"},
            {"mode", true, "non-think (default), high or max"},
            {"context", true, "the context length to plan for (default: the model's)"},
            {"temperature", true, "sampling temperature (default 1.0; 0 is greedy)"},
            {"top-p", true, "nucleus size (default 1.0: off)"},
            {"top-k", true, "keep only the k most likely tokens (default 0: off)"},
            {"seed", true, "random seed: the same seed gives the same reply"},
            {"max-tokens", true, "stop after this many tokens, reasoning included (default 1024)"},
            {"spec", true, "on (default where the model has a drafter) or off"},
            {"no-cache", false, "neither resume nor save the documents' prefix"}}),
       false, &runAsk},
      {"bench", "prefill and decode speed against the machine's measured read bandwidth",
       "[--model DIR] [--prompt-tokens N] [--gen-tokens N] [--threads N] [--spec on|off] [--json]",
       withEngineOptions(
           {kModel,
            {"prompt-tokens", true, "prompt length (default 128)"},
            {"gen-tokens", true, "tokens to decode (default 32; per reply with --spec, 128)"},
            {"spec", true,
             "on|off: decode real questions with and without the drafter in the same run and "
             "report the speedup and acceptance"},
            {"prefix-cache", false,
             "time to first token after a long document (--prompt-tokens, default 3000), from "
             "scratch and resumed from the prefix cache"},
            {"expert-budgets", false,
             "decode real questions with the experts in 100/50/25/10% host budgets, LRU and "
             "frequency, with and without look-ahead prefetch: speed and hit rate"},
            {"svg", true, "with --expert-budgets: also plot speed and hit rate into this file"},
            {"json", false, "print the figures as JSON"}}),
       false, &runBench},
      {"serve",
       "an OpenAI-compatible HTTP server for the model: /v1/chat/completions, /v1/models, /metrics",
       "[--model DIR] [--host ADDR] [--port N] [--api-key KEY] [--queue N] [--max-body BYTES]",
       withEngineOptions(
           {kModel,
            {"host", true, "the address to listen on (default 127.0.0.1: this machine only)"},
            {"port", true, "the port (default 8080; 0 picks a free one and prints it)"},
            {"api-key", true, "require 'Authorization: Bearer KEY' on every request"},
            {"queue", true, "requests that may wait for the engine (default 8); more get 503"},
            {"max-body", true,
             "the largest request body in bytes (default 4194304); more get 413"}}),
       false, &runServe},
  };
  return table;
}

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    printOverview(out);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    out << "flint-cli " << app::versionString() << "\n";
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& c : commandTable())
    if (c.name == args[0]) command = &c;
  if (!command) {
    err << "flint-cli: unknown command '" << args[0] << "'; run 'flint-cli --help' for the list\n";
    return 2;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      printCommandHelp(*command, out);
      return 0;
    }
    if (a == "--") break;
  }
  try {
    ParsedArgs parsed = parseArgs(command->name, rest, command->options, command->allowPositionals);
    CommandContext ctx{out, err};
    return command->run(parsed, ctx);
  } catch (const UsageError& e) {
    err << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "flint-cli " << command->name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace flint::cli
