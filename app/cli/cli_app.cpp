#include "app/cli/cli_app.h"

#include "app/paths.h"

#include <ostream>

namespace flint::cli {
namespace {

void printOverview(std::ostream& out) {
  out << "flint-cli " << app::versionString() << ": DeepSeek-V4 on this machine\n\n"
      << "usage: flint-cli COMMAND [OPTIONS]\n\ncommands:\n";
  for (const auto& c : commandTable()) {
    out << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ') << c.summary
        << "\n";
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
    out << "  " << left << std::string(left.size() < 22 ? 22 - left.size() : 1, ' ') << o.help << "\n";
  }
}

}  // namespace

const std::vector<Command>& commandTable() {
  static const std::vector<Command> table = {
      {"doctor",
       "check this machine: CPU features, memory, GPU and driver, disk; advice in words",
       "[--json]",
       {{"json", false, "print the report as JSON"}},
       false,
       &runDoctor},
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
