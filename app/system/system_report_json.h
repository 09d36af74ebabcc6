#pragma once
// The doctor report as JSON (`flint-cli doctor --json`) and as text.
#include "app/system/system_report.h"

#include <nlohmann/json.hpp>

#include <iosfwd>

namespace flint::app {

nlohmann::json toJson(const SystemReport& report);
void printReport(const SystemReport& report, std::ostream& out);

}  // namespace flint::app
