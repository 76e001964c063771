// gaussian_filter: the Gaussian filter as scipy.ndimage defines it, a 1-D
// correlation per axis with scipy's kernel (truncated at truncate * sigma,
// normalised, times the polynomial of the order-th derivative), chained as
// correlate1d nodes with float64 between them. Geometry and scheduling are
// correlate1d's; this file is the kernel's weights and the parameters.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/filters/gaussian.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

// numpy's sum of a short float64 array (pairwise_sum below 128 elements:
// eight running sums, combined pairwise, then the rest in order), so that
// the normalised kernel is scipy's to the last bit wherever exp agrees.
double numpy_sum(const std::vector<double>& a) {
  const std::size_t n = a.size();
  if (n < 8) {
    double s = 0.0;  // numpy starts from -0.0; the same for these positive terms
    for (double x : a) s += x;
    return s;
  }
  double r[8];
  for (int j = 0; j < 8; ++j) r[j] = a[static_cast<std::size_t>(j)];
  std::size_t i = 8;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) r[j] += a[i + static_cast<std::size_t>(j)];
  double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; ++i) s += a[i];
  return s;
}

// scipy.ndimage's _gaussian_kernel1d(sigma, order, radius): phi(x) / sum phi
// for x in [-radius, radius], times q(x), the polynomial with
// d^order/dx^order phi = q phi (q' + q p' applied order times, p' = -x/sigma^2).
std::vector<double> gaussian_kernel(double sigma, std::int64_t order, std::int64_t radius) {
  const double sigma2 = sigma * sigma;
  const double c = -0.5 / sigma2;
  std::vector<double> phi;
  for (std::int64_t x = -radius; x <= radius; ++x) phi.push_back(std::exp(c * static_cast<double>(x * x)));
  const double total = numpy_sum(phi);
  for (double& v : phi) v /= total;
  if (order == 0) return phi;
  std::vector<double> q(static_cast<std::size_t>(order) + 1, 0.0);
  q[0] = 1.0;
  for (std::int64_t step = 0; step < order; ++step) {
    // (D + P) q: D q the derivative's coefficients, P q = q times -x / sigma^2.
    std::vector<double> next(q.size(), 0.0);
    for (std::size_t i = 0; i < q.size(); ++i) {
      if (i + 1 < q.size()) next[i] += static_cast<double>(i + 1) * q[i + 1];
      if (i > 0) next[i] += q[i - 1] / -sigma2;
    }
    q = next;
  }
  std::vector<double> out;
  for (std::int64_t x = -radius; x <= radius; ++x) {
    double poly = 0.0, power = 1.0;
    for (double coefficient : q) {
      poly += power * coefficient;
      power *= static_cast<double>(x);
    }
    out.push_back(poly * phi[static_cast<std::size_t>(x + radius)]);
  }
  return out;
}

// One value per axis from one value or one per axis.
template <typename T> std::vector<T> per_axis(const std::vector<T>& v, std::size_t nd, const char* name) {
  if (v.size() == nd) return v;
  if (v.size() == 1) return std::vector<T>(nd, v[0]);
  throw ValueError(std::string("gaussian_filter: ") + name + " must have one entry per axis (" + std::to_string(nd) +
                   ") or be a single number, got " + std::to_string(v.size()));
}

}  // namespace

Image gaussian_filter(const Image& input, const std::vector<double>& sigma, const std::vector<std::int64_t>& order,
                      const Boundary& boundary, double truncate, std::optional<DType> output) {
  const std::size_t nd = input.ndim();
  if (nd == 0) throw ValueError("gaussian_filter: the input must have at least one axis");
  const std::vector<double> sigmas = per_axis(sigma, nd, "sigma");
  const std::vector<std::int64_t> orders = per_axis(order, nd, "order");
  for (double s : sigmas)
    if (!(s >= 0) || !std::isfinite(s)) throw ValueError("gaussian_filter: sigma must be finite and >= 0");
  for (std::int64_t o : orders)
    if (o < 0) throw ValueError("gaussian_filter: order must be >= 0");
  if (!(truncate > 0) || !std::isfinite(truncate)) throw ValueError("gaussian_filter: truncate must be finite and > 0");
  const DType out = filter_result_dtype(input.dtype(), output);
  // Axes whose sigma is (nearly) zero are left alone, as scipy does.
  std::vector<std::size_t> axes;
  for (std::size_t k = 0; k < nd; ++k)
    if (sigmas[k] > 1e-15) axes.push_back(k);
  if (axes.empty()) return input.astype(out);
  Image result = input;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const std::size_t k = axes[i];
    const auto radius = static_cast<std::int64_t>(truncate * sigmas[k] + 0.5);
    std::vector<double> w = gaussian_kernel(sigmas[k], orders[k], radius);
    std::reverse(w.begin(), w.end());  // scipy convolves: correlate1d with the kernel reversed
    const bool last = i + 1 == axes.size();
    result = correlate1d(result, w, static_cast<std::int64_t>(k), boundary, 0, last ? out : DType::Float64);
  }
  return result;
}

ParamSpec detail::gaussian_sigma_param() {
  ParamSpec p = param::reals("sigma", std::nullopt, "the standard deviation of the Gaussian, one or one per axis");
  p.min = 0;
  return p;
}

ParamSpec detail::gaussian_truncate_param() {
  ParamSpec p = param::real("truncate", 4.0, "the kernel's radius in sigmas: radius = int(truncate * sigma + 0.5)");
  p.min = 0;
  p.min_open = true;
  return p;
}

namespace {

ParamSpec order_param() {
  ParamSpec p = param::ints("order", 0,
                            "0 for the Gaussian, 1, 2, ... for its derivatives along each axis (one or one per axis)");
  p.min = 0;
  return p;
}


const bool registered = register_operation({
    .name = "gaussian_filter",
    .summary = "The Gaussian filter (or its derivatives), as scipy.ndimage.gaussian_filter, in float64.",
    .doc = "N-D and separable: one 1-D correlation per axis with scipy's kernel, chained with float64 between the "
           "passes (scipy rounds to the output dtype after each axis) and summed in scipy's order of terms. Axes "
           "with sigma 0 are left alone. Float input keeps its precision; integer input gives float32 unless "
           "output says.",
    .params = param::join({{param::input(), detail::gaussian_sigma_param(), order_param(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::gaussian_truncate_param(), detail::axes_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      const Image& input = a.image("input");
      const auto axes = a.optional_ints("axes");
      const Shape order = detail::on_axes("gaussian_filter", a.ints("order"), axes, input.ndim(), 0);
      return {gaussian_filter(input, detail::on_axes("gaussian_filter", a.reals("sigma"), axes, input.ndim(), 0.0),
                              std::vector<std::int64_t>(order.begin(), order.end()), a.boundary(), a.real("truncate"),
                              a.dtype("output"))};
    },
});

}  // namespace

}  // namespace tessera
