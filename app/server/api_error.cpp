#include "app/server/api_error.h"

namespace flint::server {

nlohmann::json errorJson(const ApiError& error) {
  return {{"error",
           {{"message", error.what()},
            {"type", error.type},
            {"param", error.param.empty() ? nlohmann::json() : nlohmann::json(error.param)},
            {"code", error.status}}}};
}

}  // namespace flint::server
