// A lazy image assembled from a grid of in-memory pieces, as numpy.block
// assembles a regular grid, but without copying them.
#pragma once

#include <vector>

#include "tessera/image.hpp"

namespace tessera {

// `pieces` in C order of their grid positions; `grid` counts them per axis.
// Every piece has the image's number of axes and dtype; along each axis the
// pieces of one grid slice share a size. The engine reads a region inside one
// piece in place and gathers one that crosses pieces into its tile.
// ValueError names the piece that does not fit.
Image block(const std::vector<View>& pieces, const Shape& grid);

}  // namespace tessera
