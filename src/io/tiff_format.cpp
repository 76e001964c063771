// TIFF in the format registry: libtiff's reader (tiff_source) and writer
// (tiff_sink), classic and BigTIFF, either byte order.
#include "io/format.hpp"
#include "io/tiff_sink.hpp"
#include "io/tiff_source.hpp"

namespace tessera::io {

namespace {
const bool registered = register_format({
    .name = "tiff",
    .extensions = {".tif", ".tiff"},
    .magics = {std::string("II*\0", 4), std::string("MM\0*", 4), std::string("II+\0", 4), std::string("MM\0+", 4)},
    .open = [](const std::string& path, const OpenOptions& o) {
      return o.level > 0 ? open_tiff(path, overview_page(path, o.level), true) : open_tiff(path, o.page);
    },
    .info = &tiff_info,
    .sink = &make_tiff_sink,
    .encoder = nullptr,
});
}  // namespace

}  // namespace tessera::io
