// A TIFF file as a lazy engine source.
#pragma once

#include <string>

#include "tessera/image.hpp"
#include "tessera/io.hpp"

namespace tessera::io {

Image open_tiff(const std::string& path, int page);
FileInfo tiff_info(const std::string& path);

}  // namespace tessera::io
