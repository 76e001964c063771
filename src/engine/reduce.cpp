// Reductions (tessera/reduce.hpp). One accumulation kernel serves both
// forms: it folds a view into an accumulator view that has the view's shape
// with zero strides on the reduced axes.
//  - reduce(): a lazy node of the kept axes. Each output tile pulls its
//    input slab a chunk at a time (the engine would otherwise gather the
//    whole slab first) and folds the chunks in C order into an accumulator
//    (float64 or 64-bit integers for sums and products, the input's type for
//    min and max).
//  - reduce_all(): the input's tiles, planned as for 16 threads whatever
//    the count and cut into chunks (so the partials are the same), each
//    chunk folded to one partial on the pool's workers; partials combined
//    in chunk order.
// Along a reduced last axis, elements are folded in 8 lanes per segment of
// kSegment starting at absolute multiples of it, so the order of additions
// never depends on how the work was cut.
#include "tessera/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/thread_pool.hpp"
#include "engine/copy.hpp"
#include "engine/scheduler.hpp"
#include "engine/tile_context.hpp"
#include "tessera/interrupt.hpp"

namespace tessera {

namespace {

constexpr std::int64_t kSegment = 4096;
constexpr std::int64_t kChunkElements = 1 << 17;
constexpr int kPlanThreads = 16;  // reduce_all's tiling, whatever the thread count
constexpr int kLanes = 8;

// The accumulator's C++ type for an input of type T.
template <Reduction R, typename T> struct Acc {
  using type = std::conditional_t<
      R == Reduction::Min || R == Reduction::Max, T,
      std::conditional_t<std::is_floating_point_v<T>, double,
                         std::conditional_t<std::is_unsigned_v<T> && !std::is_same_v<T, bool>, std::uint64_t,
                                            std::int64_t>>>;
};

template <Reduction R, typename A> constexpr A identity() {
  if constexpr (R == Reduction::Prod) return A(1);
  else if constexpr (R == Reduction::Min)
    return std::is_floating_point_v<A> ? std::numeric_limits<A>::infinity() : std::numeric_limits<A>::max();
  else if constexpr (R == Reduction::Max)
    return std::is_floating_point_v<A> ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::lowest();
  else return A(0);
}

// a (op) x; integers wrap as numpy's (through unsigned arithmetic), NaN
// propagates through min and max.
template <Reduction R, typename A> inline A combine(A a, A x) {
  if constexpr (std::is_same_v<A, bool>) {
    return R == Reduction::Min ? (a && x) : (a || x);  // only min and max accumulate bools
  } else if constexpr (R == Reduction::Min || R == Reduction::Max) {
    if constexpr (std::is_floating_point_v<A>) {
      // Once a is NaN no comparison takes x unless x is NaN too: NaN stays.
      // (A select, without branches: the loops vectorise.)
      const bool take = R == Reduction::Min ? (x < a || x != x) : (x > a || x != x);
      return take ? x : a;
    } else {
      return R == Reduction::Min ? (x < a ? x : a) : (x > a ? x : a);
    }
  } else if constexpr (std::is_floating_point_v<A>) {
    return R == Reduction::Prod ? a * x : a + x;
  } else {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(R == Reduction::Prod ? static_cast<U>(a) * static_cast<U>(x)
                                               : static_cast<U>(a) + static_cast<U>(x));
  }
}

// Folds x (type T, shape s) into acc (type A, the same shape with zero
// strides on reduced axes). `col0` is x's first column's absolute position
// along the last axis (for the lanes' segments).
template <Reduction R, typename T, typename A>
void fold(const View& x, const View& acc, std::int64_t col0) {
  const std::size_t nd = x.shape.size();
  if (x.count() == 0) return;
  const std::int64_t n = nd ? x.shape[nd - 1] : 1;
  const std::int64_t xs = nd ? x.strides[nd - 1] : 0, as = nd ? acc.strides[nd - 1] : 0;
  Shape index(nd ? nd - 1 : 0, 0);
  const std::byte* xp = x.data;
  std::byte* ap = acc.data;
  while (true) {
    if (as == 0) {
      // A reduced last axis: lanes per absolute segment, folded in order.
      A& out = *reinterpret_cast<A*>(ap);
      std::int64_t i = 0;
      while (i < n) {
        const std::int64_t seg_end = std::min(n, ((col0 + i) / kSegment + 1) * kSegment - col0);
        A lanes[kLanes];
        for (A& l : lanes) l = identity<R, A>();
        // Element j goes to lane (j - i) % kLanes, whatever the layout.
        std::int64_t j = i;
        if (xs == static_cast<std::int64_t>(sizeof(T))) {
          const T* p = reinterpret_cast<const T*>(xp);
          for (; j + kLanes <= seg_end; j += kLanes)
            for (int l = 0; l < kLanes; ++l) lanes[l] = combine<R, A>(lanes[l], static_cast<A>(p[j + l]));
        }
        for (; j < seg_end; ++j)
          lanes[(j - i) % kLanes] =
              combine<R, A>(lanes[(j - i) % kLanes], static_cast<A>(*reinterpret_cast<const T*>(xp + j * xs)));
        for (const A& l : lanes) out = combine<R, A>(out, l);
        i = seg_end;
      }
    } else if (xs == static_cast<std::int64_t>(sizeof(T)) && as == static_cast<std::int64_t>(sizeof(A))) {
      const T* p = reinterpret_cast<const T*>(xp);
      A* q = reinterpret_cast<A*>(ap);
      for (std::int64_t j = 0; j < n; ++j) q[j] = combine<R, A>(q[j], static_cast<A>(p[j]));
    } else {
      for (std::int64_t j = 0; j < n; ++j) {
        A& q = *reinterpret_cast<A*>(ap + j * as);
        q = combine<R, A>(q, static_cast<A>(*reinterpret_cast<const T*>(xp + j * xs)));
      }
    }
    // The next row: an odometer over the leading axes.
    std::size_t a = index.size();
    while (a > 0) {
      --a;
      xp += x.strides[a];
      ap += acc.strides[a];
      if (++index[a] < x.shape[a]) break;
      xp -= x.strides[a] * x.shape[a];
      ap -= acc.strides[a] * x.shape[a];
      index[a] = 0;
      if (a == 0) return;
    }
    if (index.empty()) return;
  }
}

template <typename F> decltype(auto) dispatch_reduction(Reduction r, F&& f) {
  switch (r) {
    case Reduction::Sum: return f(std::integral_constant<Reduction, Reduction::Sum>{});
    case Reduction::Prod: return f(std::integral_constant<Reduction, Reduction::Prod>{});
    case Reduction::Min: return f(std::integral_constant<Reduction, Reduction::Min>{});
    case Reduction::Max: return f(std::integral_constant<Reduction, Reduction::Max>{});
    case Reduction::Mean: return f(std::integral_constant<Reduction, Reduction::Mean>{});
  }
  throw InternalError("invalid reduction");
}

DType accumulator_dtype(Reduction r, DType in) {
  return dispatch_reduction(r, [&](auto rc) {
    return dispatch(in, [&](auto t) { return dtype_of<typename Acc<decltype(rc)::value, typename decltype(t)::type>::type>(); });
  });
}

void fill_identity(Reduction r, DType in, const View& acc) {
  dispatch_reduction(r, [&](auto rc) {
    dispatch(in, [&](auto t) {
      using A = typename Acc<decltype(rc)::value, typename decltype(t)::type>::type;
      A* p = reinterpret_cast<A*>(acc.data);
      std::fill(p, p + acc.count(), identity<decltype(rc)::value, A>());
    });
  });
}

void fold_view(Reduction r, const View& x, const View& acc, std::int64_t col0) {
  dispatch_reduction(r, [&](auto rc) {
    dispatch(x.dtype, [&](auto t) {
      using T = typename decltype(t)::type;
      fold<decltype(rc)::value, T, typename Acc<decltype(rc)::value, T>::type>(x, acc, col0);
    });
  });
}

// The accumulator, converted to the result (mean: divided by the count).
void finish(Reduction r, const View& acc, const View& out, std::int64_t count) {
  if (r == Reduction::Mean) {
    const double* p = reinterpret_cast<const double*>(acc.data);  // float64 (mean_input)
    dispatch(out.dtype, [&](auto t) {
      using O = typename decltype(t)::type;
      if constexpr (std::is_floating_point_v<O>) {
        O* q = reinterpret_cast<O*>(out.data);
        for (std::int64_t k = 0; k < out.count(); ++k)
          q[k] = static_cast<O>(count ? p[k] / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN());
      }
    });
    return;
  }
  // Same dtype, or float64 -> float32 (rounded once).
  dispatch2(acc.dtype, out.dtype, [&](auto ta, auto to) {
    using A = typename decltype(ta)::type;
    using O = typename decltype(to)::type;
    const A* p = reinterpret_cast<const A*>(acc.data);
    O* q = reinterpret_cast<O*>(out.data);
    for (std::int64_t k = 0; k < out.count(); ++k) q[k] = static_cast<O>(p[k]);
  });
}

// A sum's accumulator for integers: int64 or uint64, wrapping as numpy's.
DType integer_sum_dtype(DType in) { return is_signed(in) || in == DType::Bool ? DType::Int64 : DType::UInt64; }

// The mean accumulates as a float64 sum (numpy's: integers near 2^64 do not wrap).
Reduction accumulating(Reduction r) { return r == Reduction::Mean ? Reduction::Sum : r; }
Image mean_input(const Image& image, Reduction r) {
  return r == Reduction::Mean && !is_float(image.dtype()) ? image.astype(DType::Float64) : image;
}

void check_nonempty(Reduction r, std::int64_t count) {
  if (count == 0 && (r == Reduction::Min || r == Reduction::Max))
    throw ValueError(std::string("zero-size array to reduction operation ") +
                     (r == Reduction::Min ? "minimum" : "maximum") + " which has no identity");
}

// Regions covering `region` in C order, each about kChunkElements or less;
// a reduced last axis is cut only at multiples of kSegment.
void chunk(const Region& region, std::vector<Region>& out) {
  const std::size_t nd = region.ndim();
  std::int64_t inner = 1;
  std::size_t a = nd;
  while (a > 0 && inner * region.size[a - 1] <= kChunkElements) inner *= region.size[--a];
  if (a == 0) {
    out.push_back(region);
    return;
  }
  const std::size_t cut = a - 1;  // slices of this axis, whole axes after it, single indices before
  const std::int64_t step =
      cut + 1 == nd ? std::max<std::int64_t>(kSegment, kChunkElements / kSegment * kSegment)
                    : std::max<std::int64_t>(1, kChunkElements / inner);
  Shape index(cut, 0);
  while (true) {
    Region r = region;
    for (std::size_t b = 0; b < cut; ++b) r.offset[b] += index[b], r.size[b] = 1;
    const std::int64_t lo = region.offset[cut], hi = lo + region.size[cut];
    for (std::int64_t o = lo; o < hi;) {
      // Along the last axis: up to the next multiple of the step (absolute).
      const std::int64_t end = cut + 1 == nd ? std::min(hi, (o / step + 1) * step) : std::min(hi, o + step);
      r.offset[cut] = o;
      r.size[cut] = end - o;
      out.push_back(r);
      o = end;
    }
    std::size_t b = cut;
    while (b > 0) {
      --b;
      if (++index[b] < region.size[b]) break;
      index[b] = 0;
      if (b == 0) return;
    }
    if (cut == 0) return;
  }
}

class ReduceNode final : public Node {
 public:
  // The input is the node's own, not the engine's: a tile pulls its slab a
  // chunk at a time, which the engine's gather-then-generate would not.
  ReduceNode(const Image& input, Reduction r, std::vector<bool> reduced, Shape shape)
      : Node(std::move(shape), reduction_dtype(r, input.dtype()), {}),
        input_(mean_input(input, r)),
        reduction_(r),
        reduced_(std::move(reduced)) {}

  std::string name() const override { return std::string(reduction_name(reduction_)) + " over axes"; }
  Metadata metadata() const override { return carry_metadata(input_.metadata(), input_.shape(), shape()); }

  void generate(const Region& region, const std::vector<View>&, const View& out, Workspace&) const override {
    const Shape& in_shape = input_.shape();
    const std::size_t nd = in_shape.size();
    Region slab{Shape(nd), Shape(nd)};
    std::int64_t count = 1;
    for (std::size_t a = 0, o = 0; a < nd; ++a) {
      if (reduced_[a]) {
        slab.size[a] = in_shape[a];
        count *= in_shape[a];
      } else {
        slab.offset[a] = region.offset[o];
        slab.size[a] = region.size[o++];
      }
    }
    const Reduction r = accumulating(reduction_);
    const DType acc_dtype = accumulator_dtype(r, input_.dtype());
    Buffer acc(acc_dtype, region.size);
    fill_identity(r, input_.dtype(), acc.view());
    std::vector<Region> chunks;
    chunk(slab, chunks);
    detail::TileContext ctx;
    for (const Region& c : chunks) {
      if (interrupt_requested()) throw Interrupted();
      ctx.begin_tile();
      const View x = ctx.fetch(*input_.node(), c, Boundary{});
      // The accumulator seen with the chunk's shape: zero strides on reduced axes.
      View a = acc.view();
      a.shape = c.size;
      a.strides.assign(nd, 0);
      for (std::size_t b = 0, o = 0; b < nd; ++b) {
        if (reduced_[b]) continue;
        a.strides[b] = acc.view().strides[o];
        a.data += (c.offset[b] - slab.offset[b]) * acc.view().strides[o];
        ++o;
      }
      fold_view(r, x, a, nd ? c.offset[nd - 1] : 0);
    }
    if (out.is_c_contiguous()) {
      finish(reduction_, acc.view(), out, count);
    } else {
      Buffer tmp(out.dtype, out.shape);
      finish(reduction_, acc.view(), tmp.view(), count);
      detail::copy_convert(tmp.view(), out);
    }
  }

 private:
  Image input_;
  Reduction reduction_;
  std::vector<bool> reduced_;
};

}  // namespace

Reduction parse_reduction(std::string_view name) {
  if (name == "sum") return Reduction::Sum;
  if (name == "prod") return Reduction::Prod;
  if (name == "min") return Reduction::Min;
  if (name == "max") return Reduction::Max;
  if (name == "mean") return Reduction::Mean;
  throw ValueError("unknown reduction '" + std::string(name) + "' (sum, prod, min, max, mean)");
}

std::string_view reduction_name(Reduction r) {
  switch (r) {
    case Reduction::Sum: return "sum";
    case Reduction::Prod: return "prod";
    case Reduction::Min: return "min";
    case Reduction::Max: return "max";
    case Reduction::Mean: return "mean";
  }
  return "?";
}

DType reduction_dtype(Reduction r, DType in) {
  switch (r) {
    case Reduction::Min:
    case Reduction::Max: return in;
    case Reduction::Mean: return is_float(in) ? in : DType::Float64;
    default: return is_float(in) ? in : integer_sum_dtype(in);
  }
}

Image reduce(const Image& image, Reduction r, std::vector<int> axes) {
  const std::size_t nd = image.ndim();
  std::vector<bool> reduced(nd, false);
  for (int axis : axes) {
    const int a = axis < 0 ? axis + static_cast<int>(nd) : axis;
    if (a < 0 || a >= static_cast<int>(nd))
      throw ValueError("axis " + std::to_string(axis) + " is out of bounds for an image of " + std::to_string(nd) +
                       " dimension" + (nd == 1 ? "" : "s"));
    if (reduced[static_cast<std::size_t>(a)]) throw ValueError("axis " + std::to_string(axis) + " is repeated");
    reduced[static_cast<std::size_t>(a)] = true;
  }
  Shape shape;
  std::int64_t count = 1;
  for (std::size_t a = 0; a < nd; ++a) {
    if (reduced[a]) count *= image.shape()[a];
    else shape.push_back(image.shape()[a]);
  }
  if (shape.empty()) throw ValueError(std::string(reduction_name(r)) + " over every axis: use reduce_all");
  if (element_count(shape) > 0) check_nonempty(r, count);
  return Image(std::make_shared<ReduceNode>(image, r, std::move(reduced), std::move(shape)));
}

namespace {
// A double's order-preserving unsigned key (negative values flipped), NaN last.
std::uint64_t order_key(double v) {
  if (v != v) return ~std::uint64_t{0};
  if (v == 0.0) v = 0.0;  // -0.0 and 0.0 are one value
  std::uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}
double from_order_key(std::uint64_t key) {
  if (key == ~std::uint64_t{0}) return std::numeric_limits<double>::quiet_NaN();
  const std::uint64_t u = (key >> 63) ? (key & ~(std::uint64_t{1} << 63)) : ~key;
  double v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}
}  // namespace

double kth_smallest(const Image& input, std::int64_t k, int threads) {
  const std::int64_t count = element_count(input.shape());
  if (k < 0 || k >= count)
    throw ValueError("kth_smallest: k = " + std::to_string(k) + " is outside an image of " + std::to_string(count) +
                     " elements");
  const Image image = input.dtype() == DType::Float64 ? input : input.astype(DType::Float64);
  const Node& root = *image.node();
  std::vector<Region> chunks;
  for (const Region& t : detail::plan_tiles(root, kPlanThreads)) chunk(t, chunks);
  const int workers = static_cast<int>(std::min<std::int64_t>(
      detail::resolve_threads(threads), std::max<std::int64_t>(1, count / detail::kElementsPerWorker)));
  std::vector<detail::TileContext> contexts(static_cast<std::size_t>(std::max(workers, 1)));
  // Pass by pass, the key's next 16 bits among the elements whose higher
  // bits are `prefix`: a histogram per worker, summed, then the bin holding k.
  std::uint64_t prefix = 0;
  std::int64_t rank = k;
  for (int shift = 48; shift >= 0; shift -= 16) {
    std::vector<std::vector<std::int64_t>> hist(contexts.size(), std::vector<std::int64_t>(1 << 16, 0));
    const int high = 64 - (shift + 16);  // bits already fixed
    detail::parallel_for(static_cast<std::int64_t>(chunks.size()), workers, [&](std::int64_t c, int worker) {
      if (interrupt_requested()) throw Interrupted();
      detail::TileContext& ctx = contexts[static_cast<std::size_t>(worker)];
      ctx.begin_tile();
      const View x = ctx.fetch(root, chunks[static_cast<std::size_t>(c)], Boundary{});
      std::vector<std::int64_t>& h = hist[static_cast<std::size_t>(worker)];
      View one = x;
      Buffer dense;
      if (!x.is_c_contiguous()) {
        dense = Buffer(DType::Float64, x.shape);
        detail::copy_convert(x, dense.view());
        one = dense.view();
      }
      const double* p = reinterpret_cast<const double*>(one.data);
      for (std::int64_t i = 0; i < one.count(); ++i) {
        const std::uint64_t key = order_key(p[i]);
        if (high > 0 && (key >> (64 - high)) != (prefix >> (64 - high))) continue;
        ++h[(key >> shift) & 0xffff];
      }
    });
    std::int64_t bin = 0;
    for (; bin < (1 << 16); ++bin) {
      std::int64_t n = 0;
      for (const auto& h : hist) n += h[static_cast<std::size_t>(bin)];
      if (rank < n) break;
      rank -= n;
    }
    prefix |= static_cast<std::uint64_t>(bin) << shift;
  }
  return from_order_key(prefix);
}

Buffer reduce_all(const Image& input, Reduction r, int threads) {
  const std::int64_t count = element_count(input.shape());
  check_nonempty(r, count);
  const DType out_dtype = reduction_dtype(r, input.dtype());
  const Image image = mean_input(input, r);
  const Reduction ar = accumulating(r);
  const DType acc_dtype = accumulator_dtype(ar, image.dtype());
  const Node& root = *image.node();
  // The tiles, cut into chunks (a tile may be a long slab for graphs with a
  // preferred tile): the same list for any thread count.
  std::vector<Region> chunks;
  for (const Region& t : detail::plan_tiles(root, kPlanThreads)) chunk(t, chunks);
  const std::size_t item = itemsize(acc_dtype);
  std::vector<std::byte> partials(chunks.size() * item);
  const int workers = static_cast<int>(std::min<std::int64_t>(
      detail::resolve_threads(threads), std::max<std::int64_t>(1, count / detail::kElementsPerWorker)));
  std::vector<detail::TileContext> contexts(static_cast<std::size_t>(std::max(workers, 1)));
  detail::parallel_for(static_cast<std::int64_t>(chunks.size()), workers, [&](std::int64_t k, int worker) {
    if (interrupt_requested()) throw Interrupted();
    detail::TileContext& ctx = contexts[static_cast<std::size_t>(worker)];
    ctx.begin_tile();
    const Region& c = chunks[static_cast<std::size_t>(k)];
    const View x = ctx.fetch(root, c, Boundary{});
    View acc{partials.data() + static_cast<std::size_t>(k) * item, acc_dtype, c.size, Strides(c.ndim(), 0), nullptr};
    View one = acc;
    one.shape = {1};
    one.strides = {0};
    fill_identity(ar, image.dtype(), one);
    fold_view(ar, x, acc, c.ndim() ? c.offset.back() : 0);
  });
  // The partials in order.
  Buffer total(acc_dtype, {1});
  fill_identity(ar, image.dtype(), total.view());
  if (!chunks.empty()) {
    dispatch_reduction(ar, [&](auto rc) {
      dispatch(acc_dtype, [&](auto t) {
        using A = typename decltype(t)::type;
        A& sum = *reinterpret_cast<A*>(total.data());
        const A* p = reinterpret_cast<const A*>(partials.data());
        for (std::size_t k = 0; k < chunks.size(); ++k) sum = combine<decltype(rc)::value, A>(sum, p[k]);
      });
    });
  }
  Buffer out(out_dtype, {});
  finish(r, total.view(), out.view(), count);
  return out;
}

}  // namespace tessera
