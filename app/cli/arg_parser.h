#pragma once
// Options of one flint-cli command. Each command declares its options; anything else on the
// command line is a UsageError with one sentence naming the culprit.
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace flint::cli {

// Bad command line: exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The command could not do its work (bad model, unreadable file...): exit status 1.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;         // without dashes: "json", "model"
  bool takesValue = false;  // --model DIR / --model=DIR
  std::string help;         // one line, shown by --help
  bool repeatable = false;  // --ids 1 --ids 2 collects both
};

class ParsedArgs {
 public:
  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::string valueOr(const std::string& name, const std::string& fallback) const;
  const std::vector<std::string>& values(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Typed accessors: the value must parse completely, or UsageError names the option.
  std::optional<long long> integer(const std::string& name) const;
  std::optional<double> number(const std::string& name) const;

 private:
  friend ParsedArgs parseArgs(const std::string&, std::span<const std::string>,
                              const std::vector<OptionSpec>&, bool);
  std::map<std::string, std::vector<std::string>> options_;
  std::vector<std::string> positionals_;
};

// Parses `args` (after the command name). `allowPositionals` false makes any bare word an error.
ParsedArgs parseArgs(const std::string& command, std::span<const std::string> args,
                     const std::vector<OptionSpec>& specs, bool allowPositionals);

}  // namespace flint::cli
