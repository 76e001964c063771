// The element-wise operators of tessera::Image: each builds (or extends) one
// typed expression tree, compiled to one program per pipeline (expr_node.cpp).
#include "ops/expr/expr_node.hpp"
#include "ops/expr/expr_tree.hpp"
#include "tessera/image.hpp"

namespace tessera {

Image Image::astype(DType dtype) const {
  return detail::image_of(detail::make_cast(detail::make_leaf(*this), dtype));
}

Image apply(std::string_view op, const std::vector<Operand>& args) {
  std::vector<detail::ExprPtr> trees;
  for (const auto& a : args) trees.push_back(detail::from_operand(a));
  for (std::size_t i = 1; i < trees.size(); ++i) detail::broadcast_shapes(trees[0]->shape, trees[i]->shape);
  return detail::image_of(detail::make_op(op, trees));
}

const std::vector<std::string>& function_names() { return detail::function_list(); }

Image operator+(const Operand& a, const Operand& b) { return apply("+", {a, b}); }
Image operator-(const Operand& a, const Operand& b) { return apply("-", {a, b}); }
Image operator*(const Operand& a, const Operand& b) { return apply("*", {a, b}); }
Image operator/(const Operand& a, const Operand& b) { return apply("/", {a, b}); }
Image operator%(const Operand& a, const Operand& b) { return apply("%", {a, b}); }
Image operator<(const Operand& a, const Operand& b) { return apply("<", {a, b}); }
Image operator<=(const Operand& a, const Operand& b) { return apply("<=", {a, b}); }
Image operator>(const Operand& a, const Operand& b) { return apply(">", {a, b}); }
Image operator>=(const Operand& a, const Operand& b) { return apply(">=", {a, b}); }
Image operator==(const Operand& a, const Operand& b) { return apply("==", {a, b}); }
Image operator!=(const Operand& a, const Operand& b) { return apply("!=", {a, b}); }
Image operator&(const Operand& a, const Operand& b) { return apply("&", {a, b}); }
Image operator|(const Operand& a, const Operand& b) { return apply("|", {a, b}); }
Image operator-(const Image& a) { return apply("u-", {a}); }
Image operator~(const Image& a) { return apply("~", {a}); }
Image pow(const Operand& a, const Operand& b) { return apply("**", {a, b}); }
Image where(const Operand& c, const Operand& a, const Operand& b) { return apply("where", {c, a, b}); }
Image clip(const Operand& x, const Operand& lo, const Operand& hi) { return apply("clip", {x, lo, hi}); }

}  // namespace tessera
