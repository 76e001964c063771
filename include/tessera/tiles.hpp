// tessera::map_tiles: a user function run on tiles in parallel, with a halo
// filled by a boundary mode and trimmed by the engine.
#pragma once

#include <functional>
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

}  // namespace tessera
