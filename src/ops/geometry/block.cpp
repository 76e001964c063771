// block(): a grid of in-memory pieces as one source. Geometry (the grid's
// offsets per axis, validation) in the constructor; reading a region in
// direct_view (one piece, in place) and generate (several, gathered).
// tessera.dask uses it to give a chunk its neighbours' halo strips without
// first copying chunk and strips into one padded array.
#include "tessera/block.hpp"

#include <algorithm>

#include "engine/copy.hpp"

namespace tessera {
namespace detail {
namespace {

class BlockSource final : public Node {
 public:
  // starts[a]: the offsets of the grid slices along axis a, and the axis's size last.
  BlockSource(std::vector<View> pieces, Shape grid, std::vector<Shape> starts, Shape shape)
      : Node(std::move(shape), pieces.front().dtype, {}),
        pieces_(std::move(pieces)),
        grid_(std::move(grid)),
        starts_(std::move(starts)) {}

  std::string name() const override { return "block"; }

  bool direct_view(const Region& region, View& out) const override {
    Shape index(grid_.size());
    Region local = region;
    for (std::size_t a = 0; a < grid_.size(); ++a) {
      const Shape& s = starts_[a];
      // The last slice starting at or before the region (empty slices skipped).
      const auto k = std::upper_bound(s.begin(), s.end() - 1, region.offset[a]) - s.begin() - 1;
      if (region.offset[a] + region.size[a] > s[static_cast<std::size_t>(k) + 1]) return false;
      index[a] = k;
      local.offset[a] -= s[static_cast<std::size_t>(k)];
    }
    out = piece(index).sub(local);
    return true;
  }

  std::vector<std::int64_t> seams(std::size_t axis) const override {
    const Shape& s = starts_[axis];
    std::vector<std::int64_t> inner;
    for (std::size_t k = 1; k + 1 < s.size(); ++k)
      if (s[k] > 0 && s[k] < s.back() && (inner.empty() || inner.back() != s[k])) inner.push_back(s[k]);
    return inner;
  }

  void generate(const Region& region, const std::vector<View>&, const View& out, Workspace& workspace) const override {
    const std::size_t nd = grid_.size();
    // Per axis, the grid slices the region crosses.
    Shape first(nd), last(nd);
    for (std::size_t a = 0; a < nd; ++a) {
      const Shape& s = starts_[a];
      first[a] = std::upper_bound(s.begin(), s.end() - 1, region.offset[a]) - s.begin() - 1;
      last[a] = std::lower_bound(s.begin(), s.end() - 1, region.offset[a] + region.size[a]) - s.begin() - 1;
    }
    Shape index = first;
    while (true) {
      Region src{Shape(nd), Shape(nd)}, dst{Shape(nd), Shape(nd)};
      bool empty = false;
      for (std::size_t a = 0; a < nd; ++a) {
        const std::int64_t lo = std::max(region.offset[a], starts_[a][static_cast<std::size_t>(index[a])]);
        const std::int64_t hi =
            std::min(region.offset[a] + region.size[a], starts_[a][static_cast<std::size_t>(index[a]) + 1]);
        empty = empty || hi <= lo;
        src.offset[a] = lo - starts_[a][static_cast<std::size_t>(index[a])];
        dst.offset[a] = lo - region.offset[a];
        src.size[a] = dst.size[a] = std::max<std::int64_t>(hi - lo, 0);
      }
      if (!empty) copy_convert(piece(index).sub(src), out.sub(dst));
      std::size_t a = nd;
      while (a-- > 0 && ++index[a] > last[a]) index[a] = first[a];
      if (a == static_cast<std::size_t>(-1)) break;
    }
  }

 private:
  const View& piece(const Shape& index) const {
    std::int64_t flat = 0;
    for (std::size_t a = 0; a < grid_.size(); ++a) flat = flat * grid_[a] + index[a];
    return pieces_[static_cast<std::size_t>(flat)];
  }

  std::vector<View> pieces_;
  Shape grid_;
  std::vector<Shape> starts_;
};

}  // namespace
}  // namespace detail

Image block(const std::vector<View>& pieces, const Shape& grid) {
  const std::size_t nd = grid.size();
  if (nd == 0) throw ValueError("block: the grid must have at least one axis");
  for (auto g : grid)
    if (g < 1) throw ValueError("block: every axis of the grid needs a piece, got grid " + shape_to_string(grid));
  if (static_cast<std::int64_t>(pieces.size()) != element_count(grid))
    throw ValueError("block: a grid of " + shape_to_string(grid) + " needs " + std::to_string(element_count(grid)) +
                     " pieces, got " + std::to_string(pieces.size()));
  // Sizes per axis from the pieces on the grid's first slice of the other axes.
  std::vector<Shape> starts(nd);
  Shape shape(nd);
  std::int64_t stride = 1;
  for (std::size_t a = nd; a-- > 0;) {
    starts[a].push_back(0);
    for (std::int64_t k = 0; k < grid[a]; ++k) {
      const View& p = pieces[static_cast<std::size_t>(k * stride)];
      if (p.ndim() != nd) {
        Shape at(nd, 0);
        at[a] = k;
        throw ValueError("block: the piece at " + shape_to_string(at) + " has " + std::to_string(p.ndim()) +
                         " axes, the grid " + std::to_string(nd));
      }
      starts[a].push_back(starts[a].back() + p.shape[a]);
    }
    shape[a] = starts[a].back();
    stride *= grid[a];
  }
  Shape index(nd, 0);
  for (const View& p : pieces) {
    Shape want(nd);
    for (std::size_t a = 0; a < nd; ++a)
      want[a] = starts[a][static_cast<std::size_t>(index[a]) + 1] - starts[a][static_cast<std::size_t>(index[a])];
    if (p.dtype != pieces.front().dtype)
      throw ValueError("block: the piece at " + shape_to_string(index) + " is " +
                       std::string(dtype_name(p.dtype)) + ", the first " +
                       std::string(dtype_name(pieces.front().dtype)));
    if (p.shape != want)
      throw ValueError("block: the piece at " + shape_to_string(index) + " has shape " +
                       shape_to_string(p.shape) + ", its place in the grid needs " + shape_to_string(want));
    for (std::size_t a = nd; a-- > 0 && ++index[a] == grid[a];) index[a] = 0;
  }
  return Image(std::make_shared<detail::BlockSource>(pieces, grid, std::move(starts), std::move(shape)));
}

}  // namespace tessera
