#include "app/remote/prometheus_text.h"

#include <cstdlib>
#include <optional>
#include <string>

namespace flint::remote {
namespace {

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

void skipSpaces(std::string_view line, std::size_t& at) {
  while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
}

// `{a="x",b="y\"z"}` from `at` (just past "{"); false when malformed.
bool parseLabels(std::string_view line, std::size_t& at, std::map<std::string, std::string>& out) {
  while (true) {
    skipSpaces(line, at);
    if (at < line.size() && line[at] == '}') {
      ++at;
      return true;
    }
    const std::size_t start = at;
    while (at < line.size() && isNameChar(line[at])) ++at;
    const std::string key(line.substr(start, at - start));
    skipSpaces(line, at);
    if (key.empty() || at + 1 >= line.size() || line[at] != '=' || line[at + 1] != '"')
      return false;
    at += 2;
    std::string value;
    while (at < line.size() && line[at] != '"') {
      if (line[at] == '\\' && at + 1 < line.size()) {
        ++at;
        value += line[at] == 'n' ? '\n' : line[at];
      } else {
        value += line[at];
      }
      ++at;
    }
    if (at >= line.size()) return false;
    ++at;  // the closing quote
    out[key] = std::move(value);
    skipSpaces(line, at);
    if (at < line.size() && line[at] == ',') ++at;
  }
}

std::optional<MetricSample> parseLine(std::string_view line) {
  std::size_t at = 0;
  skipSpaces(line, at);
  if (at >= line.size() || line[at] == '#') return std::nullopt;
  MetricSample sample;
  const std::size_t start = at;
  while (at < line.size() && isNameChar(line[at])) ++at;
  sample.name = std::string(line.substr(start, at - start));
  if (sample.name.empty()) return std::nullopt;
  if (at < line.size() && line[at] == '{') {
    ++at;
    if (!parseLabels(line, at, sample.labels)) return std::nullopt;
  }
  skipSpaces(line, at);
  // strtod reads "NaN", "+Inf" and "-Inf" as Prometheus writes them.
  const std::string number(line.substr(at, line.find_first_of(" \t", at) - at));
  char* end = nullptr;
  sample.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size()) return std::nullopt;
  return sample;
}

}  // namespace

MetricSamples MetricSamples::parse(std::string_view text) {
  MetricSamples out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto sample = parseLine(line)) out.samples_.push_back(std::move(*sample));
    start = end + 1;
  }
  return out;
}

bool MetricSamples::has(std::string_view name) const {
  for (const MetricSample& s : samples_)
    if (s.name == name) return true;
  return false;
}

double MetricSamples::sum(std::string_view name) const {
  double total = 0;
  for (const MetricSample& s : samples_)
    if (s.name == name) total += s.value;
  return total;
}

double MetricSamples::sum(std::string_view name, std::string_view label,
                          std::string_view value) const {
  double total = 0;
  for (const MetricSample& s : samples_) {
    if (s.name != name) continue;
    const auto it = s.labels.find(std::string(label));
    if (it != s.labels.end() && it->second == value) total += s.value;
  }
  return total;
}

double MetricSamples::mean(std::string_view name) const {
  double total = 0;
  std::size_t count = 0;
  for (const MetricSample& s : samples_)
    if (s.name == name) {
      total += s.value;
      ++count;
    }
  return count ? total / double(count) : 0;
}

}  // namespace flint::remote
