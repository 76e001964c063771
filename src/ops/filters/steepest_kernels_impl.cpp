// steepest_neighbor's row kernel.
// Compiled once per ISA (TESSERA_ISA names it), as every *kernels_impl.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/simd.hpp"
#include "ops/filters/filter_kernel_families.hpp"

namespace tessera::detail {
namespace {

// steepest_neighbor, one output row per call, every neighbour row read once.
// Within a distance class c is fixed, so the largest c - n is the smallest n:
// each class keeps its first smallest value (in increasing k), a comparison
// exact in the input's own dtype (NaN, and outside neighbours padded as NaN,
// are never smaller: not candidates). Then each class's quotient
// (c - class minimum) / distance in float64, divided as the rule does (the
// difference of two float32 values is exact there); the largest quotient,
// the smaller k on equal ones; the centre where c is NaN or every neighbour
// is greater. The neighbour loop is unrolled at compile time (the class of
// each k is a constant), so the row loop vectorises with the three running
// minima in registers.
template <int ND>
struct SteepestLayout {
  static constexpr int count = ND == 2 ? 9 : 27;
  static constexpr int centre = count / 2;
  static constexpr int distance_class(int k) {
    int squares = 0;
    for (int a = 0; a < ND; ++a, k /= 3) squares += (k % 3 - 1) * (k % 3 - 1);
    return squares - 1;
  }
};

template <typename T, int ND>
void steepest_row_nd(const T* const* rows_in, std::int64_t cols, std::uint8_t* __restrict labels) {
  using L = SteepestLayout<ND>;
  using Label = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;  // lanes as wide as T
  const T* rows[L::count];
  for (int k = 0; k < L::count; ++k) rows[k] = rows_in[k];
  const T* __restrict c = rows[L::centre];
  constexpr double distance[3] = {1.0, 1.4142135623730951, 1.7320508075688772};
  constexpr T inf = std::numeric_limits<T>::infinity();
  for (std::int64_t j = 0; j < cols; ++j) {
    T best[ND] = {};
    Label label_of[ND] = {};
    for (int cl = 0; cl < ND; ++cl) {
      best[cl] = inf;
      label_of[cl] = L::centre;
    }
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            constexpr int k = static_cast<int>(K);
            if constexpr (k != L::centre) {
              constexpr int cl = L::distance_class(k);
              const T v = rows[k][j];
              const bool smaller = v < best[cl];
              best[cl] = smaller ? v : best[cl];
              label_of[cl] = smaller ? Label{k} : label_of[cl];
            }
          }(),
          ...);
    }(std::make_index_sequence<L::count>{});
    const double cv = static_cast<double>(c[j]);
    double q = cv - static_cast<double>(best[0]);  // distance 1
    Label label = label_of[0];
    T lowest = best[0];
    for (int cl = 1; cl < ND; ++cl) {
      const double qc = (cv - static_cast<double>(best[cl])) / distance[cl];
      const bool take = (qc > q) | ((qc == q) & (label_of[cl] < label));
      q = take ? qc : q;
      label = take ? label_of[cl] : label;
      lowest = best[cl] < lowest ? best[cl] : lowest;
    }
    const bool centre_wins = (cv != cv) | (lowest > c[j]);
    labels[j] = static_cast<std::uint8_t>(centre_wins ? Label{L::centre} : label);
  }
}

template <typename T>
void steepest_row(const void* const* rows, int ndim, std::int64_t cols, std::uint8_t* labels) {
  const auto* r = reinterpret_cast<const T* const*>(rows);
  if (ndim == 2) steepest_row_nd<T, 2>(r, cols, labels);
  else steepest_row_nd<T, 3>(r, cols, labels);
}

}  // namespace

void TESSERA_ISA_TABLE(add_steepest_kernels)(FilterKernels& t) {
  t.steepest_row[0] = &steepest_row<float>;
  t.steepest_row[1] = &steepest_row<double>;
}

}  // namespace tessera::detail
