// A TIFF file's layout as tessera reads it: per page the size, samples,
// dtype, chunking (strips or tiles, chunky or planar), compression and the
// offsets and byte counts of every chunk, checked against the file's size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/tiff_common.hpp"
#include "tessera/image.hpp"
#include "tessera/metadata.hpp"

namespace tessera::io {

struct PageLayout {
  std::int64_t height = 0, width = 0;
  int samples = 1;
  DType dtype = DType::UInt8;
  int bits = 8;  // BitsPerSample: 8 * itemsize(dtype), or fewer when packed
  bool planar = false;  // PLANARCONFIG_SEPARATE with more than one sample
  bool tiled = false;
  std::int64_t chunk_h = 0, chunk_w = 0;  // rows per strip and the width, or the tile
  std::int64_t across = 1, down = 1;      // chunks per row of chunks, rows of chunks (per plane)
  unsigned compression = COMPRESSION_NONE;
  unsigned photometric = PHOTOMETRIC_MINISBLACK;
  unsigned fill_order = FILLORDER_MSB2LSB;  // LSB2MSB: libtiff reverses each byte's bits on read
  std::vector<std::uint64_t> offsets, bytecounts;  // per chunk, plane after plane
  // A chunk with no bytes and no offset is absent (GDAL's SPARSE_OK files):
  // it reads as this, GDAL_NODATA's value when the file has one, else 0.
  double sparse_fill = 0.0;
  bool absent(std::int64_t k) const { return bytecounts[k] == 0 && offsets[k] == 0; }

  std::int64_t planes() const { return planar ? samples : 1; }
  std::int64_t chunk_samples() const { return planar ? 1 : samples; }
  std::int64_t chunk_bytes() const {
    return chunk_h * chunk_w * chunk_samples() * static_cast<std::int64_t>(itemsize(dtype));
  }
  bool packed() const { return bits != 8 * static_cast<int>(itemsize(dtype)); }
  // Bytes of one row of a chunk as the file stores it (packed rows end on a byte).
  std::int64_t stored_row_bytes() const { return (chunk_w * chunk_samples() * bits + 7) / 8; }
  bool same_image(const PageLayout& o) const {
    return height == o.height && width == o.width && samples == o.samples && dtype == o.dtype;
  }
  std::string describe() const {
    std::string s = tiled ? "tiled " + std::to_string(chunk_h) + "x" + std::to_string(chunk_w)
                          : "striped " + std::to_string(chunk_h) + " rows";
    return s + (planar ? ", planar" : ", chunky");
  }
};

std::string page_name(int p);

// The most one strip or tile may decode to: a header's sizes are checked
// against it (and against what the codec can expand its bytes to) before
// anything is allocated.
inline constexpr std::int64_t kMaxChunkBytes = std::int64_t{1} << 30;
void check_chunk_sizes(TiffHandle& h, const PageLayout& L, int page);

// The layout of directory `page` (the handle is on it); IOError/ValueError
// naming the file for anything corrupt, truncated or unsupported.
PageLayout read_layout(TiffHandle& h, int page, std::uint64_t file_size);

// The layouts of one page (page >= 0) or of every full-resolution page (a
// volume: all alike, else IOError saying to open one page). Pages that are
// reduced-resolution copies or masks of another (NewSubfileType bits 0 and
// 2: a COG's overviews, GDAL's masks) after the full-resolution ones are
// not part of the image; page= still opens any page.
struct Opened {
  std::vector<PageLayout> pages;
  int n_pages = 0;     // every directory
  int n_main = 0;      // the leading full-resolution pages
  bool swapped = false, bigtiff = false;
  Metadata metadata;  // the first page's carried tags
};
Opened read_file(const std::string& path, int page);

// (pages,) height, width (, samples).
Shape shape_of(const PageLayout& L, std::size_t pages, bool volume);

}  // namespace tessera::io
