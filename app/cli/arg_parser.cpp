#include "app/cli/arg_parser.h"

#include <charconv>

namespace flint::cli {

bool ParsedArgs::has(const std::string& name) const {
  return options_.count(name) != 0;
}

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  auto it = options_.find(name);
  if (it == options_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::valueOr(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

const std::vector<std::string>& ParsedArgs::values(const std::string& name) const {
  static const std::vector<std::string> none;
  auto it = options_.find(name);
  return it == options_.end() ? none : it->second;
}

std::optional<long long> ParsedArgs::integer(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  long long out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size())
    throw UsageError("--" + name + " needs a whole number, not '" + *v + "'");
  return out;
}

std::optional<double> ParsedArgs::number(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  double out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size())
    throw UsageError("--" + name + " needs a number, not '" + *v + "'");
  return out;
}

ParsedArgs parseArgs(const std::string& command, std::span<const std::string> args,
                     const std::vector<OptionSpec>& specs, bool allowPositionals) {
  ParsedArgs out;
  auto find = [&](const std::string& name) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.name == name) return &s;
    return nullptr;
  };
  bool onlyPositionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (onlyPositionals || a.size() < 2 || a[0] != '-' || (a[1] != '-' && a != "-")) {
      if (a.size() >= 2 && a[0] == '-' && a[1] != '-' && !onlyPositionals)
        throw UsageError("flint-cli " + command + ": unknown option '" + a +
                         "' (options are spelled --name); see 'flint-cli " + command + " --help'");
      if (!allowPositionals)
        throw UsageError("flint-cli " + command + ": unexpected argument '" + a +
                         "'; see 'flint-cli " + command + " --help'");
      out.positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      onlyPositionals = true;
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inlineValue;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = find(name);
    if (!spec)
      throw UsageError("flint-cli " + command + ": unknown option '--" + name +
                       "'; see 'flint-cli " + command + " --help'");
    if (!spec->repeatable && out.options_.count(name))
      throw UsageError("flint-cli " + command + ": --" + name + " is given twice");
    auto& slot = out.options_[name];
    if (!spec->takesValue) {
      if (inlineValue) throw UsageError("flint-cli " + command + ": --" + name + " takes no value");
      continue;
    }
    if (inlineValue) {
      slot.push_back(*inlineValue);
    } else if (i + 1 < args.size()) {
      slot.push_back(args[++i]);
    } else {
      throw UsageError("flint-cli " + command + ": --" + name + " needs a value");
    }
  }
  return out;
}

}  // namespace flint::cli
