// JPEG through libjpeg(-turbo). Read: grayscale as (H, W), colour as
// (H, W, 3) RGB, CMYK/YCCK as (H, W, 4) as libjpeg gives it (Adobe's
// inverted CMYK left as stored); always uint8 (12-bit JPEG is refused).
// Rows are decoded in order as the engine asks for them (RowStreamSource: a
// window of rows in memory; a progressive file's coefficients are held whole
// by libjpeg). Written: grey or RGB uint8, streamed row by row, at a
// quality of 1 to 100 (90 unless asked), with the image's ICC profile and
// resolution; a lossy writer, so only on request (the .jpg extension).
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // jpeglib.h needs size_t and FILE declared before it
#include <cstring>

#include <jpeglib.h>

#include "engine/row_stream_source.hpp"
#include "io/atomic_file.hpp"
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
  JOCTET* icc = nullptr;  // the ICC profile (libjpeg's malloc), read with the header
  unsigned int icc_size = 0;
  ~Decoder() {
    std::free(icc);
    if (created) jpeg_destroy_decompress(&cinfo);
    if (f) std::fclose(f);
  }
};

void ignore_message(j_common_ptr, int) {}

// EXIF's Orientation (tag 274) from an APP1 "Exif" marker: a TIFF header
// and its first directory, every offset checked against the marker's size.
std::optional<std::int64_t> exif_orientation(const std::uint8_t* p, std::size_t n) {
  if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0) return std::nullopt;
  p += 6;
  n -= 6;
  const bool little = p[0] == 'I' && p[1] == 'I';
  if (!little && !(p[0] == 'M' && p[1] == 'M')) return std::nullopt;
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    return little ? p[at] | (p[at + 1] << 8) : (p[at] << 8) | p[at + 1];
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t {
    return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  };
  const std::uint32_t ifd = u32(4);
  if (ifd > n || n - ifd < 2) return std::nullopt;
  const std::uint32_t entries = u16(ifd);
  for (std::uint32_t k = 0; k < entries; ++k) {
    const std::size_t e = ifd + 2 + 12 * static_cast<std::size_t>(k);
    if (e + 12 > n) break;
    if (u16(e) == 274 && u16(e + 2) == 3 /* SHORT */) return u16(e + 8);
  }
  return std::nullopt;
}

// The tags a JPEG carries, as TIFF names them: EXIF's Orientation (the
// pixels are not turned), the ICC profile, and JFIF's density.
Metadata jpeg_metadata(j_decompress_ptr cinfo, const JOCTET* icc, unsigned int icc_size) {
  Metadata m;
  for (jpeg_saved_marker_ptr mk = cinfo->marker_list; mk; mk = mk->next)
    if (mk->marker == JPEG_APP0 + 1)
      if (auto o = exif_orientation(mk->data, mk->data_length); o && *o >= 1 && *o <= 8) m["Orientation"] = std::vector<std::int64_t>{*o};
  if (icc && icc_size) m["ICCProfile"] = std::vector<std::uint8_t>(icc, icc + icc_size);
  if (cinfo->saw_JFIF_marker && (cinfo->density_unit == 1 || cinfo->density_unit == 2) && cinfo->X_density > 0 &&
      cinfo->Y_density > 0) {
    m["XResolution"] = std::vector<double>{static_cast<double>(cinfo->X_density)};
    m["YResolution"] = std::vector<double>{static_cast<double>(cinfo->Y_density)};
    m["ResolutionUnit"] = std::vector<std::int64_t>{cinfo->density_unit == 1 ? 2 : 3};  // inch, centimetre
  }
  // Adobe's CMYK JPEGs store inverted values (read as stored): not TIFF's
  // Separated, which is left untagged.
  if (cinfo->out_color_space == JCS_RGB) m["Photometric"] = std::vector<std::int64_t>{2};
  else if (cinfo->out_color_space == JCS_GRAYSCALE) m["Photometric"] = std::vector<std::int64_t>{1};
  else if (!cinfo->saw_Adobe_marker) m["Photometric"] = std::vector<std::int64_t>{5};
  return m;
}

// Each step that may fail has only plain locals (longjmp skips destructors).
// The header and the output's dimensions, before libjpeg allocates anything
// of the image's size (a progressive file's coefficient buffers).
bool read_header(Decoder& d, JDIMENSION* width, JDIMENSION* height, int* channels) {
  if (setjmp(d.err.jump)) return false;
  jpeg_create_decompress(&d.cinfo);
  d.created = true;
  jpeg_stdio_src(&d.cinfo, d.f);
  jpeg_save_markers(&d.cinfo, JPEG_APP0 + 1, 0xffff);  // EXIF
  jpeg_save_markers(&d.cinfo, JPEG_APP0 + 2, 0xffff);  // ICC profile chunks
  jpeg_read_header(&d.cinfo, TRUE);
  // A malformed profile is only warned about: no profile, not an error.
  d.err.mgr.emit_message = ignore_message;
  if (!jpeg_read_icc_profile(&d.cinfo, &d.icc, &d.icc_size)) d.icc = nullptr, d.icc_size = 0;
  d.err.mgr.emit_message = warning_is_error;
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

bool read_one_row(Decoder& d, std::uint8_t* row, bool last) {
  if (setjmp(d.err.jump)) return false;
  JSAMPROW r = row;
  jpeg_read_scanlines(&d.cinfo, &r, 1);
  if (last) jpeg_finish_decompress(&d.cinfo);
  return true;
}

// What libjpeg's message says of the file: a variant it does not decode
// (12-bit samples, a coding it lacks) or a broken one.
std::string jpeg_problem(const char* why) {
  return std::strncmp(why, "Unsupported", 11) == 0 || std::strstr(why, "not supported") ? "unsupported JPEG variant"
                                                                                         : "corrupt or truncated JPEG";
}

// An open JPEG past its header: the decoded layout and tags, the
// decompression started, ready for rows.
struct OpenJpeg {
  Decoder d;
  Shape shape;
  Metadata metadata;
};

void open_jpeg(const std::string& path, OpenJpeg& j, bool start_rows) {
  Decoder& d = j.d;
  d.f = std::fopen(path.c_str(), "rb");
  if (!d.f) throw IOError(path + (errno == ENOENT ? std::string(": no such file")
                                                  : ": cannot open (" + std::string(std::strerror(errno)) + ")"));
  d.cinfo.err = jpeg_std_error(&d.err.mgr);
  d.err.mgr.error_exit = error_exit;
  d.err.mgr.emit_message = warning_is_error;
  JDIMENSION width = 0, height = 0;
  int channels = 0;
  if (!read_header(d, &width, &height, &channels))
    throw IOError(path + ": " + jpeg_problem(d.err.why) + " (" + d.err.why + ")");
  j.shape = channels == 1 ? Shape{height, width} : Shape{height, width, channels};
  // A progressive file's coefficients are held whole by libjpeg: it must fit.
  check_decoded_size(path, j.shape, DType::UInt8, 4096.0, d.cinfo.progressive_mode);
  // The saved markers live until the decompression ends: read them now.
  j.metadata = jpeg_metadata(&d.cinfo, d.icc, d.icc_size);
  if (start_rows && !start(d)) throw IOError(path + ": " + jpeg_problem(d.err.why) + " (" + d.err.why + ")");
}

// A JPEG's rows, in order.
class JpegRows final : public detail::RowDecoder {
 public:
  explicit JpegRows(std::string path) : path_(std::move(path)) { open_jpeg(path_, jpeg_, true); }
  void read_row(std::byte* dst) override {
    const bool last = row_ + 1 == jpeg_.shape[0];
    if (!read_one_row(jpeg_.d, reinterpret_cast<std::uint8_t*>(dst), last))
      throw IOError(path_ + ": corrupt or truncated JPEG at row " + std::to_string(row_) + " (" + jpeg_.d.err.why + ")");
    ++row_;
  }

 private:
  std::string path_;
  OpenJpeg jpeg_;
  std::int64_t row_ = 0;
};

FileInfo jpeg_info(const std::string& path) {
  OpenJpeg j;
  open_jpeg(path, j, false);
  return header_info("jpeg", j.shape, DType::UInt8, j.metadata, "rows in order");
}

// A JPEG written row by row as the bands arrive: grey or RGB uint8, at
// `quality`, with the image's ICC profile and resolution (JFIF density).
class JpegSink final : public detail::Sink {
 public:
  JpegSink(const std::string& path, const Shape& shape, int quality, const Metadata& metadata) : file_(path) {
    f_ = std::fopen(file_.temp_path().c_str(), "wb");
    if (!f_) throw IOError(path + ": cannot write (" + std::strerror(errno) + ")");
    cinfo_.err = jpeg_std_error(&err_.mgr);
    err_.mgr.error_exit = error_exit;
    err_.mgr.emit_message = warning_is_error;
    const int channels = shape.size() == 3 ? static_cast<int>(shape[2]) : 1;
    const std::vector<std::uint8_t>* icc = icc_profile_of(metadata);
    if (!start(static_cast<JDIMENSION>(shape[1]), static_cast<JDIMENSION>(shape[0]), channels, quality,
               density(metadata), icc)) {
      const std::string why = err_.why;
      release();
      fail(why);
    }
    row_bytes_ = static_cast<std::size_t>(shape[1]) * static_cast<std::size_t>(channels);
  }
  ~JpegSink() override { release(); }

  std::size_t row_axis() const override { return 0; }
  void write(const Region& band, const View& data) override {
    const std::size_t stride = data.strides.empty() ? row_bytes_ : static_cast<std::size_t>(data.strides[0]);
    for (std::int64_t y = 0; y < band.size[0]; ++y)
      if (!row(reinterpret_cast<JSAMPROW>(data.data + static_cast<std::size_t>(y) * stride))) fail(err_.why);
  }
  void commit() override {
    if (!finish()) fail(err_.why);
    const bool flushed = std::fflush(f_) == 0;
    const bool closed = std::fclose(f_) == 0 && flushed;
    f_ = nullptr;
    if (!closed) throw IOError(file_.path() + ": cannot write (" + std::strerror(errno) + ")");
    file_.commit();
  }
  void abort() noexcept override {
    release();
    file_.abort();
  }

 private:
  struct Density {
    int unit = 0;  // JFIF: 0 none (an aspect ratio), 1 per inch, 2 per centimetre
    int x = 1, y = 1;
  };
  // TIFF's resolution tags as JFIF's density (whole numbers up to 65535).
  static Density density(const Metadata& m) {
    Density d;
    const std::optional<Resolution> r = resolution_of(m);
    if (!r) return d;
    double x = r->x, y = r->y;
    std::int64_t u = r->unit;
    // Per centimetre that is a whole number per inch (118.11 is 300 dpi): per inch.
    const auto whole = [](double v) { return std::fabs(v - std::round(v)) < 0.01; };
    if (u == 3 && whole(x * 2.54) && whole(y * 2.54)) x *= 2.54, y *= 2.54, u = 2;
    if ((u == 2 || u == 3) && x >= 1 && y >= 1 && x <= 65535 && y <= 65535) {
      d.unit = u == 2 ? 1 : 2;
      d.x = static_cast<int>(std::lround(x));
      d.y = static_cast<int>(std::lround(y));
    }
    return d;
  }
  // Each step that may fail has only plain locals (longjmp skips destructors).
  bool start(JDIMENSION width, JDIMENSION height, int channels, int quality, Density d,
             const std::vector<std::uint8_t>* icc) {
    if (setjmp(err_.jump)) return false;
    jpeg_create_compress(&cinfo_);
    created_ = true;
    jpeg_stdio_dest(&cinfo_, f_);
    cinfo_.image_width = width;
    cinfo_.image_height = height;
    cinfo_.input_components = channels;
    cinfo_.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo_);
    jpeg_set_quality(&cinfo_, quality, TRUE);
    cinfo_.density_unit = static_cast<UINT8>(d.unit);
    cinfo_.X_density = static_cast<UINT16>(d.x);
    cinfo_.Y_density = static_cast<UINT16>(d.y);
    jpeg_start_compress(&cinfo_, TRUE);
    if (icc)
      jpeg_write_icc_profile(&cinfo_, icc->data(), static_cast<unsigned int>(icc->size()));
    return true;
  }
  bool row(JSAMPROW data) {
    if (setjmp(err_.jump)) return false;
    jpeg_write_scanlines(&cinfo_, &data, 1);
    return true;
  }
  bool finish() {
    if (setjmp(err_.jump)) return false;
    jpeg_finish_compress(&cinfo_);
    return true;
  }
  void release() noexcept {
    if (created_) jpeg_destroy_compress(&cinfo_);
    created_ = false;
    if (f_) std::fclose(f_);
    f_ = nullptr;
  }
  [[noreturn]] void fail(const std::string& why) { throw IOError(file_.path() + ": cannot write JPEG (" + why + ")"); }

  AtomicFile file_;
  FILE* f_ = nullptr;
  jpeg_compress_struct cinfo_{};
  JpegError err_;
  bool created_ = false;
  std::size_t row_bytes_ = 0;
};

std::unique_ptr<detail::Sink> make_jpeg_sink(const std::string& path, const Shape& shape, DType dtype,
                                             const SaveOptions& options) {
  const bool grey = shape.size() == 2 || (shape.size() == 3 && shape[2] == 1);
  const bool rgb = shape.size() == 3 && shape[2] == 3;
  if (!grey && !rgb)
    throw ValueError(path + ": JPEG holds grey (H, W) or RGB (H, W, 3) images, got shape " + shape_to_string(shape) +
                     (shape.size() == 3 && shape[2] == 4 ? " (JPEG has no alpha: save a[..., :3], or a PNG)" : ""));
  if (dtype != DType::UInt8)
    throw ValueError(path + ": JPEG holds uint8 samples, got " + std::string(dtype_name(dtype)) + " (convert with dtype=)");
  if (options.compression != "none" || options.tile) throw ValueError(path + ": JPEG takes no compression= or tile=; use quality=");
  if (shape[0] < 1 || shape[1] < 1 || shape[0] > JPEG_MAX_DIMENSION || shape[1] > JPEG_MAX_DIMENSION)
    throw ValueError(path + ": a JPEG is 1 to " + std::to_string(JPEG_MAX_DIMENSION) + " pixels high and wide, got shape " +
                     shape_to_string(shape));
  const int quality = options.quality.value_or(90);
  if (quality < 1 || quality > 100)
    throw ValueError(path + ": JPEG's quality is 1 (smallest) to 100 (best), got " + std::to_string(quality));
  return std::make_unique<JpegSink>(path, shape, quality, options.metadata ? *options.metadata : Metadata{});
}

const bool registered = register_format({
    .name = "jpeg",
    .extensions = {".jpg", ".jpeg"},
    .magics = {"\xff\xd8\xff"},
    .open =
        [](const std::string& path, const OpenOptions& o) {
          if (o.page >= 0 || o.level > 0) throw ValueError(path + ": page= and level= apply to TIFF files only");
          OpenJpeg j;
          open_jpeg(path, j, false);
          return Image(std::make_shared<detail::RowStreamSource>(j.shape, DType::UInt8, path, j.metadata,
                                                                 [path] { return std::make_unique<JpegRows>(path); }));
        },
    .info = &jpeg_info,
    .sink = &make_jpeg_sink,
    .encoder = nullptr,
});

}  // namespace

}  // namespace tessera::io
