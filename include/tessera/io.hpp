// Files: lazy sources that read pixels only as the engine asks for them, and
// sinks that write an image as it is computed, band by band, so that a
// pipeline from file to file needs memory for a few bands, whatever the size.
// Formats: TIFF (through libtiff: striped or tiled, chunky or planar, classic
// or BigTIFF, multi-page as a volume) and .npy (memory-mapped).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/image.hpp"
#include "tessera/metadata.hpp"

namespace tessera {

namespace detail {
class Sink;
}

struct OpenOptions {
  // A multi-page TIFF opens as a volume (pages, height, width[, samples]);
  // page >= 0 opens that page alone.
  int page = -1;
  // level >= 1 opens the level-th reduced-resolution page (a COG's or a
  // pyramid's overviews, largest first); 0 the image itself.
  int level = 0;
  // A palette TIFF: "indices" (its values, the map in ColorMap) or "rgb"
  // (expanded through the map: uint8 when every entry is a multiple of 257,
  // as 8-bit colours stored in TIFF's 16 bits are, else uint16). Other
  // files open as they are either way.
  std::string palette = "indices";
};

// A lazy image over a file (.tif/.tiff or .npy). Reads the header only;
// throws IOError naming the file and the problem if it cannot be read.
Image open(const std::string& path, const OpenOptions& options = {});

struct FileInfo {
  std::string format;        // "tiff" or "npy"
  Shape shape;               // as open() gives it
  DType dtype = DType::UInt8;
  int pages = 1;
  std::string compression;   // "none", "deflate", ... (TIFF)
  std::string layout;        // "striped 64 rows, chunky", "tiled 256x256, planar" (TIFF)
  bool bigtiff = false;
  Metadata metadata;         // the tags an opened image carries (tessera/metadata.hpp)
};
FileInfo file_info(const std::string& path);

// The file formats tessera knows (the format registry), by name.
struct FormatInfo {
  std::string name;                     // "tiff", "npy", "gif", "apng"
  std::vector<std::string> extensions;  // ".tif", ".tiff"
  bool reads = false, writes = false;   // open() and save() take it
  bool animates = false;                // save_animation / AnimationWriter write it
};
std::vector<FormatInfo> formats();
// The format that open() would read `path` with ("tiff"), or "" if none.
std::string readable_format(const std::string& path);

struct SaveOptions {
  std::string compression = "none";  // TIFF: none, deflate, lzw, zstd, packbits
  std::optional<std::pair<std::int64_t, std::int64_t>> tile;  // TIFF: (height, width), multiples of 16; none: strips
  std::string bigtiff = "auto";      // "auto" (when the file could pass 4 GB), "yes", "no"
  std::string predictor = "auto";    // "auto" (horizontal for integers, float for floats, when compressed), "none", "horizontal", "float"
  double fps = 15;                   // animations (.gif, .png, .apng): frames per second
  std::optional<int> quality;        // JPEG: 1 (smallest) to 100 (best); unset: 90
  // TIFF: a Cloud-Optimised GeoTIFF (tiled, 512 x 512 unless `tile` says;
  // internal overviews, halving until one tile holds the smallest, by
  // `overview_resampling`, "average" or "nearest"; GDAL's COG layout).
  bool cog = false;
  std::string overview_resampling = "average";
  std::optional<int> compress_level;  // PNG: zlib level 0 (fastest) to 9 (smallest); unset: 6 (Pillow's name)
  // The tags written (TIFF): unset, the image's own (Image::metadata); set,
  // exactly these (empty: none). Photometric, ExtraSamples and ColorMap are
  // written when they fit the samples, else tessera's defaults.
  std::optional<Metadata> metadata;
  // How a 3-D shape lies in a TIFF: "auto" (tessera/metadata.hpp's
  // image_planes), "samples" (height, width, samples) or "pages".
  std::string layout = "auto";
  int threads = 0;
  std::function<void(double)> progress;  // the fraction done, from the calling thread
};

// Computes `image` into a file, streaming: rows are written as they are
// produced, under a temporary name in the same folder, renamed into place
// when complete. On any error (a full disk included) no file is left and an
// IOError says why. 2-D images are one grey page; 3-D are one page of
// samples or pages by image_planes (tessera/metadata.hpp); 4-D are pages of
// samples. The image's metadata is written unless options say otherwise.
void save(const Image& image, const std::string& path, const SaveOptions& options = {});

// Writes an image that a producer outside the engine supplies band by band
// (Dask's chunks, say), with save()'s formats and guarantees: bands in C
// order, each whole rows of one page (or whole pages) and a multiple of
// row_granularity() rows along row_axis() except at the axis's end; commit()
// makes the file appear, abort() (or destruction without commit) leaves none.
class BandWriter {
 public:
  BandWriter(const std::string& path, const Shape& shape, DType dtype, const SaveOptions& options = {});
  ~BandWriter();
  BandWriter(const BandWriter&) = delete;
  BandWriter& operator=(const BandWriter&) = delete;

  std::size_t row_axis() const;
  std::int64_t row_granularity() const;
  // Writes `data` (shape band.size) at band.offset, on the thread pool's
  // background thread: it returns once the band before it is written, so the
  // caller computes the next band meanwhile (data.owner keeps the memory
  // alive until written). ValueError if it is not the next band in order; an
  // error writing a band is raised by the next write() or commit().
  void write(const Region& band, const View& data);
  void commit();
  void abort() noexcept;

 private:
  std::string path_;
  Shape shape_;
  DType dtype_;
  std::unique_ptr<detail::Sink> sink_;
  Shape next_;  // where the next band starts
  bool done_ = false;
  std::future<void> pending_;  // the band being written
  View pending_view_;          // its data, held until written

  void finish_pending();
};

}  // namespace tessera
