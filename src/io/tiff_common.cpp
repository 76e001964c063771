#include "io/tiff_common.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace tessera::io {

namespace {
// GDAL's private tags and GeoTIFF's, known to libtiff from here on (as GDAL
// and libgeotiff register them): otherwise libtiff reads them as anonymous
// fields it warns about, and cannot write them.
const TIFFFieldInfo kGdalFields[] = {
    {kGdalMetadataTag, -1, -1, TIFF_ASCII, FIELD_CUSTOM, 1, 0, const_cast<char*>("GDALMetadata")},
    {kGdalNoDataTag, -1, -1, TIFF_ASCII, FIELD_CUSTOM, 1, 0, const_cast<char*>("GDALNoDataValue")},
    {33550, -1, -1, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1, const_cast<char*>("ModelPixelScaleTag")},
    {33922, -1, -1, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1, const_cast<char*>("ModelTiepointTag")},
    {34264, -1, -1, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1, const_cast<char*>("ModelTransformationTag")},
    {34735, -1, -1, TIFF_SHORT, FIELD_CUSTOM, 1, 1, const_cast<char*>("GeoKeyDirectoryTag")},
    {34736, -1, -1, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1, const_cast<char*>("GeoDoubleParamsTag")},
    {34737, -1, -1, TIFF_ASCII, FIELD_CUSTOM, 1, 0, const_cast<char*>("GeoASCIIParamsTag")},
};
TIFFExtendProc previous_extender = nullptr;
void extend_tags(TIFF* tif) {
  TIFFMergeFieldInfo(tif, kGdalFields, sizeof kGdalFields / sizeof kGdalFields[0]);
  if (previous_extender) previous_extender(tif);
}
const bool extended = [] {
  previous_extender = TIFFSetTagExtender(extend_tags);
  return true;
}();
}  // namespace

TiffHandle::TiffHandle(const std::string& path, const char* mode, const std::string& name)
    : path_(name.empty() ? path : name) {
  (void)extended;
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, &TiffHandle::on_error, this);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, &TiffHandle::on_warning, this);
  errno = 0;
  tif_ = TIFFOpenExt(path.c_str(), mode, opts);
  TIFFOpenOptionsFree(opts);
  if (!tif_) {
    if (mode[0] == 'r' && !std::filesystem::exists(path)) io_fail(path_, "no such file");
    if (mode[0] == 'r' && std::filesystem::is_directory(path)) io_fail(path_, "is a directory");
    const int err = errno;
    std::string why = error_.empty() ? std::string(std::strerror(err ? err : EIO)) : error_;
    if (mode[0] == 'r') io_fail(path_, "not a readable TIFF (" + why + ")");
    io_fail(path_, "cannot create (" + why + ")");
  }
}

TiffHandle::~TiffHandle() {
  if (tif_) TIFFClose(tif_);
}

void TiffHandle::close() {
  if (!tif_) return;
  TIFF* t = tif_;
  tif_ = nullptr;
  TIFFClose(t);
}

std::string TiffHandle::last_error(const std::string& fallback) const { return error_.empty() ? fallback : error_; }

void TiffHandle::fail(const std::string& what) const {
  if (error_.empty()) io_fail(path_, what);
  io_fail(path_, what + " (" + error_ + ")");
}

void TiffHandle::set_page(int page) {
  if (page == page_) return;
  if (!TIFFSetDirectory(tif_, static_cast<tdir_t>(page))) fail("cannot read page " + std::to_string(page));
  page_ = page;
}

int TiffHandle::on_error(TIFF*, void* self, const char* module, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  auto* h = static_cast<TiffHandle*>(self);
  h->error_ = (module && *module) ? std::string(module) + ": " + buf : std::string(buf);
  return 1;  // handled: nothing on stderr
}

DType tiff_dtype(const std::string& path, unsigned bits, unsigned format) {
  if (format == SAMPLEFORMAT_IEEEFP) {
    if (bits == 32) return DType::Float32;
    if (bits == 64) return DType::Float64;
    io_fail(path, "unsupported layout: " + std::to_string(bits) + "-bit floating-point samples");
  }
  if (format != SAMPLEFORMAT_UINT && format != SAMPLEFORMAT_INT && format != SAMPLEFORMAT_VOID)
    io_fail(path, "unsupported layout: sample format " + std::to_string(format) + " (complex samples)");
  const bool is_signed = format == SAMPLEFORMAT_INT;
  switch (bits) {
    case 8: return is_signed ? DType::Int8 : DType::UInt8;
    case 16: return is_signed ? DType::Int16 : DType::UInt16;
    case 32: return is_signed ? DType::Int32 : DType::UInt32;
    case 64: return is_signed ? DType::Int64 : DType::UInt64;
    default: break;
  }
  // Packed unsigned samples (1-bit masks, 12-bit camera data, 24-bit):
  // unpacked to the next integer type on read.
  if (is_signed || bits == 0 || bits > 32)
    io_fail(path, "unsupported layout: " + std::to_string(bits) + "-bit " + (is_signed ? "signed " : "") +
                      "samples (tessera reads unsigned samples of 1 to 32 bits and 64, signed ones of 8, 16, 32 and 64)");
  return bits <= 8 ? DType::UInt8 : bits <= 16 ? DType::UInt16 : DType::UInt32;
}

unsigned tiff_sample_format(DType dtype) {
  if (is_float(dtype)) return SAMPLEFORMAT_IEEEFP;
  return is_signed(dtype) ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

std::string compression_name(unsigned c) {
  switch (c) {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_LZW: return "lzw";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return "deflate";
    case COMPRESSION_ZSTD: return "zstd";
    case COMPRESSION_PACKBITS: return "packbits";
    case COMPRESSION_JPEG:
    case COMPRESSION_OJPEG: return "jpeg";
    case COMPRESSION_LZMA: return "lzma";
    case COMPRESSION_WEBP: return "webp";
    default: return "compression " + std::to_string(c);
  }
}

}  // namespace tessera::io
