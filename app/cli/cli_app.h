#pragma once
// flint-cli: a table of commands, each in its own cmd_<name>.cpp. Adding a command is one
// declaration below and one row in commandTable() (cli_app.cpp).
#include "app/cli/arg_parser.h"

#include <iosfwd>
#include <string>
#include <vector>

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
int runDoctor(const ParsedArgs& args, CommandContext& ctx);

}  // namespace flint::cli
