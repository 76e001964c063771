#include "engine/scheduler.hpp"

#include <algorithm>
#include <map>

#include "core/thread_pool.hpp"

namespace tessera::detail {

namespace {
// Memoised per node: a node read along several paths is walked once.
Shape accumulated_halo(const Node& node, std::map<const Node*, Shape>& known) {
  if (auto it = known.find(&node); it != known.end()) return it->second;
  const Shape& shape = node.shape();
  const std::size_t nd = shape.size();
  Shape total(nd, 0);
  // A probe region in the middle: how far each input region reaches past it.
  Region probe{Shape(nd), Shape(nd, 1)};
  for (std::size_t a = 0; a < nd; ++a) probe.offset[a] = shape[a] / 2;
  for (std::size_t i = 0; i < node.inputs().size(); ++i) {
    const Node& in = *node.inputs()[i].node();
    if (in.shape().size() != nd) continue;  // broadcast leaves and reshapes: no halo
    const Region r = node.input_region(i, probe);
    const Shape below = accumulated_halo(in, known);
    for (std::size_t a = 0; a < nd; ++a) {
      if (in.shape()[a] != shape[a]) continue;
      const std::int64_t reach = std::max(probe.offset[a] - r.offset[a], r.offset[a] + r.size[a] - probe.offset[a] - 1);
      total[a] = std::max(total[a], std::max<std::int64_t>(reach, 0) + below[a]);
    }
  }
  known[&node] = total;
  return total;
}
}  // namespace

Shape accumulated_halo(const Node& node) {
  std::map<const Node*, Shape> known;
  return accumulated_halo(node, known);
}

std::vector<Region> plan_tiles(const Node& root, int threads) {
  return plan_tiles(root, Region::whole(root.shape()), threads);
}

std::vector<Region> plan_tiles(const Node& root, const Region& area, int threads) {
  const Shape& shape = area.size;
  const std::size_t nd = shape.size();
  std::vector<Region> tiles;
  if (element_count(shape) == 0) return tiles;
  if (nd == 0) return {Region{}};

  Shape tile = shape;
  const Shape halo = accumulated_halo(root);
  const bool has_halo = std::any_of(halo.begin(), halo.end(), [](std::int64_t h) { return h > 0; });
  const std::int64_t min_tiles = 4 * static_cast<std::int64_t>(resolve_threads(threads));
  if (auto preferred = root.preferred_tile()) {
    for (std::size_t a = 0; a < std::min(nd, preferred->size()); ++a)
      tile[a] = std::clamp<std::int64_t>((*preferred)[a], 1, shape[a]);
  } else if (has_halo) {
    // Blocks, not strips: interior blocks read their input in place (no
    // padding), and each axis with a halo is several times longer than it.
    const std::int64_t target =
        std::max<std::int64_t>(1, std::min(kHaloTileElements, element_count(shape) / min_tiles));
    std::int64_t inner = 1;
    for (std::size_t a = nd; a-- > 0;) {
      const std::int64_t least = std::min(shape[a], std::max<std::int64_t>(1, 4 * halo[a]));
      const std::int64_t cap = a + 1 == nd ? std::min<std::int64_t>(shape[a], kHaloTileColumns) : shape[a];
      tile[a] = std::clamp<std::int64_t>(target / inner, least, std::max(least, cap));
      inner *= tile[a];
    }
  } else {
    // Whole trailing axes while they fit the target, then a slice of the next
    // axis; earlier axes one at a time. Enough tiles to keep every worker busy.
    const std::int64_t target =
        std::max<std::int64_t>(1, std::min(kTileElements, element_count(shape) / min_tiles));
    std::int64_t inner = 1;
    std::size_t a = nd;
    while (a > 0 && inner * shape[a - 1] <= target) inner *= shape[--a];
    if (a > 0) {
      tile[a - 1] = std::max<std::int64_t>(1, target / inner);
      for (std::size_t b = 0; b + 1 < a; ++b) tile[b] = 1;
    }
  }

  Shape counts(nd);
  std::int64_t n = 1;
  for (std::size_t a = 0; a < nd; ++a) {
    counts[a] = (shape[a] + tile[a] - 1) / tile[a];
    n *= counts[a];
  }
  tiles.reserve(static_cast<std::size_t>(n));
  Shape idx(nd, 0);
  for (std::int64_t t = 0; t < n; ++t) {
    Region r{Shape(nd), Shape(nd)};
    for (std::size_t a = 0; a < nd; ++a) {
      r.offset[a] = idx[a] * tile[a];
      r.size[a] = std::min(tile[a], shape[a] - r.offset[a]);
      r.offset[a] += area.offset[a];
    }
    tiles.push_back(std::move(r));
    for (std::size_t a = nd; a-- > 0;) {
      if (++idx[a] < counts[a]) break;
      idx[a] = 0;
    }
  }
  return tiles;
}

GraphRunner::GraphRunner(const Node& root, int threads) : root_(root), threads_(resolve_threads(threads)) {}
GraphRunner::~GraphRunner() = default;

void GraphRunner::run(const Region& root_area, const View& out) {
  // A crop at the root is its input's region, computed in place of the copy.
  const Node* root = &root_;
  Region area = root_area;
  while (root->is_crop()) {
    area = root->input_region(0, area);
    root = root->inputs()[0].node().get();
  }
  const std::vector<Region> tiles = plan_tiles(*root, area, threads_);
  if (tiles.empty()) return;
  // Waking a worker costs tens of microseconds: small images run on fewer.
  const std::int64_t by_work = std::max<std::int64_t>(1, area.count() / kElementsPerWorker);
  const int workers = static_cast<int>(
      std::min<std::int64_t>({threads_, static_cast<std::int64_t>(tiles.size()), by_work}));
  if (contexts_.size() < static_cast<std::size_t>(workers)) contexts_.resize(static_cast<std::size_t>(workers));
  parallel_for(static_cast<std::int64_t>(tiles.size()), workers, [&](std::int64_t t, int worker) {
    TileContext& ctx = contexts_[static_cast<std::size_t>(worker)];
    ctx.begin_tile();
    const Region& r = tiles[static_cast<std::size_t>(t)];
    Region local = r;
    for (std::size_t a = 0; a < local.ndim(); ++a) local.offset[a] -= area.offset[a];
    ctx.generate(*root, r, out.sub(local));
  });
}

void run_graph(const Node& root, const View& out, int threads) {
  GraphRunner(root, threads).run(Region::whole(root.shape()), out);
}

}  // namespace tessera::detail
