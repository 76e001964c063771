// rank_filter: the rank-th value of a window, as scipy.ndimage.rank_filter;
// the machinery percentile_filter, median_filter and the footprinted
// minimum/maximum_filter share (ops/filters/rank.hpp). Geometry in the node
// (the footprint's box around each element, scipy's origin 0); per tile,
// generate() runs one of two kernels:
//  - a sliding histogram (Huang 1979) for 8- and 16-bit integers over a full
//    box spanning at most two axes: along each output row, the window moves
//    one column at a time (its height's values leave and enter), and the
//    answer bin is tracked from the last one, skipping empty 256-bin blocks
//    (a coarse level, as Perreault and Hebert's), so a 15x15 median costs
//    about 30 histogram updates per element instead of a 225-value select;
//    floats (boxes of 25 or more) the same over the top 16 bits of their
//    order-preserving bits, then the rank selected among the window's few
//    values in the answer bin (a compare per window value, not a select);
//  - otherwise the footprint's values gathered and the rank selected
//    (nth_element), for any dtype, footprint and rank of dimensions.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ops/filters/rank.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {
namespace detail {

std::int64_t Footprint::count() const {
  std::int64_t n = 0;
  for (auto v : on) n += v;
  return n;
}

bool Footprint::full() const {
  return std::all_of(on.begin(), on.end(), [](std::uint8_t v) { return v != 0; });
}

ParamSpec optional_sizes() {
  ParamSpec p = param::sizes("the window: an int, or one per axis (0 or 1 leaves an axis alone; ignored with a "
                             "footprint)");
  p.required = false;
  p.default_value = std::monostate{};
  return p;
}

Shape size_argument(const Arguments& a) {
  if (const auto* s = std::get_if<Shape>(&a.value("size"))) return *s;
  return {};
}

Footprint window_footprint(const char* op, std::size_t ndim, const Shape& size, const std::optional<Image>& footprint,
                           const std::optional<Shape>& axes) {
  if (axes) {
    const std::vector<std::size_t> ax = checked_axes(op, *axes, ndim);
    if (footprint) {
      if (!std::is_sorted(ax.begin(), ax.end()))
        throw ValueError(std::string(op) + ": with a footprint, list the axes in increasing order");
      Footprint f = window_footprint(op, ax.size(), size, footprint);
      Shape shape(ndim, 1);
      for (std::size_t k = 0; k < ax.size(); ++k) shape[ax[k]] = f.shape[k];
      f.shape = shape;  // the same elements in C order: the new axes have extent 1
      return f;
    }
    if (size.empty()) throw ValueError(std::string(op) + ": give a size or a footprint");
    return window_footprint(op, ndim, on_axes(op, size, axes, ndim, 1), std::nullopt);
  }
  Footprint f;
  if (!footprint) {
    if (size.empty()) throw ValueError(std::string(op) + ": give a size or a footprint");
    f.shape = window_sizes(size, ndim, op);
    f.on.assign(static_cast<std::size_t>(element_count(f.shape)), 1);
    return f;
  }
  const Image& fp = *footprint;
  if (fp.ndim() != ndim)
    throw ValueError(std::string(op) + ": footprint has " + std::to_string(fp.ndim()) + " dimension" +
                     (fp.ndim() == 1 ? "" : "s") + ", the input " + std::to_string(ndim) +
                     "; it must have the input's rank");
  for (auto s : fp.shape())
    if (s > kMaxWindow)
      throw ValueError(std::string(op) + ": footprint " + shape_to_string(fp.shape()) + " is larger than " +
                       std::to_string(kMaxWindow) + " on an axis");
  const Buffer b = fp.astype(DType::Float64).compute();
  const double* v = b.data_as<double>();
  f.shape = fp.shape();
  f.on.resize(static_cast<std::size_t>(element_count(f.shape)));
  for (std::size_t k = 0; k < f.on.size(); ++k) {
    if (v[k] != 0.0 && v[k] != 1.0)
      throw ValueError(std::string(op) + ": footprint must be boolean (or hold only 0 and 1), found " +
                       std::to_string(v[k]));
    f.on[k] = v[k] != 0.0;
  }
  if (f.count() == 0) throw ValueError(std::string(op) + ": footprint selects no element");
  return f;
}

std::int64_t checked_rank(const char* op, std::int64_t rank, std::int64_t count) {
  const std::int64_t r = rank < 0 ? rank + count : rank;
  if (r < 0 || r >= count)
    throw ValueError(std::string(op) + ": rank " + std::to_string(rank) + " is outside the window of " +
                     std::to_string(count) + " elements (from " + std::to_string(-count) + " to " +
                     std::to_string(count - 1) + ")");
  return r;
}

std::int64_t percentile_rank(const char* op, double percentile, std::int64_t count) {
  if (!std::isfinite(percentile) || percentile < -100.0 || percentile > 100.0)
    throw ValueError(std::string(op) + ": percentile must be between -100 and 100, got " + std::to_string(percentile));
  double p = percentile < 0.0 ? percentile + 100.0 : percentile;
  // scipy's rule: int(size * p / 100), the last element for 100.
  if (p == 100.0) return count - 1;
  return static_cast<std::int64_t>(static_cast<double>(count) * p / 100.0);
}

namespace {

// NaN sorts above every number, as in numpy.sort.
template <typename V> bool rank_less(V a, V b) {
  if constexpr (std::is_floating_point_v<V>) return (a < b) || (b != b && a == a);
  else return a < b;
}

// The histogram bin of an 8- or 16-bit value, and back.
template <typename T> constexpr int bin_offset() {
  if constexpr (std::is_floating_point_v<T>) return 0;
  else return std::is_signed_v<T> ? (1 << (8 * sizeof(T) - 1)) : 0;
}

// A float's bin: the top 16 bits of its bits made order-preserving (negative
// numbers' bits inverted, positive numbers' sign bit set), every NaN in the
// last bin, above +inf, as rank_less sorts them.
template <typename T> inline int float_bin(T v) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  constexpr int kShift = 8 * sizeof(T) - 16;
  if (v != v) return 0xFFFF;
  U u;
  std::memcpy(&u, &v, sizeof u);
  constexpr U kSign = U{1} << (8 * sizeof(T) - 1);
  u = (u & kSign) ? ~u : (u | kSign);
  return static_cast<int>(u >> kShift);
}

// Windows of at least this many elements take the sliding histogram for
// floats (below it, selecting from the few values is as fast).
constexpr std::int64_t kFloatHistogramMin = 25;

class RankFilterNode final : public Node {
 public:
  RankFilterNode(const Image& input, Footprint footprint, std::int64_t rank, Boundary boundary, std::string op)
      : Node(input.shape(), input.dtype(), {input}),
        footprint_(std::move(footprint)),
        rank_(rank),
        boundary_(boundary),
        op_(std::move(op)) {
    for (std::size_t a = 0; a < footprint_.shape.size(); ++a)
      if (footprint_.shape[a] > 1) window_axes_.push_back(a);
  }

  std::string name() const override { return op_; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    return window_input_region(out, footprint_.shape, footprint_.origin);
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    dispatch(dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool> && std::is_integral_v<T> && sizeof(T) <= 2) {
        if (footprint_.full() && window_axes_.size() <= 2 && region.ndim() >= 1) {
          histogram<T>(region, inputs[0], out, workspace);
          return;
        }
      }
      if constexpr (std::is_floating_point_v<T>) {
        if (footprint_.full() && window_axes_.size() <= 2 && region.ndim() >= 1 &&
            footprint_.count() >= kFloatHistogramMin) {
          histogram<T>(region, inputs[0], out, workspace);
          return;
        }
      }
      select<T>(region, inputs[0], out);
    });
  }

 private:
  // Calls f(in, out) with the byte offsets of every element of `region` but
  // along `skip` axes (which f walks itself), in C order.
  template <typename F>
  static void for_each_line(const Region& region, const View& in, const View& out, const std::vector<std::size_t>& skip,
                            F&& f) {
    const std::size_t nd = region.ndim();
    std::vector<std::size_t> axes;
    for (std::size_t a = 0; a < nd; ++a)
      if (std::find(skip.begin(), skip.end(), a) == skip.end()) axes.push_back(a);
    Shape idx(axes.size(), 0);
    while (true) {
      std::int64_t io = 0, oo = 0;
      for (std::size_t k = 0; k < axes.size(); ++k) io += idx[k] * in.strides[axes[k]], oo += idx[k] * out.strides[axes[k]];
      f(in.data + io, out.data + oo);
      std::size_t k = axes.size();
      while (k > 0) {
        --k;
        if (++idx[k] < region.size[axes[k]]) break;
        idx[k] = 0;
        if (k == 0) return;
      }
      if (axes.empty()) return;
    }
  }

  template <typename T>
  void select(const Region& region, const View& in, const View& out) const {
    using V = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;  // not vector<bool>
    const std::size_t nd = region.ndim();
    // The footprint's elements as byte offsets into the padded input.
    std::vector<std::int64_t> offsets;
    Shape w(nd, 0);
    for (std::size_t k = 0; k < footprint_.on.size(); ++k) {
      if (footprint_.on[k]) {
        std::int64_t off = 0;
        for (std::size_t a = 0; a < nd; ++a) off += w[a] * in.strides[a];
        offsets.push_back(off);
      }
      for (std::size_t a = nd; a-- > 0;) {
        if (++w[a] < footprint_.shape[a]) break;
        w[a] = 0;
      }
    }
    std::vector<V> values(offsets.size());
    const auto rank = static_cast<std::ptrdiff_t>(rank_);
    const std::size_t last = nd - 1;
    const std::int64_t n = region.size[last], is = in.strides[last], os = out.strides[last];
    for_each_line(region, in, out, {last}, [&](const std::byte* ip, std::byte* op) {
      for (std::int64_t j = 0; j < n; ++j) {
        const std::byte* p = ip + j * is;
        for (std::size_t k = 0; k < offsets.size(); ++k)
          values[k] = static_cast<V>(*reinterpret_cast<const T*>(p + offsets[k]));
        std::nth_element(values.begin(), values.begin() + rank, values.end(), rank_less<V>);
        *reinterpret_cast<T*>(op + j * os) = static_cast<T>(values[static_cast<std::size_t>(rank)]);
      }
    });
  }

  // The sliding histogram. 8- and 16-bit integers: a bin per value, the
  // answer is its bin. Floats: a bin per top 16 bits of the order-preserving
  // bits (float_bin); the answer bin tells how many values lie below it, and
  // the window's values in that bin (few, unless the data sit in one bin)
  // are gathered and the rest of the rank selected among them.
  template <typename T>
  void histogram(const Region& region, const View& in, const View& out, Workspace& workspace) const {
    constexpr bool kFloat = std::is_floating_point_v<T>;
    constexpr int kBins = kFloat ? 1 << 16 : 1 << (8 * sizeof(T));
    constexpr int kBlock = kBins == 256 ? 16 : 256;  // the coarse level's bins
    constexpr int kOffset = bin_offset<T>();
    const std::size_t nd = region.ndim();
    // The window's row axis (p) and column axis (q); a 1-D window is one row.
    const std::size_t q = window_axes_.empty() ? nd - 1 : window_axes_.back();
    const std::size_t p = window_axes_.size() == 2 ? window_axes_[0] : q;
    const bool two = p != q;
    const std::int64_t wh = two ? footprint_.shape[p] : 1, ww = footprint_.shape[q];
    const std::int64_t rows = two ? region.size[p] : 1, cols = region.size[q];
    const std::int64_t isp = two ? in.strides[p] : 0, isq = in.strides[q];
    const std::int64_t osp = two ? out.strides[p] : 0, osq = out.strides[q];
    auto* hist = static_cast<std::int32_t*>(workspace.get(30, sizeof(std::int32_t) * kBins));
    auto* coarse = static_cast<std::int32_t*>(workspace.get(31, sizeof(std::int32_t) * (kBins / kBlock)));
    std::memset(hist, 0, sizeof(std::int32_t) * kBins);
    std::memset(coarse, 0, sizeof(std::int32_t) * (kBins / kBlock));
    const std::int64_t rank = rank_;
    std::vector<std::size_t> skip{q};
    if (two) skip.insert(skip.begin(), p);
    std::vector<T> in_bin;  // floats: the answer bin's values
    if constexpr (kFloat) in_bin.reserve(static_cast<std::size_t>(wh * ww));
    // Floats: each padded plane's bins computed once (a window reads each
    // value wh * ww times when gathering).
    const std::int64_t key_cols = cols + ww - 1, key_rows = rows + wh - 1;
    auto* keys = kFloat ? static_cast<std::uint16_t*>(
                              workspace.get(32, sizeof(std::uint16_t) * static_cast<std::size_t>(key_rows * key_cols)))
                        : nullptr;
    for_each_line(region, in, out, skip, [&](const std::byte* ip, std::byte* op) {
      if constexpr (kFloat)
        for (std::int64_t r = 0; r < key_rows; ++r)
          for (std::int64_t c = 0; c < key_cols; ++c)
            keys[r * key_cols + c] = static_cast<std::uint16_t>(float_bin(*reinterpret_cast<const T*>(ip + r * isp + c * isq)));
      for (std::int64_t y = 0; y < rows; ++y) {
        const std::byte* top = ip + y * isp;
        auto value = [&](std::int64_t r, std::int64_t c) { return *reinterpret_cast<const T*>(top + r * isp + c * isq); };
        auto bin = [&](std::int64_t r, std::int64_t c) {
          if constexpr (kFloat) return static_cast<int>(keys[(y + r) * key_cols + c]);
          else return static_cast<int>(value(r, c)) + kOffset;
        };
        // The window at the row's first column; the answer from the bottom.
        for (std::int64_t r = 0; r < wh; ++r)
          for (std::int64_t c = 0; c < ww; ++c) {
            const int b = bin(r, c);
            ++hist[b];
            ++coarse[b / kBlock];
          }
        int m = 0;              // the answer bin
        std::int64_t below = 0;  // elements in bins < m
        for (std::int64_t x = 0;; ++x) {
          // Move m to the smallest bin whose cumulative count exceeds rank.
          while (below > rank) {
            if (m % kBlock == 0 && m > 0 && below - coarse[m / kBlock - 1] > rank) {
              below -= coarse[m / kBlock - 1];
              m -= kBlock;
            } else {
              --m;
              below -= hist[m];
            }
          }
          while (below + hist[m] <= rank) {
            if (m % kBlock == 0 && below + coarse[m / kBlock] <= rank) {
              below += coarse[m / kBlock];
              m += kBlock;
            } else {
              below += hist[m];
              ++m;
            }
          }
          if constexpr (kFloat) {
            // The values of the answer bin, in the window at column x.
            in_bin.clear();
            for (std::int64_t r = 0; r < wh; ++r) {
              const std::uint16_t* k = keys + (y + r) * key_cols;
              for (std::int64_t c = x; c < x + ww; ++c)
                if (k[c] == m) in_bin.push_back(value(r, c));
            }
            const auto nth = in_bin.begin() + (rank - below);
            std::nth_element(in_bin.begin(), nth, in_bin.end(), rank_less<T>);
            *reinterpret_cast<T*>(op + y * osp + x * osq) = *nth;
          } else {
            *reinterpret_cast<T*>(op + y * osp + x * osq) = static_cast<T>(m - kOffset);
          }
          if (x + 1 == cols) break;
          // Slide one column: column x leaves, column x + ww enters.
          for (std::int64_t r = 0; r < wh; ++r) {
            const int gone = bin(r, x), come = bin(r, x + ww);
            --hist[gone];
            --coarse[gone / kBlock];
            below -= gone < m;
            ++hist[come];
            ++coarse[come / kBlock];
            below += come < m;
          }
        }
        // Empty the histogram for the next row (the window's last place).
        for (std::int64_t r = 0; r < wh; ++r)
          for (std::int64_t c = cols - 1; c < cols - 1 + ww; ++c) {
            const int b = bin(r, c);
            --hist[b];
            --coarse[b / kBlock];
          }
      }
    });
  }

  Footprint footprint_;
  std::int64_t rank_;
  Boundary boundary_;
  std::string op_;
  std::vector<std::size_t> window_axes_;
};

}  // namespace

Image rank_filter(const Image& input, const Footprint& footprint, std::int64_t rank, const Boundary& boundary,
                  const char* op) {
  if (input.ndim() == 0) throw ValueError(std::string(op) + ": the input must have at least one axis");
  const std::int64_t r = checked_rank(op, rank, footprint.count());
  // A constant the dtype cannot hold (cval 3.5 around uint8) is compared in
  // float64, as scipy does; the result keeps the input's dtype.
  const Image in = is_bool(input.dtype()) ? input : filter_input(input, boundary);
  const Image result(std::make_shared<RankFilterNode>(in, footprint, r, boundary, op));
  return in.dtype() == input.dtype() ? result : result.astype(input.dtype());
}

Footprint window_footprint_call(const Arguments& a, const char* op) {
  const Image& input = a.image("input");
  const auto axes = a.optional_ints("axes");
  Footprint f = window_footprint(op, input.ndim(), size_argument(a), a.optional_image("footprint"), axes);
  f.origin = origins_of(op, on_axes(op, a.ints("origin"), axes, input.ndim(), 0), f.shape);
  return f;
}

Image rank_filter_call(const Arguments& a, const char* op,
                       const std::function<std::int64_t(std::int64_t count)>& rank_of) {
  const Image& input = a.image("input");
  const Footprint f = window_footprint_call(a, op);
  return in_output_dtype(rank_filter(input, f, rank_of(f.count()), a.boundary(), op), a.dtype("output"));
}

}  // namespace detail

Image rank_filter(const Image& input, std::int64_t rank, const Shape& size, const std::optional<Image>& footprint,
                  const Boundary& boundary) {
  const detail::Footprint f = detail::window_footprint("rank_filter", input.ndim(), size, footprint);
  return detail::rank_filter(input, f, rank, boundary, "rank_filter");
}

namespace {
ParamSpec rank_param() {
  ParamSpec p = param::integer("rank", 0, "the rank, from 0 (negative: from the end)");
  p.required = true;
  return p;
}

const bool registered = register_operation({
    .name = "rank_filter",
    .summary = "The rank-th smallest value over a window, as scipy.ndimage.rank_filter, in the input's dtype.",
    .doc = "rank counts from 0 (negative: from the largest). Any size or boolean footprint; NaN sorts above every "
           "number. 8- and 16-bit integers over a box on at most two axes: a sliding histogram (a cost per "
           "element that grows with the window's height, not its area); floats over such a box of 25 or more: "
           "the histogram of their top 16 bits, then a select within one bin; otherwise the window's values "
           "selected.",
    .params = param::join({{param::input(), rank_param(), detail::optional_sizes(), param::footprint(),
                            param::output_dtype("the result's dtype (default: the input's)")},
                           param::boundary(),
                           {detail::origin_param(), detail::axes_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {detail::rank_filter_call(a, "rank_filter", [&](std::int64_t) { return a.integer("rank"); })};
    },
});
}  // namespace

}  // namespace tessera
