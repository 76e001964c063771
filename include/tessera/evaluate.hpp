// tessera::evaluate: numexpr-style fused expressions over arrays.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tessera/image.hpp"

namespace tessera {

using Variables = std::map<std::string, Operand, std::less<>>;

// The names an expression reads, in order of first use (functions excluded).
// Throws ExprSyntaxError, with a caret under the position, if it does not parse.
std::vector<std::string> expression_names(const std::string& expression);

// The expression as a lazy image over the variables.
Image expression(const std::string& expression, const Variables& variables);

// Parses, compiles and runs the expression; writes into `out` (converted with
// tessera's casting rule) when given, else into a new buffer.
Buffer evaluate(const std::string& expression, const Variables& variables,
                const ComputeOptions& options = {});
void evaluate_into(const std::string& expression, const Variables& variables, const View& out,
                   const ComputeOptions& options = {});

}  // namespace tessera
