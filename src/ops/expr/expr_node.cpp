#include "ops/expr/expr_node.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/thread_pool.hpp"
#include "engine/copy.hpp"

#include "tessera/error.hpp"

namespace tessera::detail {

namespace {

void collect_leaves(const ExprTree* t, std::vector<const ExprTree*>& out, std::set<const ExprTree*>& seen) {
  if (!seen.insert(t).second) return;
  if (t->op == ExprOp::Leaf) {
    out.push_back(t);
    return;
  }
  for (const auto& a : t->args) collect_leaves(a.get(), out, seen);
}

bool same_boundary(const Boundary& a, const Boundary& b) { return a == b; }

// Leaves at an offset first: each (node, boundary) is one input, widened by
// its leaves' offsets; a leaf read in place then joins an input of its node
// (offset 0 lies inside any halo), or is an input of its own.
ExprNode::Plan plan_of(const ExprPtr& tree) {
  std::vector<const ExprTree*> leaves;
  std::set<const ExprTree*> seen;
  collect_leaves(tree.get(), leaves, seen);
  std::stable_partition(leaves.begin(), leaves.end(), [](const ExprTree* l) { return !l->offset.empty(); });
  ExprNode::Plan p;
  for (const ExprTree* l : leaves) {
    const Node* node = l->leaf.node().get();
    LeafRef ref{node, l->offset, l->boundary};
    if (std::any_of(p.leaves.begin(), p.leaves.end(), [&](const LeafRef& r) { return r.reads(*l); })) continue;
    std::size_t input = p.inputs.size();
    for (std::size_t i = 0; i < p.inputs.size(); ++i)
      if (p.inputs[i].node().get() == node && (l->offset.empty() || same_boundary(p.boundaries[i], l->boundary)))
        input = i;
    if (input == p.inputs.size()) {
      p.inputs.push_back(l->leaf);
      p.boundaries.push_back(l->offset.empty() ? Boundary{} : l->boundary);
      p.before.emplace_back(l->leaf.ndim(), 0);
      p.after.emplace_back(l->leaf.ndim(), 0);
    }
    for (std::size_t a = 0; a < l->offset.size(); ++a) {
      p.before[input][a] = std::max(p.before[input][a], -l->offset[a]);
      p.after[input][a] = std::max(p.after[input][a], l->offset[a]);
    }
    p.leaves.push_back(std::move(ref));
    p.input_of.push_back(input);
  }
  return p;
}

}  // namespace

ExprNode::ExprNode(ExprPtr tree) : ExprNode(tree, plan_of(tree)) {}

ExprNode::ExprNode(ExprPtr tree, Plan plan)
    : Node(tree->shape, tree->dtype, plan.inputs),
      tree_(std::move(tree)),
      plan_(std::move(plan)) {
  for (std::size_t i = 0; i < plan_.inputs.size(); ++i) {
    const Shape& in = plan_.inputs[i].shape();
    const std::size_t lead = shape().size() - in.size();
    for (std::size_t a = 0; a < in.size(); ++a) {
      if (plan_.before[i][a] == 0 && plan_.after[i][a] == 0) continue;
      stencil_ = true;
      if (in[a] == 1 && shape()[a + lead] != 1)
        throw ValueError("a neighbour along axis " + std::to_string(a) + " of an input of shape " +
                         shape_to_string(in) + ", which broadcasts along it to " + shape_to_string(shape()));
    }
  }
}

// A leaf's axes align with the output's last axes; an axis of length 1
// broadcasts, so only its single element is needed. Neighbours widen it.
Region ExprNode::input_region(std::size_t i, const Region& out) const {
  const Shape& in = inputs()[i].shape();
  const std::size_t lead = shape().size() - in.size();
  Region r{Shape(in.size()), Shape(in.size())};
  for (std::size_t a = 0; a < in.size(); ++a) {
    const bool broadcast = in[a] == 1 && shape()[a + lead] != 1;
    r.offset[a] = broadcast ? 0 : out.offset[a + lead] - plan_.before[i][a];
    r.size[a] = broadcast ? 1 : out.size[a + lead] + plan_.before[i][a] + plan_.after[i][a];
  }
  return r;
}

// The longest path from the root to a leaf, without recursion (memoised:
// a tree is a graph with shared parts).
std::size_t tree_depth(const ExprTree* root) {
  std::unordered_map<const ExprTree*, std::size_t> depth;
  std::vector<std::pair<const ExprTree*, bool>> stack{{root, false}};
  while (!stack.empty()) {
    auto [t, expanded] = stack.back();
    stack.pop_back();
    if (depth.count(t)) continue;
    if (!expanded) {
      stack.push_back({t, true});
      for (const auto& a : t->args)
        if (!depth.count(a.get())) stack.push_back({a.get(), false});
      continue;
    }
    std::size_t d = 0;
    for (const auto& a : t->args) d = std::max(d, depth.at(a.get()));
    depth[t] = d + 1;
  }
  return depth.at(root);
}

const Programs& ExprNode::programs() const {
  std::call_once(compiled_, [&] {
    auto compile = [&] { programs_ = compile_programs(tree_, plan_.leaves, shape()); };
    // The compiler recurses over the tree, as deep as a long chain is long
    // (a + b + ... from a 100,000-term expression): deep trees get a stack
    // of their own, reserved, touched only as deep as it goes.
    const std::size_t depth = tree_depth(tree_.get());
    if (depth < 1000) return compile();
    run_on_deep_stack(std::max<std::size_t>(8 << 20, depth * 4096 * kStackFrameScale), compile);
  });
  return *programs_;
}

Boundary ExprNode::input_boundary(std::size_t i) const { return plan_.boundaries[i]; }

void ExprNode::generate(const Region& region, const std::vector<View>& inputs,
                        const View& out, Workspace& workspace) const {
  std::vector<View> leaves;
  leaves.reserve(plan_.leaves.size());
  for (std::size_t l = 0; l < plan_.leaves.size(); ++l) {
    const std::size_t i = plan_.input_of[l];
    const View& in = inputs[i];
    const Shape& offset = plan_.leaves[l].offset;
    // The leaf's window of its input's (widened) region, broadcast to the
    // output region: new leading axes and length-1 axes get stride 0.
    View v = in;
    const std::size_t lead = region.ndim() - in.ndim();
    for (std::size_t a = 0; a < in.ndim(); ++a) {
      const std::int64_t start = plan_.before[i][a] + (a < offset.size() ? offset[a] : 0);
      v.data += start * in.strides[a];
    }
    v.shape = region.size;
    v.strides.assign(region.ndim(), 0);
    for (std::size_t a = 0; a < in.ndim(); ++a)
      v.strides[a + lead] = (in.shape[a] == 1 && region.size[a + lead] != 1) ? 0 : in.strides[a];
    leaves.push_back(std::move(v));
  }
  if (!run_on_padded_rows(out, leaves, workspace)) run_programs(programs(), out, leaves, workspace);
}

// A stencil's leaves are windows of one padded input at different offsets:
// views of the same strides whose rows are longer (by the halo) than the
// output's, so a block that spans rows must gather every leaf. Run instead
// over the padded row pitch: per plane of the last two axes, one flat run
// from the first output element to the last, each leaf read in place (every
// read stays inside its padded input), into a scratch of that pitch; the
// columns that fall in the halo are computed and dropped, and the valid ones
// copied out. False (nothing done) unless the leaves qualify and the halo
// columns add at most an eighth.
bool ExprNode::run_on_padded_rows(const View& out, const std::vector<View>& leaves, Workspace& workspace) const {
  const std::size_t nd = out.ndim();
  if (!stencil_ || nd < 2 || leaves.empty()) return false;
  const Strides& strides = leaves[0].strides;
  const auto item = static_cast<std::int64_t>(itemsize(leaves[0].dtype));
  for (const View& v : leaves)
    if (v.strides != strides || v.dtype != leaves[0].dtype) return false;
  const std::int64_t rows = out.shape[nd - 2], cols = out.shape[nd - 1];
  if (strides[nd - 1] != item || strides[nd - 2] % item != 0 || rows < 2) return false;
  const std::int64_t pitch = strides[nd - 2] / item;
  if (pitch <= cols || (pitch - cols) * 8 > cols) return false;
  const std::int64_t span = (rows - 1) * pitch + cols;
  const auto out_item = static_cast<std::int64_t>(itemsize(out.dtype));
  auto* scratch = static_cast<std::byte*>(workspace.get(66, static_cast<std::size_t>(span * out_item)));
  const View flat_out{scratch, out.dtype, {span}, {out_item}, nullptr};
  const View padded_rows{scratch, out.dtype, {rows, cols}, {pitch * out_item, out_item}, nullptr};
  std::vector<View> flat(leaves.size());
  Shape idx(nd - 2, 0);
  std::int64_t planes = 1;
  for (std::size_t a = 0; a + 2 < nd; ++a) planes *= out.shape[a];
  for (std::int64_t p = 0; p < planes; ++p) {
    std::int64_t leaf_off = 0, out_off = 0;
    for (std::size_t a = 0; a + 2 < nd; ++a) {
      leaf_off += idx[a] * strides[a];
      out_off += idx[a] * out.strides[a];
    }
    for (std::size_t l = 0; l < leaves.size(); ++l)
      flat[l] = View{leaves[l].data + leaf_off, leaves[l].dtype, {span}, {item}, nullptr};
    run_programs(programs(), flat_out, flat, workspace);
    copy_convert(padded_rows, View{out.data + out_off, out.dtype, {rows, cols},
                                   {out.strides[nd - 2], out.strides[nd - 1]}, nullptr});
    for (std::size_t a = nd - 2; a-- > 0;) {
      if (++idx[a] < out.shape[a]) break;
      idx[a] = 0;
    }
  }
  return true;
}

}  // namespace tessera::detail
