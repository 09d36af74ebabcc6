#pragma once
// A plain SVG line chart (axes, ticks, one polyline per series, a legend) for figures the
// benchmarks write next to their numbers; no plotting library needed.
#include <string>
#include <utility>
#include <vector>

namespace flint::cli {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in order
};

struct LineChart {
  std::string title, xLabel, yLabel;
  std::vector<ChartSeries> series;
};

// Charts side by side in one SVG document, each 420 x 300 pixels. The axes start at zero and
// end at the largest value.
std::string svgLineCharts(const std::vector<LineChart>& charts);

}  // namespace flint::cli
