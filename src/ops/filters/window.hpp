// Shared geometry and window sums of the neighbourhood filters.
#pragma once

#include <optional>

#include "tessera/image.hpp"
#include "tessera/operation.hpp"

namespace tessera {

// float64 for float64 input, float32 otherwise, unless `out` says.
DType filter_result_dtype(DType input, std::optional<DType> out);

namespace detail {

// The largest window per axis. Tiles grow with the window (an axis with a
// halo h is cut no shorter than 4h), so a worker's scratch grows as the
// window's square: about 100 MB per thread at 1025 x 1025.
inline constexpr std::int64_t kMaxWindow = 1025;

// The image a filter reads: the input itself, or the input as float64 where
// padding it with a constant its dtype cannot hold (cval 3.5 around uint8,
// 0.1 around float32) would change the constant, as scipy pads in float64.
Image filter_input(const Image& input, const Boundary& boundary);

// Workspace slots (tessera/workspace.hpp) of the filters: the window sums use
// 0 to 19 (see window_sums), others 20 and up.
// The per-axis window sizes from a user's `size` (one number or one per axis),
// validated; `what` names the caller in messages.
Shape window_sizes(const Shape& size, std::size_t ndim, const char* what);
// scipy's `axes=`: None (every axis) or the axes filtered. `axes_param()`
// registers it; `on_axes` spreads per-axis values given for those axes (one,
// or one per listed axis) over every axis, `fill` elsewhere (a size of 1, a
// sigma of 0). Without axes, `values` is returned as it is.
ParamSpec axes_param();
Shape on_axes(const char* op, const Shape& values, const std::optional<Shape>& axes, std::size_t ndim,
              std::int64_t fill);
std::vector<double> on_axes(const char* op, const std::vector<double>& values, const std::optional<Shape>& axes,
                            std::size_t ndim, double fill);
// The axes themselves, checked (in range, negative from the end, distinct).
std::vector<std::size_t> checked_axes(const char* op, const Shape& axes, std::size_t ndim);

// A result in the caller's `output` dtype, if one is given (the filters
// that keep the input's dtype by default: minimum, maximum, rank filters).
inline Image in_output_dtype(const Image& result, std::optional<DType> output) {
  return output && *output != result.dtype() ? result.astype(*output) : result;
}

// The `size` of a 1-D window filter (uniform_filter1d, minimum_filter1d, ...): required, >= 1.
ParamSpec window_length_param();

// The input region a window of `size` needs around `out`, the window moved
// by `origin` (scipy's: output i reads from i - size // 2 - origin; empty:
// 0 on every axis).
Region window_input_region(const Region& out, const Shape& size, const Shape& origin = {});
// `region` moved back by `origin`: where a window with origin 0 would have
// to sit to read what the moved window reads. The window sums and the
// extreme filters align their blocks to that place, so a moved window keeps
// its bits for any tiling.
Region origin_shifted(const Region& region, const Shape& origin);

// scipy's origin: one per axis from one or one per axis (empty: 0), each
// within -(size // 2) .. (size - 1) // 2 for that axis's window; ValueError
// naming `op` otherwise.
Shape origins_of(const char* op, const Shape& origin, const Shape& window_shape);
// The registry's "origin": one, or one per axis (per listed axis with axes=).
ParamSpec origin_param();

// The block grid (Node::block_grid) of window sums of `size`: the window
// where it is summed in van Herk/Gil-Werman blocks, else 1.
Shape window_block_grid(const Shape& size);

// Sums over the window of every element of `region` (of squares, with
// `square`), from the padded input (region grown by window_input_region); the
// float64 result, C order, lives in the worker's workspace (window_sums_result)
// until the next call with the same slot_base. Different slot_base values
// (0, 10, ...) keep several results. With squares_slot_base >= 0, the sums of
// squares are computed too, into that slot base, sharing the first pass's
// read of the input where it can.
void window_sums(Workspace& workspace, const View& padded, const Region& region, const Shape& size, int slot_base,
                 bool square, int squares_slot_base);
double* window_sums_result(Workspace& workspace, int slot_base, std::size_t count);

// Calls f(row number, row pointer) for every row (last axis) of `v`, in C
// order: the filters' last passes and formulas work a row at a time.
template <typename F> void for_each_row(const View& v, F&& f) {
  const std::size_t nd = v.ndim();
  const std::int64_t cols = nd ? v.shape[nd - 1] : 1;
  if (cols == 0) return;
  const std::int64_t rows = v.count() / cols;
  Shape idx(nd > 0 ? nd - 1 : 0, 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::byte* p = v.data;
    for (std::size_t a = 0; a < idx.size(); ++a) p += idx[a] * v.strides[a];
    f(r, p);
    for (std::size_t a = idx.size(); a-- > 0;) {
      if (++idx[a] < v.shape[a]) break;
      idx[a] = 0;
    }
  }
}

// Whether each row (last axis) of `v` is contiguous.
inline bool rows_contiguous(const View& v) {
  const std::size_t nd = v.ndim();
  return nd == 0 || v.shape[nd - 1] <= 1 || v.strides[nd - 1] == static_cast<std::int64_t>(itemsize(v.dtype));
}

}  // namespace detail
}  // namespace tessera
