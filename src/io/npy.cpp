#include "io/npy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/array_source.hpp"
#include "engine/copy.hpp"
#include "io/atomic_file.hpp"
#include "io/byteswap.hpp"

namespace tessera::io {

namespace {

std::string sys_error() { return std::strerror(errno); }

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw IOError(path + ": " + why);
}

// Finds `'key': value` in the header dict and returns the raw value text.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const std::string k = "'" + key + "'";
  auto p = header.find(k);
  if (p == std::string::npos) bad(path, "not a valid .npy file (no '" + key + "' in the header)");
  p = header.find(':', p + k.size());
  if (p == std::string::npos) bad(path, "not a valid .npy file (malformed header)");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  std::size_t end = p;
  if (header[p] == '(') end = header.find(')', p) + 1;
  else if (header[p] == '\'') end = header.find('\'', p + 1) + 1;
  else end = header.find_first_of(",}", p);
  if (end == std::string::npos || end <= p) bad(path, "not a valid .npy file (malformed header)");
  return header.substr(p, end - p);
}

DType dtype_of_descr(const std::string& descr, bool& swap, const std::string& path) {
  // descr looks like '<f4', '|u1', '|b1'
  if (descr.size() < 4) bad(path, "unsupported dtype " + descr);
  const char order = descr[1], kind = descr[2];
  const int size = std::atoi(descr.substr(3, descr.size() - 4).c_str());
  swap = order == '>' && size > 1;
  DType d;
  if (kind == 'b' && size == 1) d = DType::Bool;
  else if (kind == 'u' && size == 1) d = DType::UInt8;
  else if (kind == 'i' && size == 1) d = DType::Int8;
  else if (kind == 'u' && size == 2) d = DType::UInt16;
  else if (kind == 'i' && size == 2) d = DType::Int16;
  else if (kind == 'u' && size == 4) d = DType::UInt32;
  else if (kind == 'i' && size == 4) d = DType::Int32;
  else if (kind == 'u' && size == 8) d = DType::UInt64;
  else if (kind == 'i' && size == 8) d = DType::Int64;
  else if (kind == 'f' && size == 4) d = DType::Float32;
  else if (kind == 'f' && size == 8) d = DType::Float64;
  else bad(path, "unsupported dtype " + descr + " (tessera reads bool, integers and float32/float64)");
  return d;
}

char kind_char(DType d) { return is_bool(d) ? 'b' : is_float(d) ? 'f' : is_signed(d) ? 'i' : 'u'; }

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) bad(path, std::filesystem::exists(path) ? "cannot open (" + sys_error() + ")" : "no such file");
  if (std::filesystem::is_directory(path)) bad(path, "is a directory");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    bad(path, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  std::size_t prefix = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    prefix = 12;
  } else {
    bad(path, "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) bad(path, "corrupt header (length " + std::to_string(header_len) + ")");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) bad(path, "truncated header");

  NpyHeader h;
  h.data_offset = prefix + header_len;
  const std::string descr = dict_value(header, "descr", path);
  h.fortran = dict_value(header, "fortran_order", path) == "True";
  const std::string shape_text = dict_value(header, "shape", path);
  h.dtype = dtype_of_descr(descr, h.swap, path);
  for (std::size_t p = 1; p < shape_text.size();) {
    while (p < shape_text.size() && (shape_text[p] == ' ' || shape_text[p] == ',')) ++p;
    if (p >= shape_text.size() || shape_text[p] == ')') break;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(shape_text.c_str() + p, &end, 10);
    if (end == shape_text.c_str() + p || v < 0 || errno == ERANGE) bad(path, "corrupt shape " + shape_text);
    h.shape.push_back(v);
    p = static_cast<std::size_t>(end - shape_text.c_str());
  }
  // Checked: a header's shape must not wrap around to a few bytes.
  std::uint64_t bytes = 0;
  try {
    bytes = static_cast<std::uint64_t>(byte_count(h.shape, itemsize(h.dtype)));
  } catch (const ValueError&) {
    bad(path, "corrupt header: shape " + shape_to_string(h.shape) + " holds more bytes than any file");
  }
  const auto size = std::filesystem::file_size(path);
  if (size < h.data_offset || size - h.data_offset < bytes)
    bad(path, "truncated data: expected " + std::to_string(bytes) + " bytes for shape " + shape_to_string(h.shape) +
                  ", found " + std::to_string(size - std::min<std::uintmax_t>(size, h.data_offset)));
  return h;
}

Buffer read_npy(const std::string& path) {
  const NpyHeader h = read_npy_header(path);
  const DType dtype = h.dtype;
  const Shape& shape = h.shape;
  const bool fortran = h.fortran, swap = h.swap;
  std::ifstream f(path, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(h.data_offset));
  Shape file_shape = shape;
  if (fortran) std::reverse(file_shape.begin(), file_shape.end());
  Buffer data(dtype, file_shape);
  const std::size_t bytes = static_cast<std::size_t>(element_count(shape)) * itemsize(dtype);
  if (!f.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(bytes)))
    bad(path, "truncated data: expected " + std::to_string(bytes) + " bytes for shape " +
                  shape_to_string(shape) + ", found " + std::to_string(f.gcount()));
  if (swap) swap_bytes(data.data(), bytes, itemsize(dtype));
  if (!fortran) return data;
  // Fortran order: the data is the transpose of a C array; copy it back.
  View t = data.view();
  std::reverse(t.shape.begin(), t.shape.end());
  std::reverse(t.strides.begin(), t.strides.end());
  Buffer out(dtype, shape);
  detail::copy_convert(t, out.view());
  return out;
}

Image open_npy(const std::string& path) {
  const NpyHeader h = read_npy_header(path);
  const std::size_t item = itemsize(h.dtype);
  const std::size_t bytes = static_cast<std::size_t>(byte_count(h.shape, item));
  // Big-endian data cannot be read in place, nor data at an offset that is
  // not a multiple of the item size (typed loads would be misaligned): read
  // it (rare: numpy writes native order, aligned).
  if (h.swap || bytes == 0 || h.data_offset % item != 0)
    return Image(std::make_shared<detail::ArraySource>(read_npy(path).view(), path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) bad(path, "cannot open (" + sys_error() + ")");
  const std::size_t length = h.data_offset + bytes;
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) bad(path, "cannot map (" + sys_error() + ")");
  View v;
  v.data = static_cast<std::byte*>(map) + h.data_offset;
  v.dtype = h.dtype;
  v.shape = h.shape;
  v.strides = c_strides(h.shape, item);
  if (h.fortran) {
    Shape reversed(h.shape.rbegin(), h.shape.rend());
    Strides s = c_strides(reversed, item);
    v.strides.assign(s.rbegin(), s.rend());
  }
  v.owner = std::shared_ptr<void>(map, [length](void* p) { ::munmap(p, length); });
  return Image(std::make_shared<detail::ArraySource>(v, path));
}

namespace {

std::string npy_header(DType dtype, const Shape& shape) {
  std::string header = "{'descr': '";
  header += (itemsize(dtype) == 1 ? '|' : '<');
  header += kind_char(dtype);
  header += std::to_string(itemsize(dtype)) + "', 'fortran_order': False, 'shape': " + shape_to_string(shape) + ", }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  const char prefix[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(len & 0xff),
                           static_cast<char>(len >> 8)};
  return std::string(prefix, 10) + header;
}

class NpySink final : public detail::Sink {
 public:
  NpySink(const std::string& path, const Shape& shape, DType dtype) : file_(path), shape_(shape) {
    fd_ = ::open(file_.temp_path().c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open (" + sys_error() + ")");
    const std::string header = npy_header(dtype, shape);
    put(header.data(), header.size());
  }
  ~NpySink() override { abort(); }

  std::size_t row_axis() const override { return shape_.empty() ? 0 : shape_.size() - 1; }
  void write(const Region&, const View& data) override {
    put(data.data, static_cast<std::size_t>(data.count()) * itemsize(data.dtype));
  }
  void commit() override {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("write failed (" + sys_error() + ")");
    file_.commit();
  }
  void abort() noexcept override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    file_.abort();
  }

 private:
  [[noreturn]] void fail(const std::string& why) {
    abort();
    bad(file_.path(), why);
  }
  void put(const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(fd_, c, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail("write failed (" + sys_error() + ")");
      c += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  AtomicFile file_;
  Shape shape_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<detail::Sink> make_npy_sink(const std::string& path, const Shape& shape, DType dtype) {
  return std::make_unique<NpySink>(path, shape, dtype);
}

void write_npy(const std::string& path, const View& view) {
  auto sink = make_npy_sink(path, view.shape, view.dtype);
  detail::stream_to_sink(Image::wrap(view), *sink, {});
}

}  // namespace tessera::io
