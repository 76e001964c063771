#pragma once

#include "tessera/view.hpp"

namespace tessera::detail {

// Copies src into dst (same shape, any strides and dtypes), converting by
// tessera's rule.
void copy_convert(const View& src, const View& dst);

// True when the memory spans of two views overlap.
bool views_overlap(const View& a, const View& b);

}  // namespace tessera::detail
