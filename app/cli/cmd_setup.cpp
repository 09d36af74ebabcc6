// flint-cli setup: the workstation setup the app runs on first start, in a terminal. Checks the
// machine, finds or takes a V4 model folder, verifies it, plans where its experts live and how
// fast it should decode, explains the plan, and saves it when the user agrees.
#include "app/cli/cli_app.h"
#include "app/setup/model_locator.h"
#include "app/setup/workstation_setup.h"

#include <unistd.h>
#include <iostream>
#include <ostream>

namespace flint::cli {
namespace {

namespace fs = std::filesystem;

void printMachine(const app::SystemReport& r, std::ostream& out) {
  out << "Machine: " << r.cpuModel << ", " << r.logicalCores << " threads (" << r.kernelIsa
      << " kernels), " << app::formatBytes(r.memory.totalBytes) << " RAM ("
      << app::formatBytes(r.memory.availableBytes) << " free)";
  if (r.gpu.usable)
    for (const auto& d : r.gpu.devices)
      out << ", GPU " << d.name << " " << app::formatBytes(d.totalBytes);
  out << ", " << app::formatBytes(r.disk.freeBytes) << " free on disk.\n";
  for (const auto& a : r.advice) out << "  " << a << "\n";
}

bool confirm(const std::string& question, std::ostream& out) {
  out << question << " [Y/n] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer.empty() || answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

int runSetup(const ParsedArgs& args, CommandContext& ctx) {
  const app::SystemReport machine = app::collectSystemReport();
  printMachine(machine, ctx.out);

  fs::path dir;
  if (auto given = args.value("model")) {
    dir = *given;
  } else {
    const auto found = app::findModelFolders(app::modelSearchRoots());
    if (found.empty()) {
      ctx.out << "No DeepSeek-V4 model folder was found in the usual places ("
              << app::describeSearchRoots() << "). Pass the folder you downloaded with --model DIR;"
              << " meanwhile the bundled flint-tiny works as it is.\n";
      return 1;
    }
    dir = found.front();
    ctx.out << "Found " << found.size() << " model folder(s); using " << dir.string() << ".\n";
  }

  app::VerifyOptions verify;
  verify.checksum = args.has("checksum");
  int lastPercent = -1;
  verify.progress = [&](const app::ChecksumProgress& p) {
    const int percent = p.bytesTotal ? int(100 * p.bytesDone / p.bytesTotal) : 100;
    if (percent == lastPercent) return;
    lastPercent = percent;
    ctx.err << "\rchecksum " << percent << " % (" << p.shard << ")" << std::flush;
  };
  const app::SetupOutcome outcome = app::setUpWorkstation(dir, machine, verify);
  if (verify.checksum) ctx.err << "\n";
  ctx.out << outcome.verification.verdict() << "\n";
  if (!outcome.plan) return 1;
  const app::WorkstationPlan& plan = *outcome.plan;
  ctx.out << "\nPlan: " << plan.explanation << "\n";
  if (!plan.fits) return 1;

  const fs::path file = app::workstationFile();
  const bool save =
      args.has("yes") || (isatty(STDIN_FILENO) && confirm("Save this plan?", ctx.out));
  if (!save) {
    ctx.out << "The plan was not saved (run with --yes to save it without asking).\n";
    return 0;
  }
  app::saveWorkstationPlan(plan, file);
  ctx.out << "Saved to " << file.string()
          << ". flint-cli and the app use it whenever they load this model without budgets of "
             "their own.\n";
  return 0;
}

}  // namespace flint::cli
