#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/copy.hpp"
#include "io/animation_encoder.hpp"
#include "io/format.hpp"
#include "tessera/animation.hpp"
#include "tessera/error.hpp"

namespace tessera {

AnimationWriter::AnimationWriter(const std::string& path, std::int64_t height, std::int64_t width, int channels,
                                 double fps) {
  if (height < 1 || width < 1 || height > 65535 || width > 65535)
    throw ValueError("save_animation: frames must be 1 to 65535 pixels high and wide, got " +
                     std::to_string(height) + "x" + std::to_string(width));
  if (channels != 1 && channels != 3 && channels != 4)
    throw ValueError("save_animation: frames need 1, 3 or 4 channels, got " + std::to_string(channels));
  // GIF counts delays in centiseconds and APNG in 16-bit milliseconds.
  if (!(fps >= 0.1 && fps <= 100))
    throw ValueError("save_animation: fps must be from 0.1 to 100, got " + std::to_string(fps));
  const io::Format* format = nullptr;
  try {
    format = &io::format_to_write(path, "encoder");
  } catch (const ValueError&) {
    throw ValueError("save_animation: " + path + ": the extension must be " + io::extensions_that_can("encoder"));
  }
  encoder_ = format->encoder(path, height, width, channels, fps);
}

AnimationWriter::~AnimationWriter() = default;

std::int64_t AnimationWriter::frames() const { return encoder_ ? encoder_->frames : 0; }

void AnimationWriter::add(const View& frame) {
  if (!encoder_) throw ValueError("save_animation: the writer is closed");
  Encoder& e = *encoder_;
  const Shape want = e.channels == 1 && frame.ndim() == 2 ? Shape{e.height, e.width}
                                                          : Shape{e.height, e.width, e.channels};
  if (frame.shape != want && !(e.channels == 1 && frame.shape == Shape{e.height, e.width, 1}))
    throw ValueError("save_animation: frame " + std::to_string(e.frames) + " has shape " +
                     shape_to_string(frame.shape) + ", the animation's frames are " + shape_to_string(want));
  if (frame.dtype != DType::UInt8 && frame.dtype != DType::Float32)
    throw ValueError("save_animation: frames must be uint8, or float32 in [0, 1], got " +
                     std::string(dtype_name(frame.dtype)));
  try {
    std::vector<std::uint8_t> packed(static_cast<std::size_t>(e.height * e.width * e.channels));
    const Shape shape{e.height, e.width, e.channels};
    View src = frame;
    if (src.ndim() == 2) {
      src.shape.push_back(1);
      src.strides.push_back(static_cast<std::int64_t>(itemsize(src.dtype)));
    }
    if (frame.dtype == DType::UInt8) {
      detail::copy_convert(src, View{reinterpret_cast<std::byte*>(packed.data()), DType::UInt8, shape,
                                     c_strides(shape, 1), nullptr});
    } else {
      std::vector<float> f(packed.size());
      detail::copy_convert(src, View{reinterpret_cast<std::byte*>(f.data()), DType::Float32, shape,
                                     c_strides(shape, sizeof(float)), nullptr});
      for (std::size_t i = 0; i < f.size(); ++i) {
        const float v = std::isnan(f[i]) ? 0.0f : std::clamp(f[i], 0.0f, 1.0f);
        packed[i] = static_cast<std::uint8_t>(std::lround(v * 255.0f));
      }
    }
    e.add(packed.data());
    ++e.frames;
  } catch (...) {
    abort();
    throw;
  }
}

void AnimationWriter::commit() {
  if (!encoder_) throw ValueError("save_animation: the writer is closed");
  try {
    if (encoder_->frames == 0) throw ValueError("save_animation: no frames to write");
    encoder_->finish();
    encoder_->file.commit();
  } catch (...) {
    abort();
    throw;
  }
  encoder_.reset();
}

void AnimationWriter::abort() noexcept {
  if (encoder_) encoder_->file.abort();
  encoder_.reset();
}

void save_animation(const View& frames, const std::string& path, double fps) {
  SaveOptions o;
  o.fps = fps;
  save(Image::wrap(frames), path, o);
}

namespace io {

namespace {

// Frames (n, height, width[, channels]) streamed into an AnimationWriter, a
// band of whole frames at a time.
class AnimationSink final : public detail::Sink {
 public:
  AnimationSink(const std::string& path, const Shape& shape, DType dtype, double fps)
      : writer_(path, shape.at(1), shape.at(2), shape.size() == 4 ? static_cast<int>(shape[3]) : 1, fps) {}
  std::size_t row_axis() const override { return 0; }
  void write(const Region& band, const View& data) override {
    for (std::int64_t f = 0; f < band.size[0]; ++f) {
      View frame = data;
      frame.data += f * data.strides[0];
      frame.shape.erase(frame.shape.begin());
      frame.strides.erase(frame.strides.begin());
      writer_.add(frame);
    }
  }
  void commit() override { writer_.commit(); }
  void abort() noexcept override { writer_.abort(); }

 private:
  AnimationWriter writer_;
};

}  // namespace

std::unique_ptr<detail::Sink> make_animation_sink(const std::string& path, const Shape& shape, DType dtype,
                                                  const SaveOptions& options) {
  if (shape.size() != 3 && shape.size() != 4)
    throw ValueError("save_animation: frames must be (n, height, width) or (n, height, width, channels), got shape " +
                     shape_to_string(shape));
  if (shape[0] < 1) throw ValueError("save_animation: no frames to write");
  if (dtype != DType::UInt8 && dtype != DType::Float32)
    throw ValueError("save_animation: frames must be uint8, or float32 in [0, 1], got " +
                     std::string(dtype_name(dtype)));
  return std::make_unique<AnimationSink>(path, shape, dtype, options.fps);
}

}  // namespace io

}  // namespace tessera
