// Files decoded by a codec (PNG, JPEG). What a header may claim: its size,
// in checked arithmetic, no more than the file's bytes can expand to, and,
// for a file decoded whole, half of this machine's memory, so that a crafted
// header is refused with the file's name instead of an allocation that fails
// or swaps. (A file streamed row by row takes its window, not its size.)
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tessera/error.hpp"
#include "tessera/io.hpp"
#include "tessera/view.hpp"

namespace tessera::io {

// `max_ratio`: the most the format's codec can expand a byte of the file to
// (deflate: 1032; JPEG: an 8x8 block per bit or so, 512 samples a byte, with
// margin): a header claiming more than the file's bytes can hold is refused
// before anything of that size is allocated.
inline void check_decoded_size(const std::string& path, const Shape& shape, DType dtype, double max_ratio,
                               bool whole = true) {
  for (const std::int64_t n : shape)
    if (n < 1) throw IOError(path + ": corrupt header (shape " + shape_to_string(shape) + ")");
  std::int64_t bytes = 0;
  try {
    bytes = byte_count(shape, itemsize(dtype));
  } catch (const Error&) {
    throw IOError(path + ": corrupt header (shape " + shape_to_string(shape) + " overflows)");
  }
  struct stat st {};
  const double file_bytes = ::stat(path.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0.0;
  if (static_cast<double>(bytes) > max_ratio * file_bytes + 65536.0)
    throw IOError(path + ": corrupt header: shape " + shape_to_string(shape) + " is more than a file of " +
                  std::to_string(static_cast<std::int64_t>(file_bytes)) + " bytes can hold");
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  if (whole && static_cast<double>(bytes) > memory / 2)
    throw IOError(path + ": decoded, shape " + shape_to_string(shape) + " would take " +
                  std::to_string(bytes >> 20) + " MiB, more than half of this machine's memory");
}

// What info() says of a file decoded whole: its format, shape and dtype.
// A whole-decoded file: its pixels and the tags it carries.
struct Decoded {
  Buffer pixels;
  Metadata metadata;
};

// What info() says of a file from its header: format, shape, dtype, tags,
// and how it is read ("rows in order", or "decoded whole").
inline FileInfo header_info(const std::string& format, const Shape& shape, DType dtype, Metadata metadata,
                            const std::string& layout) {
  FileInfo i;
  i.metadata = std::move(metadata);
  i.format = format;
  i.shape = shape;
  i.dtype = dtype;
  i.layout = layout;
  return i;
}

}  // namespace tessera::io
