// Streaming TIFF writer: a Sink (engine/sink.hpp) that writes strips or tiles
// as bands arrive, in order.
#pragma once

#include <memory>
#include <string>

#include "engine/sink.hpp"
#include "io/tiff_common.hpp"
#include "tessera/io.hpp"

namespace tessera::io {

std::unique_ptr<detail::Sink> make_tiff_sink(const std::string& path, const Shape& shape, DType dtype,
                                             const SaveOptions& options);

// How the options encode samples of `dtype`: libtiff's compression and
// predictor tags, checked (ValueError naming `path`).
struct TiffCodec {
  unsigned compression = 1, predictor = 1;
};
TiffCodec tiff_codec(const std::string& path, DType dtype, const SaveOptions& options);

// The fields of a page of `width` x `height` x `samples` samples of `dtype`
// encoded by `codec` (the image's tags are write_tiff_metadata's).
void set_tiff_image_fields(TIFF* t, std::int64_t width, std::int64_t height, std::int64_t samples, DType dtype,
                           const TiffCodec& codec);

// A Cloud-Optimised GeoTIFF (save(cog=True), cog_sink.cpp).
std::unique_ptr<detail::Sink> make_cog_sink(const std::string& path, const Shape& shape, DType dtype,
                                            const SaveOptions& options);

}  // namespace tessera::io
