#include "engine/scheduler.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "core/thread_pool.hpp"
#include "tessera/error.hpp"
#include "tessera/interrupt.hpp"

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

// Whether input i of node keeps positions along `axis`: the input region of
// a one-element region at p holds p, and moves with it (element-wise and
// window ops do; crops, flips and reshapes need not).
bool keeps_positions(const Node& node, std::size_t i, std::size_t axis) {
  const Shape& shape = node.shape();
  const Node& in = *node.inputs()[i].node();
  if (in.shape().size() != shape.size() || in.shape()[axis] != shape[axis] || shape[axis] < 2) return false;
  Region at{Shape(shape.size()), Shape(shape.size(), 1)};
  for (std::size_t a = 0; a < shape.size(); ++a) at.offset[a] = shape[a] / 2;
  const std::int64_t p = (shape[axis] - 1) / 2;  // p and p + 1 inside the axis
  at.offset[axis] = p;
  const Region here = node.input_region(i, at);
  at.offset[axis] = p + 1;
  const Region next = node.input_region(i, at);
  return here.offset[axis] <= p && p < here.offset[axis] + here.size[axis] &&
         next.offset[axis] == here.offset[axis] + 1 && next.size[axis] == here.size[axis];
}

// Per axis, the seams (Node::seams) of node and of the sources below it
// whose positions it keeps, sorted and distinct. Memoised like the halo.
std::vector<std::vector<std::int64_t>> accumulated_seams(
    const Node& node, std::map<const Node*, std::vector<std::vector<std::int64_t>>>& known) {
  if (auto it = known.find(&node); it != known.end()) return it->second;
  const std::size_t nd = node.shape().size();
  std::vector<std::vector<std::int64_t>> seams(nd);
  for (std::size_t a = 0; a < nd; ++a) seams[a] = node.seams(a);
  for (std::size_t i = 0; i < node.inputs().size(); ++i) {
    std::vector<std::vector<std::int64_t>> below;
    for (std::size_t a = 0; a < nd; ++a) {
      if (!keeps_positions(node, i, a)) continue;
      if (below.empty()) below = accumulated_seams(*node.inputs()[i].node(), known);
      seams[a].insert(seams[a].end(), below[a].begin(), below[a].end());
    }
  }
  for (auto& s : seams) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
  }
  known[&node] = seams;
  return seams;
}

// The tiles along one axis of [lo, hi), as (offset, size): near-equal runs of
// at most `length`, except around each seam, where the outputs whose input
// (reaching `halo` either side) crosses it get tiles of their own, at least
// kSeamTile wide (a narrower tile costs more per element than its gather
// would). The other tiles then read their input in place.
std::vector<std::pair<std::int64_t, std::int64_t>> axis_tiles(std::int64_t lo, std::int64_t hi, std::int64_t length,
                                                              const std::vector<std::int64_t>& seams,
                                                              std::int64_t halo) {
  const std::int64_t least = halo > 0 ? std::min(length, kSeamTile) : 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> zones;  // [from, to) reading across a seam
  for (const std::int64_t s : seams) {
    std::int64_t from = s - halo, to = s + halo;
    if (to - from < least) {
      from = s - least / 2;
      to = from + least;
    }
    from = std::max(from, lo);
    to = std::min(to, hi);
    if (to - from < least) {
      if (from == lo) to = std::min(hi, lo + least);
      else from = std::max(lo, hi - least);
    }
    if (from > to || (halo > 0 && from == to)) continue;
    if (!zones.empty() && from <= zones.back().second) zones.back().second = std::max(zones.back().second, to);
    else zones.emplace_back(from, to);
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> tiles;
  auto even = [&](std::int64_t from, std::int64_t to) {
    const std::int64_t n = (to - from + length - 1) / length;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t a = from + (to - from) * k / n, b = from + (to - from) * (k + 1) / n;
      tiles.emplace_back(a, b - a);
    }
  };
  std::int64_t at = lo;
  for (const auto& [from, to] : zones) {
    even(at, from);
    even(from, to);
    at = to;
  }
  even(at, hi);
  return tiles;
}

}  // namespace

Shape accumulated_halo(const Node& node) {
  std::map<const Node*, Shape> known;
  return accumulated_halo(node, known);
}

Shape accumulated_grid(const Node& node) {
  const std::size_t nd = node.shape().size();
  Shape grid(nd, 1);
  std::set<const Node*> seen;
  std::vector<const Node*> todo{&node};
  while (!todo.empty()) {
    const Node* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    const Shape own = n->block_grid();
    // Only nodes of the root's rank and extent line up with its axes.
    if (n->shape().size() == nd)
      for (std::size_t a = 0; a < own.size() && a < nd; ++a)
        if (n->shape()[a] == node.shape()[a]) grid[a] = std::lcm(grid[a], std::max<std::int64_t>(own[a], 1));
    for (const auto& i : n->inputs()) todo.push_back(i.node().get());
  }
  return grid;
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
  const auto preferred = root.preferred_tile();
  if (preferred) {
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

  // Per axis, the tiles' extents: `tile` steps, or cut at the seams below.
  std::map<const Node*, std::vector<std::vector<std::int64_t>>> known;
  auto seams = accumulated_seams(root, known);
  // The image's edges are seams too where there is a halo: the outputs whose
  // input reaches past an edge get narrow tiles of their own, and every other
  // tile reads its input in place instead of padding a whole tile's worth.
  // The rows stay whole on a short last axis: a 256-wide volume cut 32 + 192
  // + 32 costs more in narrow tiles than its padding.
  for (std::size_t a = 0; a < nd; ++a) {
    const bool last = a + 1 == nd;
    if (halo[a] == 0 || (last ? root.shape()[a] < kEdgeSeamAxis : tile[a] >= shape[a])) continue;
    seams[a].push_back(0);
    seams[a].push_back(root.shape()[a]);
    std::sort(seams[a].begin(), seams[a].end());
    seams[a].erase(std::unique(seams[a].begin(), seams[a].end()), seams[a].end());
  }
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> along(nd);
  std::int64_t n = 1;
  for (std::size_t a = 0; a < nd; ++a) {
    const std::int64_t lo = area.offset[a], hi = lo + shape[a];
    if (seams[a].empty() || preferred) {
      for (std::int64_t o = lo; o < hi; o += tile[a]) along[a].emplace_back(o, std::min(tile[a], hi - o));
    } else {
      along[a] = axis_tiles(lo, hi, tile[a], seams[a], halo[a]);
    }
    n *= static_cast<std::int64_t>(along[a].size());
  }
  tiles.reserve(static_cast<std::size_t>(n));
  std::vector<std::size_t> idx(nd, 0);
  for (std::int64_t t = 0; t < n; ++t) {
    Region r{Shape(nd), Shape(nd)};
    for (std::size_t a = 0; a < nd; ++a) std::tie(r.offset[a], r.size[a]) = along[a][idx[a]];
    tiles.push_back(std::move(r));
    for (std::size_t a = nd; a-- > 0;) {
      if (++idx[a] < along[a].size()) break;
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
  const int workers = root->serial() ? 1
                                     : static_cast<int>(std::min<std::int64_t>(
                                           {threads_, static_cast<std::int64_t>(tiles.size()), by_work}));
  if (contexts_.size() < static_cast<std::size_t>(workers)) contexts_.resize(static_cast<std::size_t>(workers));
  parallel_for(static_cast<std::int64_t>(tiles.size()), workers, [&](std::int64_t t, int worker) {
    if (interrupt_requested()) throw Interrupted();
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
