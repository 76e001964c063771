// What correlate and convolve share: the weights as numbers, the origin
// rule, and the correlation node's constructor.
#pragma once

#include <optional>
#include <vector>

#include "tessera/boundary.hpp"
#include "tessera/image.hpp"
#include "tessera/operation.hpp"

namespace tessera::detail {

struct Weights {
  Shape shape;
  std::vector<double> values;  // C order
};
// The weights of an image (any real dtype, the input's rank, finite);
// ValueError/TypeError naming `op`.
Weights weights_of(const char* op, const Image& weights, std::size_t ndim);
Image correlate_weights(const Image& input, const Weights& w, const Shape& origin, const Boundary& boundary,
                        std::optional<DType> out);

inline ParamSpec weights_param() { return param::array("weights", "the weights: an array of the input's rank"); }

}  // namespace tessera::detail
