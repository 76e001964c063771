// The typed tree of an element-wise expression. Leaves are images (any node)
// or scalars; inner nodes carry numpy's result dtype and broadcast shape, so
// the tree is checked when built, long before anything runs. Image operators,
// tessera.evaluate and astype all build these trees; a tree whose leaf is
// another expression is merged into it, which is how pipelines fuse.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ops/expr/kernels.hpp"
#include "tessera/boundary.hpp"
#include "tessera/image.hpp"

namespace tessera::detail {

enum class ExprOp : std::uint8_t { Leaf, Const, Unary, Binary, Compare, Where, Cast };

struct ExprTree;
using ExprPtr = std::shared_ptr<const ExprTree>;

struct ExprTree {
  ExprOp op = ExprOp::Const;
  DType dtype = DType::Float64;
  Shape shape;
  // A value known when built (a literal, a scalar variable, or folded from
  // them); it takes part in numpy's value-based promotion.
  bool is_scalar = false;
  Scalar value;  // Const
  Image leaf;    // Leaf
  // Leaf: read at this offset along the leaf's first axes (a neighbour,
  // a[-1, 0]), outside the leaf by `boundary`; empty: in place.
  Shape offset;
  Boundary boundary;
  UnaryFn unary = UnaryFn::Neg;
  BinaryFn binary = BinaryFn::Add;
  CompareFn compare = CompareFn::Lt;
  std::vector<ExprPtr> args;

  ExprTree() = default;
  ExprTree(const ExprTree&) = default;
  ExprTree& operator=(const ExprTree&) = default;
  // Iterative: a tree as deep as a long chain of operations would otherwise
  // be released by a recursion that deep.
  ~ExprTree();
};

// numpy's broadcasting of two shapes; throws ValueError naming both.
Shape broadcast_shapes(const Shape& a, const Shape& b);

ExprPtr make_leaf(const Image& image);  // an expression image contributes its tree
// A neighbour of `image`: element (i + offset) along its first offset.size()
// axes, padded by `boundary`. An expression image stays one leaf (shifting
// its tree would pad each of its inputs, not its values).
ExprPtr make_shifted_leaf(const Image& image, const Shape& offset, const Boundary& boundary);
ExprPtr make_const(const Scalar& value);
ExprPtr make_cast(const ExprPtr& x, DType dtype);
// op: an operator ("+", "-", ..., "u-" unary minus, "u+", "~") or a function
// name ("sqrt", "where", "clip", ...). Throws TypeError/ValueError on misuse.
ExprPtr make_op(std::string_view op, const std::vector<ExprPtr>& args);
// Number of arguments of a function name, or -1 if unknown.
int function_arity(std::string_view name);
const std::vector<std::string>& function_list();

Operand to_operand(const ExprPtr& x);   // a Const becomes a Scalar, else an Image
ExprPtr from_operand(const Operand& x);
Image image_of(const ExprPtr& x);       // wraps a tree as an image (constants as 0-d)

}  // namespace tessera::detail
