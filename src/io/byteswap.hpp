// Reverses the byte order of each item of a buffer (big-endian files on a
// little-endian machine: .npy and TIFF readers).
#pragma once

#include <algorithm>
#include <cstddef>

namespace tessera::io {

inline void swap_bytes(std::byte* data, std::size_t bytes, std::size_t item) {
  if (item < 2) return;
  for (std::size_t i = 0; i + item <= bytes; i += item) std::reverse(data + i, data + i + item);
}

}  // namespace tessera::io
