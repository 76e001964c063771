// An expression compiled to a register program that runs on small,
// cache-resident blocks of elements: leaves are loaded (and converted) block
// by block, or read in place when already contiguous and of the right type;
// each step is one vectorised kernel over the block; the last step writes
// straight into the output when it can.
#pragma once

#include <vector>

#include "ops/expr/expr_tree.hpp"

namespace tessera::detail {

struct Program {
  struct Load {
    int leaf;  // index into the leaves
    DType as;
    int reg;
  };
  struct Fill {
    Scalar value;
    DType dtype;
    int reg;
  };
  struct Step {
    Kernel kernel;
    int dst, a, b, c;
  };
  std::vector<Load> loads;
  std::vector<Fill> fills;
  std::vector<Step> steps;
  std::vector<DType> reg_dtype;
  int result = -1;
  DType result_dtype = DType::Float64;
};

// Elements per block: four live float64 registers fill 32 KiB, an L1 cache.
inline constexpr std::int64_t kBlock = 1024;

// `leaves` lists the leaf nodes in input order; every Leaf of the tree is one.
Program compile_program(const ExprPtr& root, const std::vector<const Node*>& leaves);

// Runs the program over `out`; `leaves[i]` is leaf i as a view of out's shape
// (broadcast axes with stride 0). Converts to out.dtype by tessera's rule.
void run_program(const Program& program, const View& out, const std::vector<View>& leaves);

}  // namespace tessera::detail
