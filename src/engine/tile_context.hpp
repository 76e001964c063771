// Per-worker state of one engine run: a scratch arena for the regions the
// graph computes, reused tile after tile; the workspace every kernel of the
// worker gets (Node::generate); and the regions computed for the current tile
// (so a node read twice by one tile is computed once). Both arena and
// workspace go back to the engine's scratch pool when the context ends, for
// the next run to take.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "engine/scratch_pool.hpp"
#include "tessera/image.hpp"
#include "tessera/workspace.hpp"

namespace tessera::detail {

class TileContext {
 public:
  TileContext();
  TileContext(TileContext&&) noexcept = default;
  TileContext& operator=(TileContext&&) = delete;
  ~TileContext();

  // Forgets the regions of the previous tile and makes its scratch reusable.
  void begin_tile();

  // Computes `region` of `node` into `out` (shape region.size): pads and
  // fetches every input, then runs the node's kernel.
  void generate(const Node& node, const Region& region, const View& out);

  // A view of `region` of `node`: zero-copy where the node's pixels sit in
  // memory, else computed into scratch. The part of `region` outside the node
  // is filled by `boundary`.
  View fetch(const Node& node, const Region& region, const Boundary& boundary);

  // Bytes of scratch the pool holds now, between runs.
  static std::size_t pooled_bytes();

 private:
  View fetch_inside(const Node& node, const Region& region);
  View fetch_padded(const Node& node, const Region& region, const Boundary& boundary);
  View scratch(DType dtype, const Shape& shape);

  struct Block {
    ScratchBlock memory;
    bool in_use = false;
  };

  std::vector<Block> blocks_;
  Workspace workspace_;
  struct Computed {
    const Node* node;
    Region region;
    View view;
  };
  std::vector<Computed> computed_;
};

}  // namespace tessera::detail
