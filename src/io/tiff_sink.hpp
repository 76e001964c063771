// Streaming TIFF writer: a Sink (engine/sink.hpp) that writes strips or tiles
// as bands arrive, in order.
#pragma once

#include <memory>
#include <string>

#include "engine/sink.hpp"
#include "tessera/io.hpp"

namespace tessera::io {

std::unique_ptr<detail::Sink> make_tiff_sink(const std::string& path, const Shape& shape, DType dtype,
                                             const SaveOptions& options);

}  // namespace tessera::io
