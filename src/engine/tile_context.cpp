#include "tile_context.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "core/cast.hpp"
#include "tessera/error.hpp"
#include "tessera/interrupt.hpp"

namespace tessera::detail {

std::size_t TileContext::pooled_bytes() { return scratch_pool_bytes(); }

TileContext::TileContext() : workspace_(take_workspace()) {}

TileContext::~TileContext() {
  for (auto& b : blocks_) give_scratch(b.memory);
  give_workspace(std::move(workspace_));
}

void TileContext::begin_tile() {
  computed_.clear();
  for (auto& b : blocks_) b.in_use = false;
}

View TileContext::scratch(DType dtype, const Shape& shape) {
  const std::size_t bytes = static_cast<std::size_t>(element_count(shape)) * itemsize(dtype);
  Block* best = nullptr;
  for (auto& b : blocks_)
    if (!b.in_use && b.memory.bytes >= bytes && (!best || b.memory.bytes < best->memory.bytes)) best = &b;
  if (!best) {
    blocks_.push_back(Block{take_scratch(bytes), false});
    best = &blocks_.back();
  }
  best->in_use = true;
  View v;
  v.data = static_cast<std::byte*>(best->memory.memory);
  v.dtype = dtype;
  v.shape = shape;
  v.strides = c_strides(shape, itemsize(dtype));
  return v;
}

void TileContext::generate(const Node& node, const Region& region, const View& out) {
  const auto& inputs = node.inputs();
  std::vector<View> views;
  views.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    views.push_back(fetch(*inputs[i].node(), node.input_region(i, region), node.input_boundary(i)));
  // Polled per node as well as per tile: a tile of a deep pipeline with wide
  // halos can take a large part of a second.
  if (!inputs.empty() && interrupt_requested()) throw Interrupted();
  node.generate(region, views, out, workspace_);
}

View TileContext::fetch(const Node& node, const Region& region, const Boundary& boundary) {
  if (region.inside(node.shape())) return fetch_inside(node, region);
  return fetch_padded(node, region, boundary);
}

View TileContext::fetch_inside(const Node& node, const Region& region) {
  View v;
  if (node.direct_view(region, v)) return v;
  for (const auto& c : computed_)
    if (c.node == &node && c.region == region) return c.view;
  v = scratch(node.dtype(), region.size);
  generate(node, region, v);
  computed_.push_back({&node, region, v});
  return v;
}

// The region reaches outside the node. Per axis, the coordinates it needs map
// (by the boundary table) into a few runs inside the axis; each combination of
// runs is fetched as is, then gathered into a padded buffer.
View TileContext::fetch_padded(const Node& node, const Region& region, const Boundary& boundary) {
  const std::size_t nd = region.ndim();
  const Shape& shape = node.shape();
  View out = scratch(node.dtype(), region.size);
  if (region.count() == 0) return out;

  struct AxisMap {
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;  // [begin, end) inside the axis
    std::vector<int> run_of;         // per region coordinate: its run, or -1 for cval
    std::vector<std::int64_t> at;    // per region coordinate: offset inside its run
  };
  std::vector<AxisMap> axes(nd);
  bool any_constant = false;
  for (std::size_t a = 0; a < nd; ++a) {
    AxisMap& m = axes[a];
    std::vector<std::int64_t> src(region.size[a]);
    for (std::int64_t k = 0; k < region.size[a]; ++k)
    {
      const std::int64_t c = region.offset[a] + k;
      src[k] = (c >= 0 && c < shape[a]) ? c : shape[a] == 0 ? -1 : map_coordinate(c, shape[a], boundary.on_axis(a));
    }
    // The distinct source coordinates as runs, via a presence map over their
    // span (at most the axis): no sort per tile.
    std::int64_t lo = shape[a], hi = -1;
    for (auto v : src)
      if (v >= 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    if (hi >= lo) {
      std::vector<char> present(static_cast<std::size_t>(hi - lo + 1), 0);
      for (auto v : src)
        if (v >= 0) present[static_cast<std::size_t>(v - lo)] = 1;
      for (std::int64_t v = lo; v <= hi; ++v) {
        if (!present[static_cast<std::size_t>(v - lo)]) continue;
        if (m.runs.empty() || m.runs.back().second != v) m.runs.push_back({v, v + 1});
        else ++m.runs.back().second;
      }
    }
    m.run_of.resize(src.size());
    m.at.resize(src.size());
    for (std::size_t k = 0; k < src.size(); ++k) {
      if (src[k] < 0) {
        m.run_of[k] = -1;
        any_constant = true;
        continue;
      }
      std::size_t r = 0;
      while (src[k] >= m.runs[r].second) ++r;  // runs are few and sorted
      m.run_of[k] = static_cast<int>(r);
      m.at[k] = src[k] - m.runs[r].first;
    }
  }

  // Fetch every combination of runs (usually one, two along a wrapped axis).
  std::vector<std::size_t> counts(nd), combo(nd, 0);
  std::size_t n_pieces = 1;
  for (std::size_t a = 0; a < nd; ++a) {
    counts[a] = axes[a].runs.size();
    n_pieces *= counts[a];
  }
  std::vector<View> pieces(n_pieces);
  for (std::size_t p = 0; p < n_pieces; ++p) {
    std::size_t rest = p;
    Region sub{Shape(nd), Shape(nd)};
    for (std::size_t a = nd; a-- > 0;) {
      combo[a] = rest % counts[a];
      rest /= counts[a];
      sub.offset[a] = axes[a].runs[combo[a]].first;
      sub.size[a] = axes[a].runs[combo[a]].second - sub.offset[a];
    }
    pieces[p] = fetch_inside(node, sub);
  }

  std::vector<std::byte> constant(itemsize(node.dtype()));
  if (any_constant) store_scalar(boundary.cval, node.dtype(), constant.data());

  // The last axis as segments: runs of consecutive source elements (one
  // memcpy each: the interior of a row), and single elements (mirrored
  // borders, constants).
  struct Segment {
    std::int64_t dst, length, src;  // src: offset inside the run
    int run;                         // -1: the constant
  };
  std::vector<Segment> segments;
  const std::size_t item = itemsize(node.dtype());
  if (nd > 0) {
    const AxisMap& last = axes[nd - 1];
    for (std::int64_t k = 0; k < region.size[nd - 1]; ++k) {
      const int r = last.run_of[k];
      const std::int64_t at = r < 0 ? 0 : last.at[k];
      if (!segments.empty()) {
        Segment& s = segments.back();
        if (r >= 0 && s.run == r && s.src + s.length == at && s.dst + s.length == k) {
          ++s.length;
          continue;
        }
      }
      segments.push_back({k, 1, at, r});
    }
  }

  // Walk the output in C order, one innermost row at a time.
  const std::int64_t inner = nd ? region.size[nd - 1] : 1;
  std::vector<std::int64_t> idx(nd, 0);
  const std::int64_t rows = nd ? region.count() / std::max<std::int64_t>(inner, 1) : 1;
  std::vector<const std::byte*> row_src(nd ? counts[nd - 1] : 1);
  for (std::int64_t row = 0; row < rows; ++row) {
    std::byte* dst = out.data;
    for (std::size_t a = 0; a + 1 < nd; ++a) dst += idx[a] * out.strides[a];
    if (nd == 0) {
      std::memcpy(dst, pieces[0].data, item);
      break;
    }
    // The outer axes pick one row of pieces, or the constant.
    bool constant_row = false;
    std::size_t piece = 0;
    for (std::size_t a = 0; a + 1 < nd && !constant_row; ++a) {
      const int r = axes[a].run_of[idx[a]];
      if (r < 0) constant_row = true;
      else piece = piece * counts[a] + static_cast<std::size_t>(r);
    }
    if (constant_row) {
      for (std::int64_t k = 0; k < inner; ++k) std::memcpy(dst + k * item, constant.data(), item);
    } else {
      for (std::size_t r = 0; r < counts[nd - 1]; ++r) {
        const View& pv = pieces[piece * counts[nd - 1] + r];
        const std::byte* src = pv.data;
        for (std::size_t a = 0; a + 1 < nd; ++a) src += axes[a].at[idx[a]] * pv.strides[a];
        row_src[r] = src;
      }
      for (const Segment& sg : segments) {
        std::byte* d = dst + sg.dst * static_cast<std::int64_t>(item);
        if (sg.run < 0) {
          for (std::int64_t k = 0; k < sg.length; ++k) std::memcpy(d + k * item, constant.data(), item);
          continue;
        }
        const std::int64_t stride = pieces[piece * counts[nd - 1] + static_cast<std::size_t>(sg.run)].strides[nd - 1];
        const std::byte* s = row_src[static_cast<std::size_t>(sg.run)] + sg.src * stride;
        if (stride == static_cast<std::int64_t>(item)) {
          std::memcpy(d, s, static_cast<std::size_t>(sg.length) * item);
        } else {
          for (std::int64_t k = 0; k < sg.length; ++k) std::memcpy(d + k * item, s + k * stride, item);
        }
      }
    }
    for (std::size_t a = nd - 1; a-- > 0;) {
      if (++idx[a] < region.size[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

}  // namespace tessera::detail
