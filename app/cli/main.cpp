// flint-cli: the command-line face of the app core.
#include "app/cli/cli_app.h"
#include "app/paths.h"
#include "engine/logging/log.h"

#include <iostream>

int main(int argc, char** argv) {
  flint::log::LogOptions logOptions;
  logOptions.directory = flint::app::stateDir();
  flint::log::initLogging(logOptions);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return flint::cli::runCli(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "flint-cli: " << e.what() << "\n";
    return 1;
  }
}
