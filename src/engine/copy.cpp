#include "engine/copy.hpp"

#include <algorithm>
#include <vector>

#include "core/layout.hpp"
#include "core/convert_kernels.hpp"

namespace tessera::detail {

void copy_convert(const View& src, const View& dst) {
  if (src.shape != dst.shape) throw InternalError("copy_convert: shapes differ");
  if (dst.count() == 0) return;
  const ConvertKernels& k = convert_kernels();
  const Layout l = coalesce(dst.shape, {&src.strides, &dst.strides});
  const std::size_t nd = l.size.size();
  const std::int64_t rows = l.size[nd - 2], cols = l.size[nd - 1];
  const std::int64_t s_row = l.strides[0][nd - 2], s_col = l.strides[0][nd - 1];
  const std::int64_t d_row = l.strides[1][nd - 2], d_col = l.strides[1][nd - 1];
  const auto si = static_cast<int>(src.dtype), di = static_cast<int>(dst.dtype);
  const auto d_item = static_cast<std::int64_t>(itemsize(dst.dtype));
  const auto s_item = static_cast<std::int64_t>(itemsize(src.dtype));
  std::vector<std::byte> row;
  for_each_outer(l, [&](const std::vector<std::int64_t>& off) {
    std::byte* s = src.data + off[0];
    std::byte* d = dst.data + off[1];
    if (d_col == d_item && (rows == 1 || d_row == cols * d_item)) {
      k.load[si][di](rows, cols, s, s_row, s_col, d);  // destination one run
    } else if (s_col == s_item && (rows == 1 || s_row == cols * s_item)) {
      k.store[si][di](rows, cols, d, d_row, d_col, s);  // source one run
    } else {
      row.resize(static_cast<std::size_t>(cols * d_item));
      for (std::int64_t r = 0; r < rows; ++r) {
        k.load[si][di](1, cols, s + r * s_row, 0, s_col, row.data());
        k.store[di][di](1, cols, d + r * d_row, 0, d_col, row.data());
      }
    }
  });
}

namespace {
std::pair<const std::byte*, const std::byte*> span(const View& v) {
  const std::byte* lo = v.data;
  const std::byte* hi = v.data;
  for (std::size_t a = 0; a < v.ndim(); ++a) {
    if (v.shape[a] == 0) return {v.data, v.data};
    const std::int64_t extent = (v.shape[a] - 1) * v.strides[a];
    (extent < 0 ? lo : hi) += extent;
  }
  return {lo, hi + itemsize(v.dtype)};
}
}  // namespace

bool views_overlap(const View& a, const View& b) {
  const auto [alo, ahi] = span(a);
  const auto [blo, bhi] = span(b);
  return alo < bhi && blo < ahi;
}

}  // namespace tessera::detail
