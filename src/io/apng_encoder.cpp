// Animated PNG. Debian's libpng lacks the APNG patch, so libpng encodes each
// frame as a whole PNG in memory (filtering, deflate) and this file only
// re-wraps its chunks: IHDR once, then per frame an fcTL and the image data
// (IDAT for the first frame, fdAT after), with acTL's frame count patched in
// at the end. The chunk layout is the APNG specification's.
#include <png.h>
#include <zlib.h>

#include <cerrno>
#include <csetjmp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "io/animation_encoder.hpp"
#include "io/format.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

void png_to_vector(png_structp png, png_bytep data, png_size_t size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + size);
}
void png_no_flush(png_structp) {}
void png_error_to_jump(png_structp png, png_const_charp message) {
  auto* why = static_cast<char*>(png_get_error_ptr(png));
  std::snprintf(why, 200, "%s", message);
  png_longjmp(png, 1);
}
void png_ignore_warning(png_structp, png_const_charp) {}

// One frame as a PNG in memory. Only plain locals live across setjmp.
bool encode_png(const std::uint8_t* pixels, std::uint32_t height, std::uint32_t width, int channels,
                std::vector<std::uint8_t>* out, char* why) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, why, png_error_to_jump, png_ignore_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, png_to_vector, png_no_flush);
  const int type = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
  png_set_IHDR(png, info, width, height, 8, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  for (std::uint32_t row = 0; row < height; ++row)
    png_write_row(png, pixels + static_cast<std::size_t>(row) * width * static_cast<std::uint32_t>(channels));
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

class ApngEncoder final : public AnimationWriter::Encoder {
 public:
  ApngEncoder(const std::string& path, std::int64_t h, std::int64_t w, int c, double fps)
      : Encoder(path, h, w, c, fps) {
    out_ = std::fopen(file.temp_path().c_str(), "wb");
    if (!out_) throw IOError(file.path() + ": cannot write (" + std::strerror(errno) + ")");
  }
  ~ApngEncoder() override {
    if (out_) std::fclose(out_);
  }

  void add(const std::uint8_t* pixels) override {
    std::vector<std::uint8_t> png;
    char why[200] = "unknown error";
    if (!encode_png(pixels, static_cast<std::uint32_t>(height), static_cast<std::uint32_t>(width), channels, &png, why))
      throw IOError(file.path() + ": cannot encode frame " + std::to_string(frames) + " (" + why + ")");
    std::size_t at = 8;  // after the signature
    bool header_written = frames > 0;
    while (at + 12 <= png.size()) {
      const std::uint32_t length = get_u32(&png[at]);
      const std::string type(reinterpret_cast<const char*>(&png[at + 4]), 4);
      const std::uint8_t* data = &png[at + 8];
      if (type == "IHDR" && !header_written) {
        static const std::uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
        write(signature, 8);
        chunk("IHDR", std::vector<std::uint8_t>(data, data + length));
        actl_offset_ = std::ftell(out_);
        chunk("acTL", actl(0));
        header_written = true;
      } else if (type == "IDAT") {
        if (!control_written_) frame_control();
        std::vector<std::uint8_t> body;
        if (frames > 0) put_u32(body, sequence_++);
        body.insert(body.end(), data, data + length);
        chunk(frames > 0 ? "fdAT" : "IDAT", body);
      }
      at += 12 + length;
    }
    control_written_ = false;
  }

  void finish() override {
    chunk("IEND", {});
    // The frame count, now known.
    if (std::fseek(out_, actl_offset_, SEEK_SET) != 0) io_fail();
    chunk("acTL", actl(static_cast<std::uint32_t>(frames)));
    const int closed = std::fclose(out_);
    out_ = nullptr;
    if (closed != 0) io_fail();
  }

 private:
  [[noreturn]] void io_fail() const {
    throw IOError(file.path() + ": cannot write (" + std::strerror(errno) + ")");
  }
  void write(const void* data, std::size_t n) {
    if (n && std::fwrite(data, 1, n, out_) != n) io_fail();
  }
  void chunk(const char* type, const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> head;
    put_u32(head, static_cast<std::uint32_t>(body.size()));
    head.insert(head.end(), type, type + 4);
    write(head.data(), head.size());
    write(body.data(), body.size());
    uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type), 4);
    crc = crc32(crc, body.data(), static_cast<uInt>(body.size()));
    std::vector<std::uint8_t> tail;
    put_u32(tail, static_cast<std::uint32_t>(crc));
    write(tail.data(), 4);
  }
  static std::vector<std::uint8_t> actl(std::uint32_t n) {
    std::vector<std::uint8_t> body;
    put_u32(body, n);
    put_u32(body, 0);  // loop forever
    return body;
  }
  void frame_control() {
    std::vector<std::uint8_t> body;
    put_u32(body, sequence_++);
    put_u32(body, static_cast<std::uint32_t>(width));
    put_u32(body, static_cast<std::uint32_t>(height));
    put_u32(body, 0);
    put_u32(body, 0);
    const auto delay_ms = static_cast<std::uint16_t>(std::lround(1000.0 / fps));
    body.push_back(static_cast<std::uint8_t>(delay_ms >> 8));
    body.push_back(static_cast<std::uint8_t>(delay_ms));
    body.push_back(1000 >> 8);
    body.push_back(1000 & 0xff);
    body.push_back(0);  // dispose: none
    body.push_back(0);  // blend: source (the frame replaces what was there)
    chunk("fcTL", body);
    control_written_ = true;
  }

  std::FILE* out_ = nullptr;
  long actl_offset_ = 0;
  std::uint32_t sequence_ = 0;
  bool control_written_ = false;
};

}  // namespace

std::unique_ptr<AnimationWriter::Encoder> make_apng_encoder(const std::string& path, std::int64_t height,
                                                            std::int64_t width, int channels, double fps) {
  return std::make_unique<ApngEncoder>(path, height, width, channels, fps);
}

namespace {
const bool registered = register_format({
    .name = "apng",
    .extensions = {".apng"},  // .png is png_format.cpp's: still images, and animations through this encoder
    .magics = {},
    .open = nullptr,
    .info = nullptr,
    .sink = &make_animation_sink,
    .encoder = &make_apng_encoder,
});
}  // namespace

}  // namespace tessera::io
