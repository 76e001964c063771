// boxcar_filter: the window mean, under the name ESA SNAP's Speckle-Filter
// gives it (Boxcar, 3x3 by default): uniform_filter.
#include "ops/speckle/speckle.hpp"

namespace tessera {

namespace {
const bool registered = register_operation({
    .name = "boxcar_filter",
    .summary = "Boxcar speckle filter: the window mean, as SNAP's Boxcar (uniform_filter).",
    .doc = "uniform_filter under SNAP's name and default window (3x3). Difference from SNAP: the border is padded "
           "by mode (SNAP averages the part of the window inside the image).",
    .params = param::join({{param::input("the image"), param::sizes("the window: an int, or one per axis", 3),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {uniform_filter(a.image("input"), a.ints("size"), a.boundary(), a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
