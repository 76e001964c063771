#include "io/npy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "engine/copy.hpp"

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

Buffer read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) bad(path, std::filesystem::exists(path) ? "cannot open (" + sys_error() + ")" : "no such file");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    bad(path, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  } else {
    bad(path, "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) bad(path, "corrupt header (length " + std::to_string(header_len) + ")");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) bad(path, "truncated header");

  const std::string descr = dict_value(header, "descr", path);
  const bool fortran = dict_value(header, "fortran_order", path) == "True";
  const std::string shape_text = dict_value(header, "shape", path);
  bool swap = false;
  const DType dtype = dtype_of_descr(descr, swap, path);
  Shape shape;
  for (std::size_t p = 1; p < shape_text.size();) {
    while (p < shape_text.size() && (shape_text[p] == ' ' || shape_text[p] == ',')) ++p;
    if (p >= shape_text.size() || shape_text[p] == ')') break;
    char* end = nullptr;
    const long long v = std::strtoll(shape_text.c_str() + p, &end, 10);
    if (end == shape_text.c_str() + p || v < 0) bad(path, "corrupt shape " + shape_text);
    shape.push_back(v);
    p = static_cast<std::size_t>(end - shape_text.c_str());
  }

  Shape file_shape = shape;
  if (fortran) std::reverse(file_shape.begin(), file_shape.end());
  Buffer data(dtype, file_shape);
  const std::size_t bytes = static_cast<std::size_t>(element_count(shape)) * itemsize(dtype);
  if (!f.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(bytes)))
    bad(path, "truncated data: expected " + std::to_string(bytes) + " bytes for shape " +
                  shape_to_string(shape) + ", found " + std::to_string(f.gcount()));
  if (swap) {
    const std::size_t item = itemsize(dtype);
    for (std::size_t i = 0; i < bytes; i += item) std::reverse(data.data() + i, data.data() + i + item);
  }
  if (!fortran) return data;
  // Fortran order: the data is the transpose of a C array; copy it back.
  View t = data.view();
  std::reverse(t.shape.begin(), t.shape.end());
  std::reverse(t.strides.begin(), t.strides.end());
  Buffer out(dtype, shape);
  detail::copy_convert(t, out.view());
  return out;
}

void write_npy(const std::string& path, const View& view) {
  std::string header = "{'descr': '";
  header += (itemsize(view.dtype) == 1 ? '|' : '<');
  header += kind_char(view.dtype);
  header += std::to_string(itemsize(view.dtype)) + "', 'fortran_order': False, 'shape': " +
            shape_to_string(view.shape) + ", }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  const std::filesystem::path target(path);
  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  if (!std::filesystem::is_directory(dir)) bad(path, "the folder " + dir.string() + " does not exist");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) bad(path, "cannot create a file in " + dir.string() + " (" + sys_error() + ")");
  FILE* f = fdopen(fd, "wb");
  auto fail = [&](const std::string& why) {
    if (f) std::fclose(f);
    std::remove(tmp.c_str());
    bad(path, why);
  };
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  const unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                    static_cast<unsigned char>(len & 0xff), static_cast<unsigned char>(len >> 8)};
  if (std::fwrite(prefix, 1, 10, f) != 10 || std::fwrite(header.data(), 1, header.size(), f) != header.size())
    fail("write failed (" + sys_error() + ")");
  const View* src = &view;
  Buffer contiguous;
  if (!view.is_c_contiguous()) {
    contiguous = Buffer(view.dtype, view.shape);
    detail::copy_convert(view, contiguous.view());
    src = &contiguous.view();
  }
  const std::size_t bytes = static_cast<std::size_t>(view.count()) * itemsize(view.dtype);
  if (bytes && std::fwrite(src->data, 1, bytes, f) != bytes) fail("write failed (" + sys_error() + ")");
  if (std::fflush(f) != 0 || fsync(fileno(f)) != 0) fail("write failed (" + sys_error() + ")");
  if (std::fclose(f) != 0) {
    f = nullptr;
    fail("write failed (" + sys_error() + ")");
  }
  f = nullptr;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename into place (" + sys_error() + ")");
}

}  // namespace tessera::io
