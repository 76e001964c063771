// Neighbourhood filters and SAR speckle filters. Each returns a lazy image:
// an engine node with a halo, computed tile by tile, chained with anything.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/image.hpp"

namespace tessera {

// The mean over a window of `size` (one entry per axis, 1 leaves an axis
// alone; a single entry applies to every axis), as scipy.ndimage's
// uniform_filter, computed in float64. Result dtype: `out`, else float64 for
// float64 input and float32 otherwise. `origin` (one, or one per axis; empty
// for 0) shifts the window as scipy's origin does.
Image uniform_filter(const Image& input, const Shape& size, const Boundary& boundary = {},
                     std::optional<DType> out = std::nullopt, const Shape& origin = {});

// The window mean and population standard deviation sqrt(E[x^2] - E[x]^2)
// (clamped at 0), from float64 window sums; both as `out` (default as above).
std::pair<Image, Image> local_mean_std(const Image& input, const Shape& size, const Boundary& boundary = {},
                                       std::optional<DType> out = std::nullopt);

// Speckle filters on 2-D single-band images; float32 results. `size` is the
// odd window side; see README for the formulas and the zero-mean rule.
struct SpeckleOptions {
  std::int64_t size = 7;
  double looks = 1.0;
  // None: the filter's own default (enhanced Lee 1, Frost 2; see their
  // registered documentation, `tessera ops`).
  std::optional<double> damping;
  Boundary boundary;
};
Image lee_filter(const Image& input, const SpeckleOptions& options = {});
Image kuan_filter(const Image& input, const SpeckleOptions& options = {});
Image enhanced_lee_filter(const Image& input, const SpeckleOptions& options = {});
Image frost_filter(const Image& input, const SpeckleOptions& options = {});
Image gamma_map_filter(const Image& input, const SpeckleOptions& options = {});

// ESA SNAP's speckle filters (src/ops/speckle): Refined Lee (Lee 1981; looks
// 0 estimates the noise per pixel, as SNAP does), the improved Lee Sigma
// (Lee et al. 2009), IDAN (Vasile et al. 2006) and boxcar. float32 results.
Image refined_lee_filter(const Image& input, double looks = 0, const Boundary& boundary = {});
struct LeeSigmaOptions {
  std::int64_t size = 7, target = 3;  // the window and the point-target window
  int looks = 1;                      // 1 to 4
  double sigma = 0.9;                 // 0.5, 0.6, 0.7, 0.8 or 0.9
  std::optional<double> z98;          // none: the image's 98th percentile
  bool amplitude = false;             // the amplitude table (else intensity)
  Boundary boundary;
};
Image lee_sigma_filter(const Image& input, const LeeSigmaOptions& options = {});
Image idan_filter(const Image& input, int looks = 1, std::int64_t size = 50, bool amplitude = false,
                  const Boundary& boundary = {});

// N-D correlation and convolution with any weights (an image of the input's
// rank), as scipy.ndimage's, in float64 (float64 results are its bits);
// origin: one or one per axis.
Image correlate(const Image& input, const Image& weights, const Shape& origin = {0}, const Boundary& boundary = {},
                std::optional<DType> out = std::nullopt);
Image convolve(const Image& input, const Image& weights, const Shape& origin = {0}, const Boundary& boundary = {},
               std::optional<DType> out = std::nullopt);

// A 1-D correlation along `axis` (negative: from the end), as
// scipy.ndimage's correlate1d: out[i] = sum_j w[j] in[i + j - size/2 - origin],
// in float64 with scipy's order of terms. Result dtype: `out`, else float64
// for float64 input and float32 otherwise.
Image correlate1d(const Image& input, const std::vector<double>& weights, std::int64_t axis = -1,
                  const Boundary& boundary = {}, std::int64_t origin = 0, std::optional<DType> out = std::nullopt);

// The Gaussian filter or its derivatives (order per axis), as
// scipy.ndimage.gaussian_filter: one 1-D correlation per axis whose sigma is
// not 0, float64 between the passes. `sigma` and `order`: one value or one
// per axis.
Image gaussian_filter(const Image& input, const std::vector<double>& sigma, const std::vector<std::int64_t>& order = {0},
                      const Boundary& boundary = {}, double truncate = 4.0, std::optional<DType> out = std::nullopt);

// scipy.ndimage's derivative filters (src/ops/derivatives): float results
// are scipy's bits; integer input gives float32 unless `out` says.
Image sobel(const Image& input, std::int64_t axis = -1, const Boundary& boundary = {},
            std::optional<DType> out = std::nullopt);
Image prewitt(const Image& input, std::int64_t axis = -1, const Boundary& boundary = {},
              std::optional<DType> out = std::nullopt);
Image laplace(const Image& input, const Boundary& boundary = {}, std::optional<DType> out = std::nullopt);
Image gaussian_laplace(const Image& input, const std::vector<double>& sigma, const Boundary& boundary = {},
                       double truncate = 4.0, std::optional<DType> out = std::nullopt);
Image gaussian_gradient_magnitude(const Image& input, const std::vector<double>& sigma, const Boundary& boundary = {},
                                  double truncate = 4.0, std::optional<DType> out = std::nullopt);

// The maximum / minimum over a window of `size` (one entry per axis or one
// for all), as scipy.ndimage's maximum_filter / minimum_filter, in the
// input's dtype; a NaN in the window gives NaN. `origin` as uniform_filter's.
Image maximum_filter(const Image& input, const Shape& size, const Boundary& boundary = {}, const Shape& origin = {});
Image minimum_filter(const Image& input, const Shape& size, const Boundary& boundary = {}, const Shape& origin = {});

// Rank filters, as scipy.ndimage's, in the input's dtype (NaN sorts above
// every number): the window is `footprint` (a boolean array of the input's
// rank) when given, else the box of `size`. median: the rank count // 2 (the
// upper middle); percentile in [-100, 100]; rank from 0 (negative: from
// the end).
Image median_filter(const Image& input, const Shape& size, const Boundary& boundary = {},
                    const std::optional<Image>& footprint = std::nullopt);
Image rank_filter(const Image& input, std::int64_t rank, const Shape& size,
                  const std::optional<Image>& footprint = std::nullopt, const Boundary& boundary = {});
Image percentile_filter(const Image& input, double percentile, const Shape& size,
                        const std::optional<Image>& footprint = std::nullopt, const Boundary& boundary = {});

// The 004 seed's rule: for each element of a 2-D or 3-D array, the label
// (C-order index in its 3x3 or 3x3x3 window; centre 4 or 13) of the first
// neighbour maximising (c - n) / distance, or the centre when every neighbour
// is strictly greater. NaN elements get the centre; NaN neighbours, and with
// edges "ignore" neighbours outside the array, are never candidates. With
// edges "zero", elements on the border get 0, as the seed's code leaves them.
Image steepest_neighbor(const Image& input, const std::string& edges = "ignore");

}  // namespace tessera
