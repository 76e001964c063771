// .npy files (numpy's format, version 1-3): read and write, C or Fortran
// order, little- or big-endian on read. Written by hand: the format is a short
// header and raw data, and no Debian C++ library reads it.
#pragma once

#include <memory>
#include <string>

#include "engine/sink.hpp"
#include "tessera/image.hpp"
#include "tessera/view.hpp"

namespace tessera::io {

struct NpyHeader {
  DType dtype = DType::UInt8;
  Shape shape;
  bool fortran = false, swap = false;
  std::size_t data_offset = 0;
};
// Reads and checks the header (the file must hold all the data it declares).
NpyHeader read_npy_header(const std::string& path);

Buffer read_npy(const std::string& path);
// The file memory-mapped, as a lazy source read in place.
Image open_npy(const std::string& path);
// A streaming .npy writer (engine/sink.hpp), atomic as write_npy.
std::unique_ptr<detail::Sink> make_npy_sink(const std::string& path, const Shape& shape, DType dtype);
// Writes atomically: to a temporary name in the same folder, renamed at the end.
void write_npy(const std::string& path, const View& view);

}  // namespace tessera::io
