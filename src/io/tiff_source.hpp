// A TIFF file as a lazy engine source.
#pragma once

#include <string>

#include "tessera/image.hpp"
#include "tessera/io.hpp"

namespace tessera::io {

// `overview`: the page is a reduced-resolution image of page 0, whose
// georeferencing it takes, scaled (overview_metadata).
Image open_tiff(const std::string& path, int page, bool overview = false);
FileInfo tiff_info(const std::string& path);
// The page of the level-th reduced-resolution image (NewSubfileType bit 0,
// not a mask), largest first; ValueError naming the levels there are.
int overview_page(const std::string& path, int level);

}  // namespace tessera::io
