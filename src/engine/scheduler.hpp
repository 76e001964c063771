// The scheduler: cuts a node's output into tiles and computes them on the
// thread pool, each worker with its own TileContext. Memory beyond the output
// is O(threads x tile x pipeline depth), whatever the image size.
#pragma once

#include <vector>

#include "engine/tile_context.hpp"
#include "tessera/image.hpp"

namespace tessera::detail {

// Elements per tile when the graph states no preference. Graphs with halos
// get tiles of this many elements, of whole rows up to kHaloTileColumns:
// long rows stream from memory (a tile of 1024-column pieces of 10000-column
// rows read each 4 KB piece as a fresh stream, and a 10000^2 Sobel magnitude
// took 77 ms against 58), and every tile but the narrow ones at the edges
// (kEdgeSeamAxis) reads its input in place.
inline constexpr std::int64_t kTileElements = 1 << 17;
inline constexpr std::int64_t kHaloTileElements = 1 << 18;
inline constexpr std::int64_t kHaloTileColumns = 1 << 16;
// Tiles that read across a seam (Node::seams) are at least this long along
// its axis: narrower ones cost more per element than their gather would.
inline constexpr std::int64_t kSeamTile = 32;
// A last axis at least this long, with a halo, treats its edges as seams
// (other axes do wherever they are cut into tiles).
inline constexpr std::int64_t kEdgeSeamAxis = 1024;
// Below this many output elements per worker, fewer workers run.
inline constexpr std::int64_t kElementsPerWorker = 1 << 16;

// How far, per axis, computing a region of `node` reaches into the sources
// below it (the sum of the halos along the deepest path).
Shape accumulated_halo(const Node& node);
// The least common multiple, per axis, of the block grids (Node::block_grid)
// of the nodes below that line up with `node`'s axes.
Shape accumulated_grid(const Node& node);

// The tiles of `area` (a region inside root), in C order of their offsets.
std::vector<Region> plan_tiles(const Node& root, const Region& area, int threads);
std::vector<Region> plan_tiles(const Node& root, int threads);

// Computes regions of one graph, one after another, each over all workers;
// the workers' scratch lives as long as the runner, so a stream of bands
// (see sink.hpp) allocates it once.
class GraphRunner {
 public:
  GraphRunner(const Node& root, int threads);
  ~GraphRunner();
  // Computes `area` of root into `out` (shape area.size, root's dtype).
  void run(const Region& area, const View& out);

 private:
  const Node& root_;
  int threads_;
  std::vector<TileContext> contexts_;
};

// Computes all of `root` into `out` (same shape and dtype).
void run_graph(const Node& root, const View& out, int threads);

}  // namespace tessera::detail
