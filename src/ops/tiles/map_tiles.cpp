// map_tiles: a user function per tile. Geometry here (tile shape, halo); the
// engine cuts, pads, schedules and assembles. A function that returns its
// results (Python's) is probed on its first tile, and its results trimmed of
// the halo, here too, so every face shares one rule.
#include <algorithm>
#include <mutex>

#include "engine/copy.hpp"
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
  // What one haloed tile of each input holds, checked before any is made:
  // a halo of a billion is a mistake, not a request for gigabytes.
  constexpr std::int64_t kMaxTileBytes = std::int64_t{1} << 30;
  for (const Image& in : inputs) {
    std::int64_t bytes = static_cast<std::int64_t>(itemsize(in.dtype()));
    bool overflow = false;
    for (std::size_t a = 0; a < in.ndim(); ++a) {
      std::int64_t extent = in.shape()[a];
      if (a < tiled) {
        const std::int64_t h = a < o.halo.size() ? o.halo[a] : 0;
        overflow = overflow || __builtin_mul_overflow(h, 2, &extent) ||
                   __builtin_add_overflow(extent, std::min(o.tile[a], in.shape()[a]), &extent);
      }
      overflow = overflow || __builtin_mul_overflow(bytes, extent, &bytes);
    }
    if (overflow || bytes > kMaxTileBytes)
      throw ValueError("map_tiles: a tile " + shape_to_string(o.tile) + " with halo " + shape_to_string(o.halo) +
                       " would hold " + (overflow ? std::string("more than 2^63") : std::to_string(bytes)) +
                       " bytes of an input; at most 1 GiB a tile (a smaller tile or halo)");
  }
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

namespace {
std::string tile_name(const Region& r) { return "the tile at " + r.to_string(); }
}  // namespace

View trim_tile_result(const View& v, const Region& region, const Shape& halo, std::size_t tiled) {
  if (v.ndim() < tiled)
    throw ValueError("map_tiles: the function returned shape " + shape_to_string(v.shape) + " for " +
                     tile_name(region));
  Region trim{Shape(v.ndim(), 0), v.shape};
  for (std::size_t k = 0; k < tiled; ++k) {
    const std::int64_t h = k < halo.size() ? halo[k] : 0;
    if (v.shape[k] == region.size[k] + 2 * h) {
      trim.offset[k] = h;
      trim.size[k] = region.size[k];
    } else if (v.shape[k] != region.size[k]) {
      Shape with_halo = region.size;
      for (std::size_t j = 0; j < tiled; ++j) with_halo[j] += 2 * (j < halo.size() ? halo[j] : 0);
      throw ValueError("map_tiles: the function returned shape " + shape_to_string(v.shape) + " for " +
                       tile_name(region) + "; expected leading axes " +
                       shape_to_string(Shape(with_halo.begin(), with_halo.begin() + tiled)) + " (with halo) or " +
                       shape_to_string(Shape(region.size.begin(), region.size.begin() + tiled)));
    }
  }
  return v.sub(trim);
}

namespace {

// The function, and its first tile's result kept from the probe for the run.
struct ProbedFunction {
  TileResultFunction fn;
  std::size_t tiled = 0;
  std::mutex mutex;
  std::optional<Region> cached_region;  // the probed tile (its tiled axes)
  View cached;

  // The same tile: the tiled axes agree (the output has trailing axes the probe had not).
  bool is_cached(const Region& region) const {
    if (!cached_region) return false;
    for (std::size_t k = 0; k < tiled; ++k)
      if (cached_region->offset[k] != region.offset[k] || cached_region->size[k] != region.size[k]) return false;
    return true;
  }

  View call(const Region& region, const std::vector<View>& inputs) {
    {
      std::lock_guard lock(mutex);
      if (is_cached(region)) {
        cached_region.reset();
        return std::move(cached);
      }
    }
    return fn(region, inputs);
  }
};

}  // namespace

Image map_tiles(TileResultFunction function, const std::vector<Image>& inputs, const TileOptions& options,
                std::optional<DType> out_dtype) {
  auto probed = std::make_shared<ProbedFunction>();
  probed->fn = std::move(function);
  const std::size_t tiled = options.tile.size();
  probed->tiled = tiled;
  // Probe: the first tile's result tells the output's dtype and trailing axes.
  TileOptions o = options;
  o.out_dtype = DType::Bool;
  o.out_trailing.clear();
  std::optional<Region> first_region;
  const Image probe = map_tiles(
      [&](const Region& r, const std::vector<View>& in, const View&) {
        probed->cached = probed->fn(r, in);
        first_region = r;
      },
      inputs, o);
  Region r0 = Region::whole(probe.shape());
  for (std::size_t k = 0; k < tiled; ++k) r0.size[k] = std::min(options.tile[k], r0.size[k]);
  if (r0.count() == 0) throw ValueError("map_tiles: the input is empty");
  probe.compute_region(r0);
  const View first = trim_tile_result(probed->cached, *first_region, options.halo, tiled);
  probed->cached_region = first_region;
  o.out_dtype = out_dtype ? *out_dtype : first.dtype;
  o.out_trailing.assign(first.shape.begin() + static_cast<std::ptrdiff_t>(tiled), first.shape.end());
  const Shape halo = options.halo;
  return map_tiles(
      [probed, halo, tiled](const Region& r, const std::vector<View>& in, const View& out) {
        const View result = probed->call(r, in);
        const View src = trim_tile_result(result, r, halo, tiled);
        if (!std::equal(src.shape.begin() + static_cast<std::ptrdiff_t>(tiled), src.shape.end(),
                        out.shape.begin() + static_cast<std::ptrdiff_t>(tiled), out.shape.end()))
          throw ValueError("map_tiles: the function returned shape " + shape_to_string(result.shape) + " for " +
                           tile_name(r) + ", but the first tile's trailing axes were " +
                           shape_to_string(Shape(out.shape.begin() + static_cast<std::ptrdiff_t>(tiled),
                                                 out.shape.end())));
        detail::copy_convert(src, out);
      },
      inputs, o);
}

}  // namespace tessera
