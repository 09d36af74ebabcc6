#pragma once
// flint-cli: a table of commands, each in its own cmd_<name>.cpp. Adding a command is one
// declaration below and one row in commandTable() (cli_app.cpp).
#include "app/cli/arg_parser.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace flint::engine {
class Tokenizer;
}

namespace flint::cli {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string name;
  std::string summary;  // one line for `flint-cli --help`
  std::string usage;    // the synopsis line after "flint-cli NAME"
  std::vector<OptionSpec> options;
  bool allowPositionals = false;
  int (*run)(const ParsedArgs&, CommandContext&);
};

const std::vector<Command>& commandTable();

// Runs flint-cli with argv (without the program name). Returns the exit status; prints
// errors as one line on `err`.
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The commands.
int runInspect(const ParsedArgs& args, CommandContext& ctx);
int runDoctor(const ParsedArgs& args, CommandContext& ctx);
int runSetup(const ParsedArgs& args, CommandContext& ctx);
int runExport(const ParsedArgs& args, CommandContext& ctx);
int runImport(const ParsedArgs& args, CommandContext& ctx);
int runTokenize(const ParsedArgs& args, CommandContext& ctx);
int runDetokenize(const ParsedArgs& args, CommandContext& ctx);
int runPrompt(const ParsedArgs& args, CommandContext& ctx);
int runLogits(const ParsedArgs& args, CommandContext& ctx);
int runChat(const ParsedArgs& args, CommandContext& ctx);
int runBench(const ParsedArgs& args, CommandContext& ctx);
int runServe(const ParsedArgs& args, CommandContext& ctx);
int runAsk(const ParsedArgs& args, CommandContext& ctx);

// The tokenizer of --model (default: the bundled flint-tiny); shared by tokenize, detokenize
// and prompt.
engine::Tokenizer loadModelTokenizer(const ParsedArgs& args);

}  // namespace flint::cli
