// The expression language: Python's syntax and precedence for numbers, names,
// + - * / // % ** (right-associative, binding tighter than unary minus on its
// left), comparisons (chains mean 'and'), & | ^ ~, calls and parentheses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tessera/image.hpp"

namespace tessera::detail {

struct Syntax {
  enum class Kind { Number, Name, Unary, Binary, Call } kind = Kind::Number;
  std::string text;   // the name, operator or function
  Scalar number;      // Number
  std::size_t begin = 0, end = 0;  // source span, for messages
  std::vector<std::unique_ptr<Syntax>> args;
};

// Throws ExprSyntaxError with the position of the first problem.
std::unique_ptr<Syntax> parse_expression(const std::string& source);

}  // namespace tessera::detail
