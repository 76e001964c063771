// What scipy.ndimage's derivative filters (sobel, prewitt, laplace and the
// Gaussian ones) share: the axis rule, and the dtype of the passes between
// 1-D correlations (scipy stores each pass in the output dtype; tessera does
// too for float output, so float results are scipy's bits, and keeps
// float64 between passes otherwise).
#pragma once

#include <cmath>
#include <optional>
#include <string>

#include "ops/filters/window.hpp"
#include "tessera/error.hpp"
#include "tessera/filters.hpp"
#include "tessera/image.hpp"

namespace tessera::detail {

// `axis` (negative: from the end) of an input of `nd` axes; ValueError
// naming the operation otherwise.
inline std::size_t derivative_axis(const char* op, std::int64_t axis, std::size_t nd) {
  const auto n = static_cast<std::int64_t>(nd);
  if (nd == 0) throw ValueError(std::string(op) + ": the input must have at least one axis");
  if (axis < -n || axis >= n)
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for a " +
                     std::to_string(nd) + "-D input");
  return static_cast<std::size_t>(axis < 0 ? axis + n : axis);
}

// The boundary of axis k's term of gaussian_laplace and
// gaussian_gradient_magnitude: scipy's generic_laplace and
// generic_gradient_magnitude hand that term's whole N-D Gaussian the mode of
// axis k alone.
inline Boundary term_boundary(const Boundary& b, std::size_t k) { return Boundary{b.on_axis(k), b.cval, {}}; }

// The dtype one pass of a derivative writes for a result of `out`.
inline DType pass_dtype(DType out) { return is_float(out) ? out : DType::Float64; }

// term(0) + term(1) + ... + term(nd - 1), added in axis order as scipy's
// generic_laplace and generic_gradient_magnitude add them.
template <typename Term> Image sum_over_axes(std::size_t nd, Term term) {
  Image sum = term(0);
  for (std::size_t k = 1; k < nd; ++k) sum = sum + term(k);
  return sum;
}

// The 3-tap derivative `diff` along `axis` (0 or 1) of a 2-D input, then
// the 3-tap smoothing `smooth` along the other axis, as one node with the
// chain's bits (separable_derivative_2d.cpp); `out` is the result's dtype.
Image separable_derivative_2d(const Image& input, std::size_t axis, const std::vector<double>& diff,
                              const std::vector<double>& smooth, const Boundary& boundary, DType out,
                              const char* op);

// hypot(x, y) as one node when x and y are the derivatives along axes 0 and
// 1 of one 2-D input by the same filter and boundary (sobel(a, 0) and
// sobel(a, 1)), with the chain's bits (derivative_magnitude_2d.cpp); else
// nothing.
std::optional<Image> derivative_magnitude_2d(const Image& x, const Image& y);

// The 1-D derivative `diff` along `axis`, then the smoothing `smooth` along
// every other axis (sobel, prewitt), as scipy chains them.
inline Image separable_derivative(const Image& input, std::int64_t axis, const std::vector<double>& diff,
                                  const std::vector<double>& smooth, const Boundary& boundary,
                                  std::optional<DType> output, const char* op) {
  const std::size_t a = derivative_axis(op, axis, input.ndim());
  const DType out = filter_result_dtype(input.dtype(), output);
  const DType pass = pass_dtype(out);
  const std::size_t nd = input.ndim();
  // scipy pads each pass's float64 line with cval itself: where float32
  // passes cannot hold it (0.1), each is widened to float64 (its values
  // still rounded to float32) before the next pads it.
  const bool widen = pass == DType::Float32 && boundary.uses(BoundaryMode::Constant, nd) &&
                     static_cast<double>(static_cast<float>(boundary.cval)) != boundary.cval &&
                     !std::isnan(boundary.cval);
  if (nd == 2 && diff.size() == 3 && smooth.size() == 3 && !widen)
    return separable_derivative_2d(input, a, diff, smooth, boundary, out, op);
  Image r = correlate1d(input, diff, static_cast<std::int64_t>(a), boundary, 0, nd == 1 ? out : pass);
  std::size_t done = 1;
  for (std::size_t k = 0; k < nd; ++k) {
    if (k == a) continue;
    ++done;
    if (widen) r = r.astype(DType::Float64);
    r = correlate1d(r, smooth, static_cast<std::int64_t>(k), boundary, 0, done == nd ? out : pass);
  }
  return r;
}

}  // namespace tessera::detail
