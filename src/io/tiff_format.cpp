// TIFF in the format registry: libtiff's reader (tiff_source) and writer
// (tiff_sink), classic and BigTIFF, either byte order.
#include "engine/array_source.hpp"
#include "io/format.hpp"
#include "io/tiff_common.hpp"
#include "tessera/lookup.hpp"
#include "io/tiff_sink.hpp"
#include "io/tiff_source.hpp"

namespace tessera::io {

namespace {

// A palette image (Photometric 3) through its ColorMap: (..., 3) colours.
Image expand_palette(const Image& img) {
  const Metadata m = img.metadata();
  const auto photometric = m.find("Photometric");
  const auto colormap = m.find("ColorMap");
  const auto* p = photometric == m.end() ? nullptr : std::get_if<std::vector<std::int64_t>>(&photometric->second);
  const auto* map = colormap == m.end() ? nullptr : std::get_if<std::vector<std::int64_t>>(&colormap->second);
  if (!p || p->empty() || (*p)[0] != PHOTOMETRIC_PALETTE || !map) return img;
  const std::size_t n = map->size() / 3;
  bool eight = true;
  for (const std::int64_t v : *map) eight = eight && v % 257 == 0;
  Buffer table(eight ? DType::UInt8 : DType::UInt16, {static_cast<std::int64_t>(n), 3});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < 3; ++c) {
      const std::int64_t v = (*map)[c * n + i];
      if (eight) table.data_as<std::uint8_t>()[i * 3 + c] = static_cast<std::uint8_t>(v / 257);
      else table.data_as<std::uint16_t>()[i * 3 + c] = static_cast<std::uint16_t>(v);
    }
  return lookup(img, Image(std::make_shared<detail::ArraySource>(table.view())));
}

const bool registered = register_format({
    .name = "tiff",
    .extensions = {".tif", ".tiff"},
    .magics = {std::string("II*\0", 4), std::string("MM\0*", 4), std::string("II+\0", 4), std::string("MM\0+", 4)},
    .open = [](const std::string& path, const OpenOptions& o) {
      if (o.palette != "indices" && o.palette != "rgb")
        throw ValueError(path + ": palette must be 'indices' or 'rgb', not '" + o.palette + "'");
      Image img = o.level > 0 ? open_tiff(path, overview_page(path, o.level), true) : open_tiff(path, o.page);
      return o.palette == "rgb" ? expand_palette(img) : img;
    },
    .info = &tiff_info,
    .sink = &make_tiff_sink,
    .encoder = nullptr,
});
}  // namespace

}  // namespace tessera::io
