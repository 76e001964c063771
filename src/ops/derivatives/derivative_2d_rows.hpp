// The rows of a 2-D separable derivative (sobel, prewitt): the 3-tap
// derivative along one axis, then the 3-tap smoothing along the other, each
// pass stored in the pass dtype as scipy chains them, so the bits are
// scipy's. What separable_derivative_2d (one derivative) and
// derivative_magnitude_2d (hypot of the two) share; they differ only in the
// order they run these rows in.
#pragma once

#include <cstddef>
#include <vector>

#include "tessera/boundary.hpp"
#include "tessera/node.hpp"
#include "tessera/workspace.hpp"

namespace tessera::detail {

// What one SeparableDerivative2dNode computes.
struct Derivative2dSpec {
  std::size_t axis = 0;             // of the derivative: 0 or 1
  std::vector<double> diff, smooth;  // 3 taps each
  Boundary boundary;
  DType out = DType::Float32;  // the result's dtype
  const char* op = "";          // "sobel", "prewitt"
};

// The spec of `node` if it is a 2-D separable derivative, else null
// (separable_derivative_2d.cpp).
const Derivative2dSpec* derivative_2d_spec(const Node& node);

// Every region of input the rows read: the output region grown by one on
// both axes.
Region derivative_2d_input_region(const Region& out);

class Derivative2dRows {
 public:
  // `extent`: the image's shape (for the edges in constant mode).
  Derivative2dRows(const Derivative2dSpec& spec, const Shape& extent);

  const Derivative2dSpec& spec() const { return spec_; }
  DType pass() const { return pass_; }

  // The padded input (region + 1 on both axes) as the passes read it: in
  // place when float with contiguous rows, else converted to float64 in
  // workspace slot 30.
  static View readable_input(const View& padded, Workspace& workspace);

  // Whether the derivative is a float32 central difference of float32
  // input: float32 arithmetic gives scipy's bits, and its values may be held
  // in float64 lines (`wide` below), which a fused kernel reads without
  // converting them again.
  bool float32_central_difference(const View& in) const;

  // spec.axis 0: the derivative down the columns for output row i of
  // `region`, over its cols + 2 lanes, into `d` (cval at the ends beyond the
  // image in constant mode, as scipy pads the pass's own input). `wide`: as
  // float64 (see float32_central_difference()), else in the pass dtype.
  void differences_along0(const View& in, const Region& region, std::int64_t i, std::byte* d, bool wide = false) const;
  // spec.axis 1: the derivatives along padded input rows [r0, r1) into `d`,
  // cols lanes each, one after another (cval beyond the image in constant
  // mode).
  void differences_along1(const View& in, const Region& region, std::int64_t r0, std::int64_t r1, std::byte* d,
                          bool wide = false) const;
  // The smoothing of pass-dtype derivatives centred at `centre` (neighbours
  // `step` lanes away) over `cols` lanes into `dst`, of the float dtype
  // `dst_dtype`.
  void smooth(const std::byte* centre, std::int64_t step, std::int64_t cols, DType dst_dtype, std::byte* dst) const;

 private:
  Derivative2dSpec spec_;
  Shape extent_;
  DType pass_;
  int diff_symmetry_, smooth_symmetry_;
  bool central_difference_;

  void difference(const View& in, const std::byte* centre, std::int64_t step, std::int64_t lanes, std::byte* o,
                  bool wide) const;
  bool outside(const Region& region, std::int64_t k) const;  // padded index k across the derivative
  void fill(std::byte* p, std::int64_t n, bool wide) const;
};

}  // namespace tessera::detail
