// JPEG through libjpeg(-turbo), read only: grayscale as (H, W), colour as
// (H, W, 3) RGB, CMYK/YCCK as (H, W, 4) as libjpeg gives it (Adobe's
// inverted CMYK left as stored); always uint8 (12-bit JPEG is refused).
// Decoded whole when opened. Writing JPEG is not offered: tessera's outputs
// are exact, and a lossy writer would not be.
#include <cerrno>
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // jpeglib.h needs size_t and FILE declared before it
#include <cstring>

#include <jpeglib.h>

#include "engine/array_source.hpp"
#include "io/decode_limit.hpp"
#include "io/format.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

// libjpeg reports fatal errors through error_exit, which must not return:
// it jumps back to the step that failed, with the message kept.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char why[JMSG_LENGTH_MAX] = "unknown error";
};

void error_exit(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->why);
  std::longjmp(e->jump, 1);
}
// libjpeg only warns where data is cut short or corrupt (it fills the rest
// with grey and goes on): every warning is an error here, never a quietly
// wrong image. Trace messages (level > 0) are ignored.
void warning_is_error(j_common_ptr cinfo, int level) {
  if (level < 0) error_exit(cinfo);
}

struct Decoder {
  jpeg_decompress_struct cinfo{};
  JpegError err;
  FILE* f = nullptr;
  bool created = false;
  ~Decoder() {
    if (created) jpeg_destroy_decompress(&cinfo);
    if (f) std::fclose(f);
  }
};

// Each step that may fail has only plain locals (longjmp skips destructors).
// The header and the output's dimensions, before libjpeg allocates anything
// of the image's size (a progressive file's coefficient buffers).
bool read_header(Decoder& d, JDIMENSION* width, JDIMENSION* height, int* channels) {
  if (setjmp(d.err.jump)) return false;
  jpeg_create_decompress(&d.cinfo);
  d.created = true;
  jpeg_stdio_src(&d.cinfo, d.f);
  jpeg_read_header(&d.cinfo, TRUE);
  if (d.cinfo.jpeg_color_space == JCS_GRAYSCALE) d.cinfo.out_color_space = JCS_GRAYSCALE;
  else if (d.cinfo.jpeg_color_space == JCS_CMYK || d.cinfo.jpeg_color_space == JCS_YCCK) d.cinfo.out_color_space = JCS_CMYK;
  else d.cinfo.out_color_space = JCS_RGB;
  jpeg_calc_output_dimensions(&d.cinfo);
  *width = d.cinfo.output_width;
  *height = d.cinfo.output_height;
  *channels = d.cinfo.output_components;
  return true;
}

bool start(Decoder& d) {
  if (setjmp(d.err.jump)) return false;
  jpeg_start_decompress(&d.cinfo);
  return true;
}

bool read_rows(Decoder& d, std::uint8_t* pixels, std::size_t row_bytes) {
  if (setjmp(d.err.jump)) return false;
  while (d.cinfo.output_scanline < d.cinfo.output_height) {
    JSAMPROW row = pixels + static_cast<std::size_t>(d.cinfo.output_scanline) * row_bytes;
    jpeg_read_scanlines(&d.cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d.cinfo);
  return true;
}

Buffer read_jpeg(const std::string& path) {
  Decoder d;
  d.f = std::fopen(path.c_str(), "rb");
  if (!d.f) throw IOError(path + (errno == ENOENT ? std::string(": no such file")
                                                  : ": cannot open (" + std::string(std::strerror(errno)) + ")"));
  d.cinfo.err = jpeg_std_error(&d.err.mgr);
  d.err.mgr.error_exit = error_exit;
  d.err.mgr.emit_message = warning_is_error;
  JDIMENSION width = 0, height = 0;
  int channels = 0;
  if (!read_header(d, &width, &height, &channels))
    throw IOError(path + ": corrupt or truncated JPEG (" + d.err.why + ")");
  const Shape shape = channels == 1 ? Shape{height, width} : Shape{height, width, channels};
  check_decoded_size(path, shape, DType::UInt8, 4096.0);
  if (!start(d)) throw IOError(path + ": corrupt or truncated JPEG (" + d.err.why + ")");
  Buffer pixels(DType::UInt8, shape);
  const std::size_t row_bytes = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
  if (!read_rows(d, reinterpret_cast<std::uint8_t*>(pixels.data()), row_bytes))
    throw IOError(path + ": corrupt or truncated JPEG (" + d.err.why + ")");
  return pixels;
}

FileInfo jpeg_info(const std::string& path) { return decoded_info("jpeg", read_jpeg(path)); }

const bool registered = register_format({
    .name = "jpeg",
    .extensions = {".jpg", ".jpeg"},
    .magics = {"\xff\xd8\xff"},
    .open =
        [](const std::string& path, const OpenOptions& o) {
          if (o.page >= 0) throw ValueError(path + ": page= applies to TIFF files only");
          return Image(std::make_shared<detail::ArraySource>(read_jpeg(path).view(), path));
        },
    .info = &jpeg_info,
    .sink = nullptr,
    .encoder = nullptr,
});

}  // namespace

}  // namespace tessera::io
