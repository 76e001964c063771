// An expression as an engine node: its inputs are the tree's leaf images,
// its tile kernel is the compiled program. Leaves read in place make it
// element-wise (no halo); a leaf read at an offset (a neighbour, a[-1, 0])
// widens its input's region by the offsets, padded by the leaf's boundary,
// and is read from that one padded region at its offset: a stencil of any
// number of neighbours fetches each input once per tile.
#pragma once

#include <mutex>
#include <optional>

#include "ops/expr/program.hpp"
#include "tessera/node.hpp"

namespace tessera::detail {

class ExprNode final : public Node {
 public:
  explicit ExprNode(ExprPtr tree);
  const ExprPtr& tree() const { return tree_; }

  std::string name() const override { return "expression"; }
  bool elementwise() const override { return !stencil_; }
  Region input_region(std::size_t i, const Region& out) const override;
  Boundary input_boundary(std::size_t i) const override;
  void generate(const Region& region, const std::vector<View>& inputs,
                const View& out, Workspace& workspace) const override;

  // How a tree's leaves become the node's inputs (built before the Node).
  struct Plan {
    std::vector<Image> inputs;
    std::vector<Boundary> boundaries;   // per input
    std::vector<Shape> before, after;   // per input: its halo per axis (its own axes)
    std::vector<LeafRef> leaves;        // the program's leaves
    std::vector<std::size_t> input_of;  // per leaf
  };

 private:
  ExprNode(ExprPtr tree, Plan plan);

  // Compiled when first run, not when built: every operator applied in
  // Python makes an expression image, most of which are only merged into a
  // larger tree (a kernel's graph makes thousands).
  const Programs& programs() const;
  // A stencil's program over the padded rows its leaves share (see there);
  // false if they do not.
  bool run_on_padded_rows(const View& out, const std::vector<View>& leaves, Workspace& workspace) const;

  ExprPtr tree_;
  Plan plan_;
  bool stencil_ = false;
  mutable std::once_flag compiled_;
  mutable std::optional<Programs> programs_;
};

}  // namespace tessera::detail
