// PNG through libpng: read (any bit depth and colour type: palettes and
// low bit depths expanded to 8 bits, tRNS to an alpha channel, 16 bits kept
// as uint16), written as a still image from (H, W) or (H, W, C) with C of
// 1-4, uint8 or uint16, streamed band by band and deflated on all cores
// (png_deflate.hpp), with the image's ICC profile and resolution; an image
// of frames (n, H, W[, C]) is written as an animated PNG (apng_encoder.cpp). Rows are decoded in
// order as the engine asks for them (RowStreamSource: a window of rows, not
// the image, in memory); an interlaced PNG is decoded whole.
#include <png.h>

#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "engine/array_source.hpp"
#include "engine/row_stream_source.hpp"
#include "io/animation_encoder.hpp"
#include "io/atomic_file.hpp"
#include "core/thread_pool.hpp"
#include "io/decode_limit.hpp"
#include "io/png_deflate.hpp"
#include "io/format.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

struct PngError {
  char why[256] = "unknown error";
};

void error_to_jump(png_structp png, png_const_charp message) {
  auto* e = static_cast<PngError*>(png_get_error_ptr(png));
  std::snprintf(e->why, sizeof e->why, "%s", message);
  png_longjmp(png, 1);
}
void ignore_warning(png_structp, png_const_charp) {}

struct File {
  FILE* f = nullptr;
  ~File() {
    if (f) std::fclose(f);
  }
};

// libpng reports errors by longjmp: each step that may fail is its own
// function with only plain locals, and the reader frees its structs.
struct Reader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngError err;
  Reader() {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, error_to_jump, ignore_warning);
    if (png) info = png_create_info_struct(png);
    // PNG's own limit (2^31-1) rather than libpng's default of a million
    // pixels a side: check_decoded_size bounds what is allocated.
    if (png) png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  }
  ~Reader() {
    if (png) png_destroy_read_struct(&png, &info, nullptr);
  }
};

bool read_header(Reader& r, FILE* f, png_uint_32* width, png_uint_32* height, int* channels, int* depth,
                 int* interlace) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_init_io(r.png, f);
  png_read_info(r.png, r.info);
  png_set_expand(r.png);  // palette -> RGB, gray < 8 bits -> 8 bits, tRNS -> alpha
  png_set_swap(r.png);    // 16-bit samples in this machine's (little-endian) order
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  *width = png_get_image_width(r.png, r.info);
  *height = png_get_image_height(r.png, r.info);
  *channels = png_get_channels(r.png, r.info);
  *depth = png_get_bit_depth(r.png, r.info);
  *interlace = png_get_interlace_type(r.png, r.info);
  return true;
}

bool read_rows(Reader& r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  png_read_end(r.png, nullptr);
  return true;
}

bool read_one_row(Reader& r, png_bytep row, bool last) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_row(r.png, row, nullptr);
  if (last) png_read_end(r.png, nullptr);  // the chunks after the pixels, and their CRCs
  return true;
}

// The tags a PNG carries, as TIFF names them: its ICC profile (iCCP) and
// physical pixel size (pHYs, in pixels per metre: per centimetre here).
Metadata png_metadata(png_structp png, png_infop info, int channels) {
  Metadata m;
  png_charp name = nullptr;
  int compression = 0;
  png_bytep profile = nullptr;
  png_uint_32 length = 0;
  if (png_get_iCCP(png, info, &name, &compression, &profile, &length) && profile && length)
    m["ICCProfile"] = std::vector<std::uint8_t>(profile, profile + length);
  png_uint_32 x = 0, y = 0;
  int unit = 0;
  if (png_get_pHYs(png, info, &x, &y, &unit) && unit == PNG_RESOLUTION_METER && x > 0 && y > 0) {
    m["XResolution"] = std::vector<double>{x / 100.0};
    m["YResolution"] = std::vector<double>{y / 100.0};
    m["ResolutionUnit"] = std::vector<std::int64_t>{3};
  }
  // Grey or RGB, and a PNG's alpha is straight (unassociated) alpha.
  m["Photometric"] = std::vector<std::int64_t>{channels >= 3 ? 2 : 1};
  if (channels == 2 || channels == 4) m["ExtraSamples"] = std::vector<std::int64_t>{2};
  return m;
}

// An open PNG past its header: the decoded layout, ready for rows.
struct OpenPng {
  File file;
  Reader r;
  Shape shape;
  DType dtype = DType::UInt8;
  bool interlaced = false;
  Metadata metadata;
};

void open_png(const std::string& path, OpenPng& p) {
  p.file.f = std::fopen(path.c_str(), "rb");
  if (!p.file.f) throw IOError(path + (errno == ENOENT ? std::string(": no such file")
                                                      : ": cannot open (" + std::string(std::strerror(errno)) + ")"));
  if (!p.r.info) throw IOError(path + ": cannot read PNG (out of memory)");
  png_uint_32 width = 0, height = 0;
  int channels = 0, depth = 0, interlace = 0;
  if (!read_header(p.r, p.file.f, &width, &height, &channels, &depth, &interlace))
    throw IOError(path + ": corrupt or truncated PNG (" + p.r.err.why + ")");
  p.dtype = depth == 16 ? DType::UInt16 : DType::UInt8;
  p.shape = channels == 1 ? Shape{height, width} : Shape{height, width, channels};
  p.interlaced = interlace != PNG_INTERLACE_NONE;
  p.metadata = png_metadata(p.r.png, p.r.info, channels);
  // deflate's 1032:1, and each row's filter byte; an interlaced file is
  // decoded whole (its passes cover every row), so it must fit in memory.
  check_decoded_size(path, p.shape, p.dtype, 1100.0, p.interlaced);
}

// An interlaced PNG, decoded whole.
Decoded read_png(const std::string& path, OpenPng& p) {
  Buffer pixels(p.dtype, p.shape);
  const std::size_t row_bytes = static_cast<std::size_t>(byte_count(Shape(p.shape.begin() + 1, p.shape.end()),
                                                                     itemsize(p.dtype)));
  std::vector<png_bytep> rows(static_cast<std::size_t>(p.shape[0]));
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = reinterpret_cast<png_bytep>(pixels.data()) + y * row_bytes;
  if (!read_rows(p.r, rows.data())) throw IOError(path + ": corrupt or truncated PNG (" + p.r.err.why + ")");
  return {std::move(pixels), std::move(p.metadata)};
}

// A non-interlaced PNG's rows, in order.
class PngRows final : public detail::RowDecoder {
 public:
  explicit PngRows(std::string path) : path_(std::move(path)) { open_png(path_, png_); }
  void read_row(std::byte* dst) override {
    const bool last = row_ + 1 == png_.shape[0];
    if (!read_one_row(png_.r, reinterpret_cast<png_bytep>(dst), last))
      throw IOError(path_ + ": corrupt or truncated PNG at row " + std::to_string(row_) + " (" + png_.r.err.why + ")");
    ++row_;
  }

 private:
  std::string path_;
  OpenPng png_;
  std::int64_t row_ = 0;
};

Image open_png_image(const std::string& path) {
  OpenPng p;
  open_png(path, p);
  if (p.interlaced) {
    Decoded d = read_png(path, p);
    return Image(std::make_shared<detail::ArraySource>(d.pixels.view(), path, std::move(d.metadata)));
  }
  return Image(std::make_shared<detail::RowStreamSource>(p.shape, p.dtype, path, p.metadata,
                                                         [path] { return std::make_unique<PngRows>(path); }));
}

FileInfo png_info(const std::string& path) {
  OpenPng p;
  open_png(path, p);
  return header_info("png", p.shape, p.dtype, p.metadata, p.interlaced ? "interlaced, decoded whole" : "rows in order");
}

// A still PNG, written as the bands arrive: libpng writes the signature,
// the header and the metadata chunks (ICC profile, physical pixel size);
// PngDeflater filters and deflates the rows on all cores into IDAT chunks.
class PngSink final : public detail::Sink {
 public:
  PngSink(const std::string& path, const Shape& shape, DType dtype, int level, int threads, const Metadata& metadata)
      : file_(path),
        shape_(shape),
        deflater_(row_bytes(shape, dtype), channels(shape) * static_cast<int>(itemsize(dtype)), dtype == DType::UInt16,
                  shape[0], level, threads) {
    f_ = std::fopen(file_.temp_path().c_str(), "wb");
    if (!f_) throw IOError(path + ": cannot write (" + std::strerror(errno) + ")");
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err_, error_to_jump, ignore_warning);
    info_ = png_ ? png_create_info_struct(png_) : nullptr;
    if (!info_) release_and_fail("out of memory");
    png_set_user_limits(png_, 0x7fffffff, 0x7fffffff);
    const int c = channels(shape);
    const int type = c == 1 ? PNG_COLOR_TYPE_GRAY : c == 2 ? PNG_COLOR_TYPE_GRAY_ALPHA : c == 3 ? PNG_COLOR_TYPE_RGB
                                                                                               : PNG_COLOR_TYPE_RGBA;
    if (!start(type, dtype == DType::UInt16 ? 16 : 8, metadata)) release_and_fail(err_.why);
  }
  ~PngSink() override {
    if (png_) png_destroy_write_struct(&png_, &info_);
    if (f_) std::fclose(f_);
  }

  std::size_t row_axis() const override { return 0; }
  void write(const Region& band, const View& data) override {
    const std::int64_t stride = data.strides.empty() ? 0 : data.strides[0];
    try {
      deflater_.rows(data.data, band.size[0], stride, [&](const std::uint8_t* bytes, std::size_t n) {
        if (!chunk("IDAT", bytes, n)) throw IOError(err_.why);
      });
    } catch (const IOError& e) {
      fail(e.what());
    }
  }
  void commit() override {
    if (!chunk("IEND", nullptr, 0)) fail(err_.why);
    const bool flushed = std::fflush(f_) == 0;
    const bool closed = std::fclose(f_) == 0 && flushed;
    f_ = nullptr;
    if (!closed) throw IOError(file_.path() + ": cannot write (" + std::strerror(errno) + ")");
    file_.commit();
  }
  void abort() noexcept override {
    if (f_) std::fclose(f_);
    f_ = nullptr;
    file_.abort();
  }

 private:
  static int channels(const Shape& shape) { return shape.size() == 3 ? static_cast<int>(shape[2]) : 1; }
  static std::int64_t row_bytes(const Shape& shape, DType dtype) {
    return shape[1] * channels(shape) * static_cast<std::int64_t>(itemsize(dtype));
  }
  // A constructor that throws runs no destructor: free what it made first.
  [[noreturn]] void release_and_fail(const std::string& why) {
    if (png_) png_destroy_write_struct(&png_, &info_);
    if (f_) std::fclose(f_);
    f_ = nullptr;
    fail(why);
  }
  [[noreturn]] void fail(const std::string& why) {
    throw IOError(file_.path() + ": cannot write PNG (" + why + ")");
  }
  // The image's ICC profile and resolution (TIFF's tags) as iCCP and pHYs.
  void set_metadata(const Metadata& m) {
    if (const auto* icc = icc_profile_of(m))
      png_set_iCCP(png_, info_, "ICC profile", PNG_COMPRESSION_TYPE_BASE, icc->data(),
                   static_cast<png_uint_32>(icc->size()));
    const std::optional<Resolution> r = resolution_of(m);
    if (!r) return;
    const double per_metre = r->unit == 2 ? 100 / 2.54 : r->unit == 3 ? 100 : 0;
    const double x = r->x * per_metre, y = r->y * per_metre;
    if (x >= 1 && y >= 1 && x < 4e9 && y < 4e9)
      png_set_pHYs(png_, info_, static_cast<png_uint_32>(std::lround(x)), static_cast<png_uint_32>(std::lround(y)),
                   PNG_RESOLUTION_METER);
  }
  bool start(int type, int depth, const Metadata& metadata) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_init_io(png_, f_);
    png_set_IHDR(png_, info_, static_cast<png_uint_32>(shape_[1]), static_cast<png_uint_32>(shape_[0]), depth, type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    set_metadata(metadata);
    png_write_info(png_, info_);
    return true;
  }
  bool chunk(const char* name, const std::uint8_t* data, std::size_t n) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_write_chunk(png_, reinterpret_cast<png_const_bytep>(name), data, n);
    if (std::ferror(f_)) {
      std::snprintf(err_.why, sizeof err_.why, "%s", std::strerror(errno));
      return false;
    }
    return true;
  }

  AtomicFile file_;
  Shape shape_;
  PngDeflater deflater_;
  FILE* f_ = nullptr;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
  PngError err_;
};

// (H, W) and (H, W, C) with C <= 4 are still images; more axes are frames.
std::unique_ptr<detail::Sink> make_png_sink(const std::string& path, const Shape& shape, DType dtype,
                                            const SaveOptions& options) {
  const bool still = shape.size() == 2 || (shape.size() == 3 && shape[2] >= 1 && shape[2] <= 4);
  if (!still) {
    if (options.compress_level) throw ValueError(path + ": compress_level= applies to a still PNG, not an animation");
    return make_animation_sink(path, shape, dtype, options);
  }
  if (options.compression != "none" || options.tile) throw ValueError(path + ": PNG takes no compression or tiles");
  if (dtype != DType::UInt8 && dtype != DType::UInt16)
    throw ValueError(path + ": PNG holds uint8 or uint16 samples, got " + std::string(dtype_name(dtype)) +
                     " (convert with dtype=)");
  if (shape[0] < 1 || shape[1] < 1 || shape[0] > 0x7fffffff || shape[1] > 0x7fffffff)
    throw ValueError(path + ": a PNG is 1 to 2^31-1 pixels high and wide, got shape " + shape_to_string(shape));
  const int level = options.compress_level.value_or(6);
  if (level < 0 || level > 9)
    throw ValueError(path + ": PNG's compress_level is 0 (fastest) to 9 (smallest), got " + std::to_string(level));
  return std::make_unique<PngSink>(path, shape, dtype, level, detail::resolve_threads(options.threads),
                                   options.metadata ? *options.metadata : Metadata{});
}

const bool registered = register_format({
    .name = "png",
    .extensions = {".png"},
    .magics = {"\x89PNG\r\n\x1a\n"},
    .open =
        [](const std::string& path, const OpenOptions& o) {
          if (o.page >= 0 || o.level > 0) throw ValueError(path + ": page= and level= apply to TIFF files only");
          return open_png_image(path);
        },
    .info = &png_info,
    .sink = &make_png_sink,
    .encoder = &make_apng_encoder,
});

}  // namespace

}  // namespace tessera::io
