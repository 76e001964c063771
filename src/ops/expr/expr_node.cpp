#include "ops/expr/expr_node.hpp"

#include <algorithm>
#include <set>

namespace tessera::detail {

namespace {
void collect_leaves(const ExprTree* t, std::vector<Image>& out, std::set<const ExprTree*>& seen) {
  if (!seen.insert(t).second) return;
  if (t->op == ExprOp::Leaf) {
    const bool known = std::any_of(out.begin(), out.end(),
                                   [&](const Image& i) { return i.node() == t->leaf.node(); });
    if (!known) out.push_back(t->leaf);
    return;
  }
  for (const auto& a : t->args) collect_leaves(a.get(), out, seen);
}

std::vector<Image> leaves_of(const ExprPtr& tree) {
  std::vector<Image> leaves;
  std::set<const ExprTree*> seen;
  collect_leaves(tree.get(), leaves, seen);
  return leaves;
}

std::vector<const Node*> leaf_nodes(const std::vector<Image>& leaves) {
  std::vector<const Node*> nodes;
  for (const auto& l : leaves) nodes.push_back(l.node().get());
  return nodes;
}
}  // namespace

ExprNode::ExprNode(ExprPtr tree)
    : Node(tree->shape, tree->dtype, leaves_of(tree)),
      tree_(std::move(tree)),
      programs_(compile_programs(tree_, leaf_nodes(inputs()), shape())) {}

// A leaf's axes align with the output's last axes; an axis of length 1
// broadcasts, so only its single element is needed.
Region ExprNode::input_region(std::size_t i, const Region& out) const {
  const Shape& in = inputs()[i].shape();
  const std::size_t lead = shape().size() - in.size();
  Region r{Shape(in.size()), Shape(in.size())};
  for (std::size_t a = 0; a < in.size(); ++a) {
    const bool broadcast = in[a] == 1 && shape()[a + lead] != 1;
    r.offset[a] = broadcast ? 0 : out.offset[a + lead];
    r.size[a] = broadcast ? 1 : out.size[a + lead];
  }
  return r;
}

void ExprNode::generate(const Region& region, const std::vector<View>& inputs,
                        const View& out, Workspace& workspace) const {
  std::vector<View> leaves;
  leaves.reserve(inputs.size());
  for (const View& in : inputs) {
    // Broadcast to the output region: new leading axes and length-1 axes get stride 0.
    View v = in;
    const std::size_t lead = region.ndim() - in.ndim();
    v.shape = region.size;
    v.strides.assign(region.ndim(), 0);
    for (std::size_t a = 0; a < in.ndim(); ++a)
      v.strides[a + lead] = (in.shape[a] == 1 && region.size[a + lead] != 1) ? 0 : in.strides[a];
    leaves.push_back(std::move(v));
  }
  run_programs(programs_, out, leaves, workspace);
}

}  // namespace tessera::detail
