#pragma once
// Prometheus text exposition (version 0.0.4), as vLLM, SGLang and flint-cli serve answer GET
// /metrics: one sample per line, `name{label="value",...} number [timestamp]`, "#" lines for
// HELP and TYPE. Read leniently: a line that does not parse is skipped, so one odd metric from
// a server never hides the ones Flint uses.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flint::remote {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class MetricSamples {
 public:
  static MetricSamples parse(std::string_view text);

  bool has(std::string_view name) const;
  // The sum over every label set of `name` (replicas, engines, ranks); 0 when absent.
  double sum(std::string_view name) const;
  // The sum over the label sets whose `label` is `value`.
  double sum(std::string_view name, std::string_view label, std::string_view value) const;
  // The mean over the label sets of `name` (a gauge each rank reports); 0 when absent.
  double mean(std::string_view name) const;

  const std::vector<MetricSample>& samples() const { return samples_; }

 private:
  std::vector<MetricSample> samples_;
};

}  // namespace flint::remote
