// map_tiles: a user function per tile. Geometry here (tile shape, halo); the
// engine cuts, pads, schedules and assembles.
#include "tessera/tiles.hpp"

namespace tessera {

namespace {

class TileFunctionNode final : public Node {
 public:
  TileFunctionNode(TileFunction fn, const std::vector<Image>& inputs, const TileOptions& o, Shape shape)
      : Node(std::move(shape), o.out_dtype, inputs), fn_(std::move(fn)), options_(o) {}

  std::string name() const override { return options_.name; }
  std::optional<Shape> preferred_tile() const override { return options_.tile; }
  Boundary input_boundary(std::size_t) const override { return options_.boundary; }

  Region input_region(std::size_t i, const Region& out) const override {
    const Shape& in = inputs()[i].shape();
    Region r = Region::whole(in);
    for (std::size_t a = 0; a < options_.tile.size(); ++a) {
      const std::int64_t h = a < options_.halo.size() ? options_.halo[a] : 0;
      r.offset[a] = out.offset[a] - h;
      r.size[a] = out.size[a] + 2 * h;
    }
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    fn_(region, inputs, out);
  }

 private:
  TileFunction fn_;
  TileOptions options_;
};

}  // namespace

Image map_tiles(TileFunction function, const std::vector<Image>& inputs, const TileOptions& o) {
  if (inputs.empty()) throw ValueError("map_tiles needs at least one input array");
  const std::size_t tiled = o.tile.size();
  if (tiled == 0) throw ValueError("map_tiles: the tile shape is empty");
  for (auto t : o.tile)
    if (t < 1) throw ValueError("map_tiles: tile sizes must be positive, got " + shape_to_string(o.tile));
  if (!o.halo.empty() && o.halo.size() != tiled)
    throw ValueError("map_tiles: halo " + shape_to_string(o.halo) + " must have one entry per tiled axis " +
                     shape_to_string(o.tile));
  for (auto h : o.halo)
    if (h < 0) throw ValueError("map_tiles: halo must be non-negative");
  const Shape& first = inputs[0].shape();
  if (first.size() < tiled)
    throw ValueError("map_tiles: tile " + shape_to_string(o.tile) + " has more axes than the input of shape " +
                     shape_to_string(first));
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i].shape();
    if (s.size() < tiled || !std::equal(first.begin(), first.begin() + tiled, s.begin()))
      throw ValueError("map_tiles: input " + std::to_string(i) + " has shape " + shape_to_string(s) +
                       ", but input 0 has shape " + shape_to_string(first) + "; their first " +
                       std::to_string(tiled) + " axes must match");
  }
  Shape shape(first.begin(), first.begin() + tiled);
  shape.insert(shape.end(), o.out_trailing.begin(), o.out_trailing.end());
  return Image(std::make_shared<TileFunctionNode>(std::move(function), inputs, o, shape));
}

}  // namespace tessera
