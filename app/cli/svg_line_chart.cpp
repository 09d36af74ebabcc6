#include "app/cli/svg_line_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace flint::cli {
namespace {

constexpr double kWidth = 420, kHeight = 300;
constexpr double kLeft = 60, kRight = 20, kTop = 30, kBottom = 45;
const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c, d);
  return buffer;
}

// A round axis end at or above `v`: 1, 2 or 5 times a power of ten.
double niceMax(double v) {
  if (!(v > 0)) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(v)));
  for (double step : {1.0, 2.0, 5.0, 10.0})
    if (step * power >= v) return step * power;
  return 10 * power;
}

std::string chart(const LineChart& c, double offsetX) {
  double xMax = 0, yMax = 0;
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points) {
      xMax = std::max(xMax, x);
      yMax = std::max(yMax, y);
    }
  xMax = niceMax(xMax);
  yMax = niceMax(yMax);
  const double plotW = kWidth - kLeft - kRight, plotH = kHeight - kTop - kBottom;
  auto px = [&](double x) { return offsetX + kLeft + x / xMax * plotW; };
  auto py = [&](double y) { return kTop + plotH - y / yMax * plotH; };

  std::string out = "<g font-family=\"sans-serif\" font-size=\"11\">\n";
  out +=
      format("<text x=\"%.1f\" y=\"18\" font-size=\"13\" text-anchor=\"middle\">", px(xMax / 2)) +
      escape(c.title) + "</text>\n";
  out += format(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
      "stroke=\"#444\"/>\n",
      px(0), py(yMax), plotW, plotH);
  for (int i = 0; i <= 5; ++i) {
    const double x = xMax * i / 5, y = yMax * i / 5;
    out += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px(x),
                  py(0) + 15, x);
    out += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", px(0) - 5,
                  py(y) + 4, y);
    out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                  px(0), py(y), px(xMax), py(y));
  }
  out += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px(xMax / 2), kHeight - 8) +
         escape(c.xLabel) + "</text>\n";
  out += format("<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">",
                offsetX + 14, kTop + plotH / 2) +
         escape(c.yLabel) + "</text>\n";
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const char* colour = kColours[i % std::size(kColours)];
    std::string points;
    for (const auto& [x, y] : c.series[i].points) points += format("%.1f,%.1f ", px(x), py(y));
    out += std::string("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"") + colour +
           "\" points=\"" + points + "\"/>\n";
    for (const auto& [x, y] : c.series[i].points)
      out += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"", px(x), py(y)) + colour +
             "\"/>\n";
    const double ly = kTop + 14 + 14 * double(i);
    out += format(
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-width=\"2\" "
               "stroke=\"",
               px(0) + 8, ly - 4, px(0) + 26, ly - 4) +
           colour + "\"/>\n";
    out += format("<text x=\"%.1f\" y=\"%.1f\">", px(0) + 30, ly) + escape(c.series[i].name) +
           "</text>\n";
  }
  return out + "</g>\n";
}

}  // namespace

std::string svgLineCharts(const std::vector<LineChart>& charts) {
  std::string out = format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kWidth * double(charts.size()), kHeight, kWidth * double(charts.size()), kHeight);
  for (std::size_t i = 0; i < charts.size(); ++i) out += chart(charts[i], kWidth * double(i));
  return out + "</svg>\n";
}

}  // namespace flint::cli
