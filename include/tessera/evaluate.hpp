// tessera::evaluate: numexpr-style fused expressions over arrays.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tessera/boundary.hpp"
#include "tessera/image.hpp"

namespace tessera {

using Variables = std::map<std::string, Operand, std::less<>>;

// The names an expression reads, in order of first use (functions excluded).
// Throws ExprSyntaxError, with a caret under the position, if it does not parse.
std::vector<std::string> expression_names(const std::string& expression);

// The expression as a lazy image over the variables.
//
// Subscripts of a variable, with constant integers:
// - a[..., 0], a[..., 0:3], a[..., ::2]: numpy's basic indexing of the axes
//   after the '...' (channel picks);
// - a[-1, 0]: a neighbour, element (y - 1, x) of `a` at each (y, x); one
//   offset per leading axis given (the rest, channels, stay with the
//   element); outside `a` by `boundary` (scipy.ndimage's modes).
// A node with neighbours has a halo: it fuses, tiles and streams as any filter.
Image expression(const std::string& expression, const Variables& variables, const Boundary& boundary = {});

// Parses, compiles and runs the expression; writes into `out` (converted with
// tessera's casting rule) when given, else into a new buffer.
Buffer evaluate(const std::string& expression, const Variables& variables,
                const ComputeOptions& options = {}, const Boundary& boundary = {});
void evaluate_into(const std::string& expression, const Variables& variables, const View& out,
                   const ComputeOptions& options = {}, const Boundary& boundary = {});

}  // namespace tessera
