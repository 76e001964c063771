#include "ops/derivatives/derivative_2d_rows.hpp"

#include <algorithm>

#include "engine/copy.hpp"
#include "ops/derivatives/derivative.hpp"
#include "ops/filters/correlate_line.hpp"

namespace tessera::detail {

Region derivative_2d_input_region(const Region& out) {
  Region r = out;
  for (std::size_t a = 0; a < 2; ++a) {
    r.offset[a] -= 1;
    r.size[a] += 2;
  }
  return r;
}

Derivative2dRows::Derivative2dRows(const Derivative2dSpec& spec, const Shape& extent)
    : spec_(spec),
      extent_(extent),
      pass_(pass_dtype(spec.out)),
      diff_symmetry_(weight_symmetry(spec.diff)),
      smooth_symmetry_(weight_symmetry(spec.smooth)),
      central_difference_(spec.diff == std::vector<double>{-1.0, 0.0, 1.0}) {}

View Derivative2dRows::readable_input(const View& padded, Workspace& workspace) {
  const auto item = static_cast<std::int64_t>(itemsize(padded.dtype));
  if (is_float(padded.dtype) && rows_contiguous(padded) && padded.strides[0] % item == 0) return padded;
  auto* copy = static_cast<std::byte*>(workspace.get(30, static_cast<std::size_t>(padded.count()) * 8));
  const View dense{copy, DType::Float64, padded.shape, c_strides(padded.shape, 8), nullptr};
  copy_convert(padded, dense);
  return dense;
}

bool Derivative2dRows::float32_central_difference(const View& in) const {
  return central_difference_ && in.dtype == DType::Float32 && pass_ == DType::Float32;
}

void Derivative2dRows::difference(const View& in, const std::byte* centre, std::int64_t step, std::int64_t lanes,
                                  std::byte* o, bool wide) const {
  const auto* c = reinterpret_cast<const float*>(centre);
  if (wide) filter_kernels().central_difference_f32_f64(c, step, lanes, reinterpret_cast<double*>(o));
  else if (float32_central_difference(in))
    filter_kernels().central_difference_f32(c, step, lanes, reinterpret_cast<float*>(o));
  else correlate_line(in.dtype, pass_, centre, step, lanes, spec_.diff.data() + 1, 1, 1, diff_symmetry_, o);
}

// In constant mode scipy pads each pass's own input with cval: the
// derivatives beyond the image along the smoothing axis are cval, not the
// derivative of the padded input (the other modes remap indices, so there
// the two agree).
bool Derivative2dRows::outside(const Region& region, std::int64_t k) const {
  const std::size_t across = 1 - spec_.axis;
  if (spec_.boundary.on_axis(across) != BoundaryMode::Constant) return false;
  const std::int64_t at = region.offset[across] - 1 + k;
  return at < 0 || at >= extent_[across];
}

void Derivative2dRows::fill(std::byte* p, std::int64_t n, bool wide) const {
  const double cval = spec_.boundary.cval;
  if (wide) std::fill_n(reinterpret_cast<double*>(p), n, static_cast<double>(static_cast<float>(cval)));
  else if (pass_ == DType::Float32) std::fill_n(reinterpret_cast<float*>(p), n, static_cast<float>(cval));
  else std::fill_n(reinterpret_cast<double*>(p), n, cval);
}

void Derivative2dRows::differences_along0(const View& in, const Region& region, std::int64_t i, std::byte* d,
                                          bool wide) const {
  const std::int64_t cols = region.size[1];
  const auto in_item = static_cast<std::int64_t>(itemsize(in.dtype));
  const auto item = static_cast<std::int64_t>(wide ? 8 : itemsize(pass_));
  difference(in, in.data + (i + 1) * in.strides[0], in.strides[0] / in_item, cols + 2, d, wide);
  if (outside(region, 0)) fill(d, 1, wide);
  if (outside(region, cols + 1)) fill(d + (cols + 1) * item, 1, wide);
}

void Derivative2dRows::differences_along1(const View& in, const Region& region, std::int64_t r0, std::int64_t r1,
                                          std::byte* d, bool wide) const {
  const std::int64_t cols = region.size[1];
  const auto in_item = static_cast<std::int64_t>(itemsize(in.dtype));
  const std::int64_t row_bytes = cols * static_cast<std::int64_t>(wide ? 8 : itemsize(pass_));
  for (std::int64_t r = r0; r < r1; ++r, d += row_bytes) {
    if (outside(region, r)) fill(d, cols, wide);
    else difference(in, in.data + r * in.strides[0] + in_item, 1, cols, d, wide);
  }
}

void Derivative2dRows::smooth(const std::byte* centre, std::int64_t step, std::int64_t cols, DType dst_dtype,
                              std::byte* dst) const {
  correlate_line(pass_, dst_dtype, centre, step, cols, spec_.smooth.data() + 1, 1, 1, smooth_symmetry_, dst);
}

}  // namespace tessera::detail
