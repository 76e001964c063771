// The Gaussian filters' shared parameters (gaussian_filter, gaussian_filter1d,
// gaussian_laplace, gaussian_gradient_magnitude), defined in gaussian_filter.cpp.
#pragma once

#include "tessera/operation.hpp"

namespace tessera::detail {

ParamSpec gaussian_sigma_param();
ParamSpec gaussian_truncate_param();

}  // namespace tessera::detail
