#pragma once
// An HTTP error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}, so
// OpenAI client libraries show the sentence to their users.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace flint::server {

struct ApiError : std::runtime_error {
  ApiError(int httpStatus, std::string kind, const std::string& message, std::string field = {})
      : std::runtime_error(message),
        status(httpStatus),
        type(std::move(kind)),
        param(std::move(field)) {}
  int status;
  std::string type;   // "invalid_request_error", "authentication_error", ...
  std::string param;  // the request field at fault; empty when none
};

// 400 naming a request field.
inline ApiError invalidField(const std::string& field, const std::string& message) {
  return ApiError(400, "invalid_request_error", message, field);
}

nlohmann::json errorJson(const ApiError& error);

}  // namespace flint::server
