// .npy files (numpy's format, version 1-3): read and write, C or Fortran
// order, little- or big-endian on read. Written by hand: the format is a short
// header and raw data, and no Debian C++ library reads it.
#pragma once

#include <string>

#include "tessera/view.hpp"

namespace tessera::io {

Buffer read_npy(const std::string& path);
// Writes atomically: to a temporary name in the same folder, renamed at the end.
void write_npy(const std::string& path, const View& view);

}  // namespace tessera::io
