// The expression language: Python's syntax and precedence for numbers, names,
// + - * / // % ** (right-associative, binding tighter than unary minus on its
// left), comparisons (chains mean 'and'), & | ^ ~, calls and parentheses, and
// subscripts of constant integers, slices and '...' (a[-1, 0], a[..., 0:3]).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tessera/image.hpp"

namespace tessera::detail {

struct Syntax {
  enum class Kind { Number, Name, Unary, Binary, Call, Subscript } kind = Kind::Number;
  std::string text;   // the name, operator or function
  Scalar number;      // Number
  std::size_t begin = 0, end = 0;  // source span, for messages
  std::vector<std::unique_ptr<Syntax>> args;  // Subscript: the subscripted expression
  // Subscript: its items, as written (Python's meaning is the resolver's).
  struct Item {
    enum class Kind { Integer, Slice, Ellipsis } kind = Kind::Integer;
    std::optional<std::int64_t> start, stop, step;  // Integer: start
    std::size_t begin = 0;
  };
  std::vector<Item> items;
};

// Throws ExprSyntaxError with the position of the first problem.
std::unique_ptr<Syntax> parse_expression(const std::string& source);

}  // namespace tessera::detail
