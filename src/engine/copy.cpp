#include "engine/copy.hpp"

#include <algorithm>
#include <vector>

#include "ops/expr/kernels.hpp"

namespace tessera::detail {

void copy_convert(const View& src, const View& dst) {
  if (src.shape != dst.shape) throw InternalError("copy_convert: shapes differ");
  const std::int64_t n = dst.count();
  if (n == 0) return;
  const KernelTable& k = kernels();
  const std::size_t nd = dst.ndim();
  const std::int64_t cols = nd ? dst.shape[nd - 1] : 1;
  const std::int64_t s_col = nd ? src.strides[nd - 1] : 0;
  const std::int64_t d_col = nd ? dst.strides[nd - 1] : 0;
  const auto si = static_cast<int>(src.dtype), di = static_cast<int>(dst.dtype);
  const bool dst_contiguous = d_col == static_cast<std::int64_t>(itemsize(dst.dtype));
  std::vector<std::byte> row(dst_contiguous ? 0 : static_cast<std::size_t>(cols) * itemsize(dst.dtype));
  std::vector<std::int64_t> idx(nd > 0 ? nd - 1 : 0, 0);
  for (std::int64_t r = 0; r < n / cols; ++r) {
    std::byte* s = src.data;
    std::byte* d = dst.data;
    for (std::size_t a = 0; a < idx.size(); ++a) {
      s += idx[a] * src.strides[a];
      d += idx[a] * dst.strides[a];
    }
    if (dst_contiguous) {
      k.load[si][di](1, cols, s, 0, s_col, d);
    } else {
      k.load[si][di](1, cols, s, 0, s_col, row.data());
      k.store[di][di](1, cols, d, 0, d_col, row.data());
    }
    for (std::size_t a = idx.size(); a-- > 0;) {
      if (++idx[a] < dst.shape[a]) break;
      idx[a] = 0;
    }
  }
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
