// tessera::map_tiles: a user function run on tiles in parallel, with a halo
// filled by a boundary mode and trimmed by the engine.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "tessera/image.hpp"

namespace tessera {

// Called once per output tile. `inputs` are the tile's regions of each input,
// grown by the halo and padded by the boundary mode; `out` is the tile itself
// (the region without halo). Called concurrently on different tiles.
using TileFunction =
    std::function<void(const Region& tile, const std::vector<View>& inputs, const View& out)>;

struct TileOptions {
  Shape tile;        // tile size over the leading axes, e.g. {512, 512}
  Shape halo;        // per tiled axis; empty means no halo
  Boundary boundary;
  DType out_dtype = DType::Float64;
  Shape out_trailing;  // the output's axes after the tiled ones (none when empty)
  std::string name = "map_tiles";
};

// All inputs must share their leading (tiled) axes.
Image map_tiles(TileFunction function, const std::vector<Image>& inputs, const TileOptions& options);

// A function that returns its result for a tile instead of writing it: a
// view of memory it owns (view.owner keeps it alive), whose leading axes are
// the tile's, or the tile's grown by the halo (trimmed here), with any dtype
// and trailing axes.
using TileResultFunction = std::function<View(const Region& tile, const std::vector<View>& inputs)>;

// map_tiles over such a function: the first tile runs at once, on this
// thread, to learn the output's dtype (unless out_dtype says) and trailing
// axes, and its result is reused by the run. options.out_dtype and
// out_trailing are ignored. ValueError names the tile whose result does not
// fit (a shape neither the tile's nor the haloed tile's, other trailing axes).
Image map_tiles(TileResultFunction function, const std::vector<Image>& inputs, const TileOptions& options,
                std::optional<DType> out_dtype);

// The part of a tile function's result that is the tile itself: `result`
// with leading axes the tile's (kept) or the tile's grown by `halo` (trimmed).
View trim_tile_result(const View& result, const Region& tile, const Shape& halo, std::size_t tiled);

}  // namespace tessera
