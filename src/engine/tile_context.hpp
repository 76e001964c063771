// Per-worker state of one engine run: a scratch arena reused tile after tile,
// and the regions computed for the current tile (so a node read twice by one
// tile is computed once).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "tessera/image.hpp"

namespace tessera::detail {

class TileContext {
 public:
  // Forgets the regions of the previous tile and makes its scratch reusable.
  void begin_tile();

  // Computes `region` of `node` into `out` (shape region.size): pads and
  // fetches every input, then runs the node's kernel.
  void generate(const Node& node, const Region& region, const View& out);

  // A view of `region` of `node`: zero-copy where the node's pixels sit in
  // memory, else computed into scratch. The part of `region` outside the node
  // is filled by `boundary`.
  View fetch(const Node& node, const Region& region, const Boundary& boundary);

 private:
  View fetch_inside(const Node& node, const Region& region);
  View fetch_padded(const Node& node, const Region& region, const Boundary& boundary);
  View scratch(DType dtype, const Shape& shape);

  struct Block {
    std::unique_ptr<std::byte[], void (*)(std::byte*)> memory{nullptr, nullptr};
    std::size_t bytes = 0;
    bool in_use = false;
  };
  std::vector<Block> blocks_;
  struct Computed {
    const Node* node;
    Region region;
    View view;
  };
  std::vector<Computed> computed_;
};

}  // namespace tessera::detail
