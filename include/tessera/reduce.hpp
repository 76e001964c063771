// Reductions: sum, prod, min, max and mean over some axes or all of them, of
// any lazy image (files and pipelines included), streaming: memory is the
// output plus a few tiles, whatever the input's size.
//
// Deterministic for any thread count: every output element is accumulated
// in one fixed order (the reduced axes in C order), and a reduction over
// every axis combines per-tile partials in tile order over a tiling that
// does not depend on the thread count.
//
// Accumulation and result types follow numpy's result types, with wider
// accumulation: sum and prod of integers (and bool) accumulate in int64 or
// uint64, wrapping as numpy does; of floats in float64, rounded once to the
// input's float type. min and max keep the input's dtype (NaN propagates,
// as numpy's). mean is float64 for integers, else the input's float type,
// from a float64 sum.
#pragma once

#include <string_view>
#include <vector>

#include "tessera/image.hpp"

namespace tessera {

enum class Reduction { Sum, Prod, Min, Max, Mean };
// "sum", "prod", "min", "max", "mean"; ValueError for anything else.
Reduction parse_reduction(std::string_view name);
std::string_view reduction_name(Reduction r);
// The result's dtype for an input of `dtype`.
DType reduction_dtype(Reduction r, DType dtype);

// The reduction over `axes` (negative: from the end; ValueError naming an
// axis out of range or repeated), as a lazy image of the other axes. At
// least one axis must remain: reduce_all reduces every axis.
Image reduce(const Image& image, Reduction r, std::vector<int> axes);

// The reduction over every axis: a 0-d buffer of reduction_dtype.
// ValueError for min/max of an empty image (no identity, as numpy says).
Buffer reduce_all(const Image& image, Reduction r, int threads = 0);

// The k-th smallest element (0-based; NaN above every number) of a real
// image, as a double: the element sorted(image.ravel())[k], exactly,
// streaming in bounded memory (four passes of a 16-bit radix histogram over
// the values' order-preserving 64-bit keys). ValueError if k is outside.
double kth_smallest(const Image& image, std::int64_t k, int threads = 0);

}  // namespace tessera
