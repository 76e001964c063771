// The format registry: each file format registers once, in its own source
// file, what it can do (open a lazy source, describe a file, make a sink that
// streams an image into a file, encode an animation) and how its files are
// known (extensions, first bytes). open/save/file_info, AnimationWriter, the
// command line and Python all ask it; a new format is one new registration
// and its source/sink pair.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/sink.hpp"
#include "tessera/animation.hpp"
#include "tessera/io.hpp"

namespace tessera::io {

struct Format {
  std::string name;                     // "tiff", "npy", "gif", "apng"
  std::vector<std::string> extensions;  // lower case, with the dot: ".tif", ".tiff"
  std::vector<std::string> magics;      // first bytes of its files (any one of them)
  // Each null when the format cannot do it.
  std::function<Image(const std::string& path, const OpenOptions&)> open;
  std::function<FileInfo(const std::string& path)> info;
  std::function<std::unique_ptr<detail::Sink>(const std::string& path, const Shape&, DType, const SaveOptions&)> sink;
  // An animation: frames (height, width, channels) of packed uint8.
  std::function<std::unique_ptr<AnimationWriter::Encoder>(const std::string& path, std::int64_t height,
                                                          std::int64_t width, int channels, double fps)>
      encoder;
};

// Registers a format (at static initialisation, from its own source file).
bool register_format(Format format);
// Every registered format, sorted by name.
const std::vector<const Format*>& formats();

// The extensions of the formats that can `what` ("open", "sink" or
// "encoder"), for messages: ".gif, .apng and .png".
std::string extensions_that_can(const std::string& what);

// The format that reads `path`: by its extension, else by its first bytes
// (a file with no or another extension). ValueError naming what is readable.
const Format& format_to_read(const std::string& path);
// The format that writes `path`, by its extension; `what` says what must be
// possible ("sink" or "encoder"). ValueError naming the extensions that can.
const Format& format_to_write(const std::string& path, const std::string& what = "sink");

}  // namespace tessera::io
