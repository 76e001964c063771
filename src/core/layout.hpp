// Merging axes that every operand walks contiguously, as numpy's iterator
// does, so that kernels see long runs instead of many short rows.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/view.hpp"

namespace tessera::detail {

struct Layout {
  std::vector<std::int64_t> size;                  // outer axes ..., rows, cols (at least two)
  std::vector<std::vector<std::int64_t>> strides;  // per operand, per axis, in bytes
};

// Drops length-1 axes and merges neighbours where, for every operand,
// stride[k] == stride[k+1] * size[k+1]. Always returns at least two axes.
inline Layout coalesce(const Shape& shape, const std::vector<const Strides*>& strides) {
  const std::size_t n_ops = strides.size();
  Layout l;
  l.strides.resize(n_ops);
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    if (shape[axis] == 1) continue;
    bool merge = !l.size.empty();
    for (std::size_t op = 0; op < n_ops && merge; ++op)
      merge = l.strides[op].back() == (*strides[op])[axis] * shape[axis];
    if (merge) {
      l.size.back() *= shape[axis];
      for (std::size_t op = 0; op < n_ops; ++op) l.strides[op].back() = (*strides[op])[axis];
    } else {
      l.size.push_back(shape[axis]);
      for (std::size_t op = 0; op < n_ops; ++op) l.strides[op].push_back((*strides[op])[axis]);
    }
  }
  while (l.size.size() < 2) {
    l.size.insert(l.size.begin(), 1);
    for (auto& s : l.strides) s.insert(s.begin(), 0);
  }
  return l;
}

// Calls f(offsets) for every index of the outer axes (all but the last two),
// with each operand's byte offset.
template <typename F> void for_each_outer(const Layout& l, F&& f) {
  const std::size_t n_outer = l.size.size() - 2;
  std::vector<std::int64_t> idx(n_outer, 0), offset(l.strides.size(), 0);
  std::int64_t count = 1;
  for (std::size_t a = 0; a < n_outer; ++a) count *= l.size[a];
  for (std::int64_t o = 0; o < count; ++o) {
    for (std::size_t op = 0; op < offset.size(); ++op) {
      offset[op] = 0;
      for (std::size_t a = 0; a < n_outer; ++a) offset[op] += idx[a] * l.strides[op][a];
    }
    f(offset);
    for (std::size_t a = n_outer; a-- > 0;) {
      if (++idx[a] < l.size[a]) break;
      idx[a] = 0;
    }
  }
}

}  // namespace tessera::detail
