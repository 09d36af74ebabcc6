#pragma once
// flint-cli bench --prefix-cache: time to first token of a question after a long document,
// prefilled from scratch and resumed from the prefix cache (documents/prefix_cache.h).
#include "app/cli/cli_app.h"

namespace flint::cli {

int benchPrefixCache(const ParsedArgs& args, CommandContext& ctx);

}  // namespace flint::cli
