#include "app/cli/cli_app.h"
#include "app/system/system_report_json.h"

#include <ostream>

namespace flint::cli {

int runDoctor(const ParsedArgs& args, CommandContext& ctx) {
  const auto report = app::collectSystemReport();
  if (args.has("json"))
    ctx.out << app::toJson(report).dump(2) << "\n";
  else
    app::printReport(report, ctx.out);
  return 0;
}

}  // namespace flint::cli
