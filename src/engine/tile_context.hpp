// Per-worker state of one engine run: a scratch arena reused tile after tile,
// and the regions computed for the current tile (so a node read twice by one
// tile is computed once). The arena's blocks go back to a small process-wide
// pool when the context ends, for the next run to take.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "tessera/image.hpp"

namespace tessera::detail {

// The most scratch memory the pool keeps between runs.
inline constexpr std::size_t kScratchPoolBytes = std::size_t{64} << 20;

class TileContext {
 public:
  TileContext() = default;
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
    std::unique_ptr<std::byte[], void (*)(std::byte*)> memory{nullptr, nullptr};
    std::size_t bytes = 0;
    bool in_use = false;
  };
  // The pool: the smallest free block of at least `bytes` (an empty Block if
  // none), and a block given back (freed if the pool is full).
  struct Pool;
  static Block take_pooled(std::size_t bytes);
  static void give_pooled(Block&& block);

  std::vector<Block> blocks_;
  struct Computed {
    const Node* node;
    Region region;
    View view;
  };
  std::vector<Computed> computed_;
};

}  // namespace tessera::detail
