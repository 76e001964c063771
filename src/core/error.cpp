#include "tessera/error.hpp"

namespace tessera {

namespace {
std::string format_syntax_error(const std::string& message, const std::string& expression,
                                std::size_t position) {
  return message + " at position " + std::to_string(position) + "\n    " + expression + "\n    " +
         std::string(position, ' ') + "^";
}
}  // namespace

ExprSyntaxError::ExprSyntaxError(const std::string& message, const std::string& expression,
                                 std::size_t position)
    : Error(format_syntax_error(message, expression, position)),
      message_(message),
      expression_(expression),
      position_(position) {}

}  // namespace tessera
