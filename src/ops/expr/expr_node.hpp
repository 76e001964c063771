// An element-wise expression as an engine node: its inputs are the tree's
// leaf images, its halo is zero, and its tile kernel is the compiled program.
#pragma once

#include "ops/expr/program.hpp"
#include "tessera/node.hpp"

namespace tessera::detail {

class ExprNode final : public Node {
 public:
  explicit ExprNode(ExprPtr tree);
  const ExprPtr& tree() const { return tree_; }

  std::string name() const override { return "expression"; }
  bool elementwise() const override { return true; }
  Region input_region(std::size_t i, const Region& out) const override;
  void generate(const Region& region, const std::vector<View>& inputs,
                const View& out, Workspace& workspace) const override;

 private:
  ExprPtr tree_;
  Programs programs_;
};

}  // namespace tessera::detail
