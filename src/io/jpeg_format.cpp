// JPEG through libjpeg(-turbo), read only: grayscale as (H, W), colour as
// (H, W, 3) RGB, CMYK/YCCK as (H, W, 4) as libjpeg gives it (Adobe's
// inverted CMYK left as stored); always uint8 (12-bit JPEG is refused).
// Rows are decoded in order as the engine asks for them (RowStreamSource: a
// window of rows in memory; a progressive file's coefficients are held whole
// by libjpeg).
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // jpeglib.h needs size_t and FILE declared before it
#include <cstring>

#include <jpeglib.h>

#include "engine/row_stream_source.hpp"
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
    throw IOError(path + ": corrupt or truncated JPEG (" + d.err.why + ")");
  j.shape = channels == 1 ? Shape{height, width} : Shape{height, width, channels};
  // A progressive file's coefficients are held whole by libjpeg: it must fit.
  check_decoded_size(path, j.shape, DType::UInt8, 4096.0, d.cinfo.progressive_mode);
  // The saved markers live until the decompression ends: read them now.
  j.metadata = jpeg_metadata(&d.cinfo, d.icc, d.icc_size);
  if (start_rows && !start(d)) throw IOError(path + ": corrupt or truncated JPEG (" + d.err.why + ")");
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
    .sink = nullptr,
    .encoder = nullptr,
});

}  // namespace

}  // namespace tessera::io
