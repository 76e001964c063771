// The formats behind AnimationWriter: each takes packed uint8 frames
// (height x width x channels, C order) and writes them to the temporary
// of an AtomicFile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/sink.hpp"
#include "io/atomic_file.hpp"
#include "tessera/animation.hpp"
#include "tessera/io.hpp"

namespace tessera {

class AnimationWriter::Encoder {
 public:
  Encoder(const std::string& path, std::int64_t height, std::int64_t width, int channels, double fps)
      : file(path), height(height), width(width), channels(channels), fps(fps) {}
  virtual ~Encoder() = default;
  virtual void add(const std::uint8_t* pixels) = 0;
  // Ends the stream; the caller then commits the file.
  virtual void finish() = 0;

  io::AtomicFile file;
  const std::int64_t height, width;
  const int channels;
  const double fps;
  std::int64_t frames = 0;
};

namespace io {
// A sink (engine/sink.hpp) that writes an image of frames (n, height,
// width[, channels]), uint8 or float32 in [0, 1], as an animation by the
// encoder its extension registers: save() streams animations as any image.
std::unique_ptr<detail::Sink> make_animation_sink(const std::string& path, const Shape& shape, DType dtype,
                                                  const SaveOptions& options);
std::unique_ptr<AnimationWriter::Encoder> make_gif_encoder(const std::string& path, std::int64_t height,
                                                           std::int64_t width, int channels, double fps);
std::unique_ptr<AnimationWriter::Encoder> make_apng_encoder(const std::string& path, std::int64_t height,
                                                            std::int64_t width, int channels, double fps);
}  // namespace io

}  // namespace tessera
