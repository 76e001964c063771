// Animations: frames (height, width[, 1|3|4]) of uint8, or float32 in [0, 1]
// (scaled by 255 and rounded), written as an animated GIF (.gif, giflib) or
// an animated PNG (.png or .apng), looping. Atomic: the file appears only
// when complete; any error (a bad path, a full disk) removes it.
//
// GIF holds 256 colours a frame and no alpha: a frame's exact colours when it
// has at most 256 (charts always do), else a median-cut palette (giflib's);
// alpha is dropped. APNG is lossless. GIF delays are whole centiseconds, so
// the frame delay is round(100 / fps) centiseconds.
#pragma once

#include <memory>
#include <string>

#include "tessera/view.hpp"

namespace tessera {

class AnimationWriter {
 public:
  // ValueError for an unknown extension, bad sizes or fps; IOError if the
  // file cannot be created.
  AnimationWriter(const std::string& path, std::int64_t height, std::int64_t width, int channels, double fps);
  ~AnimationWriter();
  AnimationWriter(const AnimationWriter&) = delete;
  AnimationWriter& operator=(const AnimationWriter&) = delete;
  // One frame of the writer's shape (any strides).
  void add(const View& frame);
  // Finishes the file and renames it into place; at least one frame.
  void commit();
  void abort() noexcept;
  std::int64_t frames() const;

  class Encoder;

 private:
  std::unique_ptr<Encoder> encoder_;
};

// All of frames (n, height, width[, channels]) into one file.
void save_animation(const View& frames, const std::string& path, double fps);

}  // namespace tessera
