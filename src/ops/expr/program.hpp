// An expression compiled to a register program that runs on small,
// cache-resident blocks of elements: leaves are loaded (and converted) block
// by block, or read in place when already contiguous and of the right type;
// each step is one vectorised kernel over the block; the last step writes
// straight into the output when it can.
#pragma once

#include "tessera/workspace.hpp"

#include <memory>
#include <optional>
#include <vector>

#include "ops/expr/expr_tree.hpp"

namespace tessera::detail {

struct Program {
  // Row mode: a subtree whose inputs are all constant along the innermost
  // axis (an (H, W, 1) mask against an (H, W, 4) image) is computed once per
  // row of a block, and expanded where it meets a full-shape operand.
  enum class Mode : std::uint8_t { Full, Row, Expand };
  struct Load {
    int leaf;  // index into the leaves
    DType as;
    int reg;
    bool row;
  };
  struct Fill {
    Scalar value;
    DType dtype;
    int reg;
  };
  struct Step {
    Kernel kernel;
    int dst, a, b, c;
    Mode mode;
    DType dtype;  // of dst, for Expand
  };
  std::vector<Load> loads;
  std::vector<Fill> fills;
  std::vector<Step> steps;
  std::vector<DType> reg_dtype;
  int result = -1;
  int lookup_leaf = -1;  // the only input, when it is 8-bit: run as a 256-entry lookup
  // The lookup tables in the result dtype, built once when compiled: the 256
  // results, and for 1-byte results every pair of them (65536 x 2 bytes,
  // which halves the lookups per byte).
  struct Lookup {
    std::vector<std::byte> table;
    std::vector<std::uint16_t> pairs;
  };
  std::shared_ptr<const Lookup> lookup;
  DType result_dtype = DType::Float64;
  bool has_rows = false;  // some steps run per row: valid only where every row leaf
                          // has stride 0 along the innermost (coalesced) axis
};

// An expression's programs: `rows` (when some leaf is constant along the last
// axis) is used where the layout allows, else `full`.
struct Programs {
  Program full;
  std::optional<Program> rows;
};

// Elements per block: four live float64 registers fill 32 KiB, an L1 cache.
inline constexpr std::int64_t kBlock = 1024;

// One leaf of a program: a node read in place, or at an offset (a neighbour).
struct LeafRef {
  const Node* node = nullptr;
  Shape offset;       // empty: in place
  Boundary boundary;  // outside the node, when offset is not empty
  // Whether `leaf` (an ExprOp::Leaf) reads this.
  bool reads(const ExprTree& leaf) const;
};

// `leaves` lists the program's leaves in order; every Leaf of the tree is one.
// `row_leaf[i]` marks leaves constant along the output's innermost axis.
Program compile_program(const ExprPtr& root, const std::vector<LeafRef>& leaves,
                        const std::vector<bool>& row_leaf = {});
// Both programs for an output of `shape`.
Programs compile_programs(const ExprPtr& root, const std::vector<LeafRef>& leaves, const Shape& shape);

// The 256 (or 2, for bool) results of a lookup program (Program::lookup_leaf)
// in `dtype`, computed by the program itself (compiler.cpp).
std::vector<std::byte> lookup_table(const Program& program, DType in_dtype, DType dtype, std::size_t n_leaves);

// Runs the program over `out`; `leaves[i]` is leaf i as a view of out's shape
// (broadcast axes with stride 0). Converts to out.dtype by tessera's rule.
// Its registers live in `workspace` (slots 64 and 65). run_program_blocks
// runs it block by block, never through its lookup table (which it builds).
void run_program_blocks(const Program& program, const View& out, const std::vector<View>& leaves,
                        Workspace& workspace);
void run_program(const Program& program, const View& out, const std::vector<View>& leaves, Workspace& workspace);
void run_programs(const Programs& programs, const View& out, const std::vector<View>& leaves, Workspace& workspace);

}  // namespace tessera::detail
