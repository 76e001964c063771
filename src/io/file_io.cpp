// tessera::open, tessera::save and tessera::file_info: the format is chosen by
// the file's extension.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "engine/sink.hpp"
#include "io/npy.hpp"
#include "io/tiff_sink.hpp"
#include "io/tiff_source.hpp"
#include "tessera/error.hpp"
#include "tessera/io.hpp"

namespace tessera {

namespace {

enum class Format { Tiff, Npy };

Format format_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".tif" || ext == ".tiff") return Format::Tiff;
  if (ext == ".npy") return Format::Npy;
  throw ValueError(path + ": unknown file type '" + ext + "' (tessera reads and writes .tif, .tiff and .npy)");
}

}  // namespace

Image open(const std::string& path, const OpenOptions& options) {
  if (format_of(path) == Format::Tiff) return io::open_tiff(path, options.page);
  if (options.page >= 0) throw ValueError(path + ": page= applies to TIFF files only");
  return io::open_npy(path);
}

FileInfo file_info(const std::string& path) {
  if (format_of(path) == Format::Tiff) return io::tiff_info(path);
  const io::NpyHeader h = io::read_npy_header(path);
  FileInfo info;
  info.format = "npy";
  info.shape = h.shape;
  info.dtype = h.dtype;
  info.compression = "none";
  info.layout = h.fortran ? "Fortran order" : "C order";
  return info;
}

void save(const Image& image, const std::string& path, const SaveOptions& options) {
  if (!image) throw ValueError(path + ": nothing to save (an empty image handle)");
  std::unique_ptr<detail::Sink> sink;
  Image source = image;
  if (format_of(path) == Format::Tiff) {
    sink = io::make_tiff_sink(path, image.shape(), image.dtype(), options);
  } else {
    if (options.compression != "none" || options.tile)
      throw ValueError(path + ": .npy files take no compression or tiles");
    sink = io::make_npy_sink(path, image.shape(), image.dtype());
  }
  detail::StreamOptions so;
  so.threads = options.threads;
  so.progress = options.progress;
  detail::stream_to_sink(source, *sink, so);
}

}  // namespace tessera
