#include <cmath>

#include "ops/speckle/speckle.hpp"

#include "engine/copy.hpp"

namespace tessera::detail {

std::vector<ParamSpec> speckle_params(bool uses_looks, std::optional<double> damping) {
  ParamSpec size = param::integer("size", 7, "the side of the square window");
  size.min = 1;
  size.max = 255;
  size.odd = true;
  std::vector<ParamSpec> own{param::input("the 2-D single-band image (intensity or amplitude)"), size};
  if (uses_looks) {
    ParamSpec looks = param::real("looks", 1.0, "the equivalent number of looks L; Cu = sqrt(1/L)");
    looks.min = 0;
    looks.min_open = true;
    own.push_back(looks);
  }
  if (damping) {
    ParamSpec d = param::real("damping", *damping, "the damping factor");
    d.min = 0;
    own.push_back(d);
  }
  return param::join({own, param::boundary()});
}

Plane float64_plane(const View& padded, Workspace& workspace, int slot) {
  const Shape& s = padded.shape;
  auto* d = static_cast<double*>(workspace.get(slot, static_cast<std::size_t>(element_count(s)) * sizeof(double)));
  copy_convert(padded, View{reinterpret_cast<std::byte*>(d), DType::Float64, s, c_strides(s, 8), nullptr});
  return Plane{d, s[0], s[1]};
}

SpeckleOptions speckle_options(const Arguments& a) {
  SpeckleOptions o;
  o.size = a.integer("size");
  if (a.has("looks")) o.looks = a.real("looks");
  if (a.has("damping")) o.damping = a.real("damping");
  o.boundary = a.boundary();
  return o;
}

void check_speckle(const char* name, const Image& input, const SpeckleOptions& o) {
  if (input.ndim() != 2)
    throw ValueError(std::string(name) + ": the input must be a 2-D single-band image, got shape " +
                     shape_to_string(input.shape()));
  const Operation& op = operation(name);
  check_argument(op, op.param("size"), o.size);
  for (const auto& p : op.params) {
    if (p.name == "looks") check_argument(op, p, o.looks);
    if (p.name == "damping" && o.damping) check_argument(op, p, *o.damping);
  }
}

double speckle_damping(const char* name, const SpeckleOptions& o) {
  return o.damping ? *o.damping : std::get<double>(operation(name).param("damping").default_value);
}

Image speckle_image(const char* name, const Image& input, const SpeckleOptions& o,
                    const std::function<Image(const SpeckleTerms&)>& formula) {
  const double cu2 = 1.0 / o.looks;
  return window_moments_image(
      input, {o.size, o.size}, o.boundary,
      [&](const Moments& m) {
        // The moments come from float64 sums (the variance needs them); the
        // formula runs in float32, the result's precision, at twice the SIMD
        // width. Python-style constants keep it float32.
        const SpeckleTerms t{m.centre.astype(DType::Float32), m.mean, m.variance, m.variance / (m.mean * m.mean), cu2};
        return where(m.mean == 0.0, m.mean, formula(t)).astype(DType::Float32);
      },
      name, DType::Float32);
}

}  // namespace tessera::detail
