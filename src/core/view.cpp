#include "tessera/view.hpp"

#include "core/large_blocks.hpp"
#include "tessera/error.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace tessera {

std::int64_t element_count(const Shape& shape) {
  // Checked: a size read from a file header must not wrap around to a small one.
  std::int64_t n = 1;
  for (auto s : shape)
    if (s < 0 || __builtin_mul_overflow(n, s, &n))
      throw ValueError("shape " + shape_to_string(shape) + " has more elements than tessera can address");
  return n;
}

std::int64_t byte_count(const Shape& shape, std::size_t itemsize) {
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(element_count(shape), static_cast<std::int64_t>(itemsize), &bytes))
    throw ValueError("shape " + shape_to_string(shape) + " holds more bytes than tessera can address");
  return bytes;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

Strides c_strides(const Shape& shape, std::size_t itemsize) {
  Strides strides(shape.size());
  std::int64_t stride = static_cast<std::int64_t>(itemsize);
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    if (i > 0 && __builtin_mul_overflow(stride, std::max<std::int64_t>(shape[i], 1), &stride))
      throw ValueError("shape " + shape_to_string(shape) + " holds more bytes than tessera can address");
  }
  return strides;
}

bool Region::inside(const Shape& shape) const {
  for (std::size_t i = 0; i < size.size(); ++i)
    if (offset[i] < 0 || offset[i] + size[i] > shape[i]) return false;
  return true;
}

std::string Region::to_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < size.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(offset[i]) + ":" + std::to_string(offset[i] + size[i]);
  }
  return s + "]";
}

Region Region::whole(const Shape& shape) { return Region{Shape(shape.size(), 0), shape}; }

bool View::is_c_contiguous() const {
  std::int64_t expected = static_cast<std::int64_t>(itemsize(dtype));
  for (std::size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

View View::sub(const Region& region) const {
  View v = *this;
  v.data = at(region.offset);
  v.shape = region.size;
  return v;
}

std::byte* View::at(const Shape& index) const {
  std::byte* p = data;
  for (std::size_t i = 0; i < index.size(); ++i) p += index[i] * strides[i];
  return p;
}

Buffer::Buffer(DType dtype, const Shape& shape) {
  for (auto s : shape)
    if (s < 0) throw ValueError("negative dimension in shape " + shape_to_string(shape));
  const std::size_t item = itemsize(dtype);
  const std::int64_t n = element_count(shape);
  if (n > std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(item))
    throw ValueError("array of shape " + shape_to_string(shape) + " is too large");
  // 64-byte alignment suits every SIMD width; round up so aligned_alloc accepts it.
  const std::size_t bytes = ((static_cast<std::size_t>(n) * item + 63) / 64) * 64;
  // Large buffers come in whole 2 MiB pages, kept a short while after they
  // are freed for the next buffer of their size (core/large_blocks.hpp).
  std::shared_ptr<void> owner;
  if (bytes >= detail::kLargeBlockMinBytes) {
    owner = std::shared_ptr<void>(detail::take_large_block(bytes),
                                  [bytes](void* q) { detail::give_large_block(q, bytes); });
  } else {
    void* p = std::aligned_alloc(64, bytes ? bytes : 64);
    if (!p) throw std::bad_alloc();
    owner = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  }
  view_.data = static_cast<std::byte*>(owner.get());
  view_.dtype = dtype;
  view_.shape = shape;
  view_.strides = c_strides(shape, item);
  view_.owner = std::move(owner);
}

}  // namespace tessera
