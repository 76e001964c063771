// What the TIFF source and sink share: a libtiff handle whose errors become
// exceptions naming the file, and the mapping between TIFF sample formats and
// tessera's dtypes.
#pragma once

#include <tiffio.h>

#include <string>

#include "tessera/dtype.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

// GDAL's tags: its metadata (XML) and its nodata value (text), both ASCII.
inline constexpr ttag_t kGdalMetadataTag = 42112, kGdalNoDataTag = 42113;

[[noreturn]] inline void io_fail(const std::string& path, const std::string& why) {
  throw IOError(path + ": " + why);
}

// One open TIFF. libtiff reports errors through a callback; this handle keeps
// the last message so that a failed call can be turned into an IOError.
// Reads never memory-map the file (mode "m"): mapped pages would count in the
// process's RSS as the stream passes over them.
class TiffHandle {
 public:
  // `name` is the path messages give (a sink writes to a temporary but
  // names its destination); by default, `path`.
  TiffHandle(const std::string& path, const char* mode, const std::string& name = {});
  ~TiffHandle();
  TiffHandle(const TiffHandle&) = delete;
  TiffHandle& operator=(const TiffHandle&) = delete;

  TIFF* get() const { return tif_; }
  const std::string& path() const { return path_; }
  // The message of libtiff's last error, or `fallback` if it gave none.
  std::string last_error(const std::string& fallback) const;
  void clear_error() { error_.clear(); }
  [[noreturn]] void fail(const std::string& what) const;  // "path: what (libtiff's message)"
  // Moves to page `page` if not there already.
  void set_page(int page);
  void close();  // closes now, flushing (for writes: errors are reported)

 private:
  static int on_error(TIFF*, void* self, const char* module, const char* fmt, va_list ap);
  static int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }
  TIFF* tif_ = nullptr;
  std::string path_;
  std::string error_;
  int page_ = 0;
};

// The dtype of samples with these BitsPerSample and SampleFormat, or throws
// an IOError naming the unsupported layout. Unsigned samples of other widths
// (1 to 31 bits) are unpacked to the next integer type: uint8, uint16 or
// uint32.
DType tiff_dtype(const std::string& path, unsigned bits, unsigned sample_format);
// The SampleFormat tag value for a dtype (bits are itemsize * 8).
unsigned tiff_sample_format(DType dtype);
// "none", "lzw", ... for a Compression tag value.
std::string compression_name(unsigned compression);

}  // namespace tessera::io
