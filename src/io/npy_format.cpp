// .npy in the format registry: memory-mapped sources, streamed sinks.
#include "io/format.hpp"
#include "io/npy.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

FileInfo npy_info(const std::string& path) {
  const NpyHeader h = read_npy_header(path);
  FileInfo info;
  info.format = "npy";
  info.shape = h.shape;
  info.dtype = h.dtype;
  info.compression = "none";
  info.layout = h.fortran ? "Fortran order" : "C order";
  return info;
}

const bool registered = register_format({
    .name = "npy",
    .extensions = {".npy"},
    .magics = {"\x93NUMPY"},
    .open =
        [](const std::string& path, const OpenOptions& o) {
          if (o.page >= 0) throw ValueError(path + ": page= applies to TIFF files only");
          return open_npy(path);
        },
    .info = &npy_info,
    .sink =
        [](const std::string& path, const Shape& shape, DType dtype, const SaveOptions& o) {
          if (o.compression != "none" || o.tile) throw ValueError(path + ": .npy files take no compression or tiles");
          return make_npy_sink(path, shape, dtype);
        },
    .encoder = nullptr,
});

}  // namespace

}  // namespace tessera::io
