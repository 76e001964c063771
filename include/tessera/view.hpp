// N-dimensional shapes, regions and strided views over memory that someone
// else owns (a numpy buffer, a tessera Buffer, a tile of scratch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/dtype.hpp"

namespace tessera {

using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;  // in bytes, any sign

// The number of elements; ValueError if it does not fit in 64 bits.
std::int64_t element_count(const Shape& shape);
// The bytes of a C-contiguous array of `shape`; ValueError if they do not fit.
std::int64_t byte_count(const Shape& shape, std::size_t itemsize);
std::string shape_to_string(const Shape& shape);  // "(3, 4)" as numpy prints it

// Row-major (C order) byte strides for a shape.
Strides c_strides(const Shape& shape, std::size_t itemsize);

// An axis-aligned box of an N-d array: `offset` may be negative or reach past
// the array when a halo asks for pixels beyond the border.
struct Region {
  Shape offset;
  Shape size;

  std::size_t ndim() const { return size.size(); }
  std::int64_t count() const { return element_count(size); }
  bool operator==(const Region& o) const { return offset == o.offset && size == o.size; }
  // True when the region lies inside [0, shape).
  bool inside(const Shape& shape) const;
  std::string to_string() const;  // "[0:64, 128:256]"
  static Region whole(const Shape& shape);
};

// A typed strided view. It does not own memory; `owner` (optional) keeps the
// memory alive, e.g. a numpy array held by the Python binding.
struct View {
  std::byte* data = nullptr;
  DType dtype = DType::UInt8;
  Shape shape;
  Strides strides;
  std::shared_ptr<const void> owner;

  std::size_t ndim() const { return shape.size(); }
  std::int64_t count() const { return element_count(shape); }
  bool is_c_contiguous() const;
  // The sub-view of `region` (which must lie inside the view).
  View sub(const Region& region) const;
  // The element at a multi-index.
  std::byte* at(const Shape& index) const;
};

// Owning, aligned, C-contiguous N-d memory.
class Buffer {
 public:
  Buffer() = default;
  Buffer(DType dtype, const Shape& shape);

  const View& view() const { return view_; }
  DType dtype() const { return view_.dtype; }
  const Shape& shape() const { return view_.shape; }
  std::byte* data() const { return view_.data; }
  template <typename T> T* data_as() const { return reinterpret_cast<T*>(view_.data); }

 private:
  View view_;
};

}  // namespace tessera
