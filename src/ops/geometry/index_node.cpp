#include "ops/geometry/index_node.hpp"

#include <algorithm>

#include "engine/array_source.hpp"
#include "engine/copy.hpp"

namespace tessera::detail {

Shape IndexNode::shape_of(const Shape& shape, const std::vector<AxisIndex>& indices) {
  Shape out;
  std::size_t axis = 0;
  for (const auto& ix : indices) {
    if (ix.kind == AxisIndex::Kind::NewAxis) {
      out.push_back(1);
      continue;
    }
    if (axis >= shape.size())
      throw ValueError("too many indices for an image of shape " + shape_to_string(shape));
    if (ix.kind == AxisIndex::Kind::Integer) {
      if (ix.start < 0 || ix.start >= shape[axis])
        throw ValueError("index " + std::to_string(ix.start) + " is out of bounds for axis " +
                         std::to_string(axis) + " with size " + std::to_string(shape[axis]));
    } else {
      if (ix.step == 0) throw ValueError("slice step cannot be zero");
      out.push_back(ix.count);
    }
    ++axis;
  }
  if (axis != shape.size()) throw InternalError("index list must cover every axis");
  return out;
}

IndexNode::IndexNode(const Image& input, std::vector<AxisIndex> indices, Shape shape)
    : Node(std::move(shape), input.dtype(), {input}), indices_(std::move(indices)) {}

View IndexNode::apply(const View& in, const std::vector<AxisIndex>& indices) {
  View v = in;
  v.shape.clear();
  v.strides.clear();
  std::size_t axis = 0;
  for (const auto& ix : indices) {
    switch (ix.kind) {
      case AxisIndex::Kind::NewAxis:
        v.shape.push_back(1);
        v.strides.push_back(0);
        break;
      case AxisIndex::Kind::Integer:
        v.data += ix.start * in.strides[axis++];
        break;
      case AxisIndex::Kind::Slice:
        if (ix.count > 0) v.data += ix.start * in.strides[axis];
        v.shape.push_back(ix.count);
        // One element or none: the step is never taken (a huge one,
        // a[::2**63 - 1], times the stride would overflow); the axis keeps
        // its own stride, as a[i:i + 1] has.
        v.strides.push_back(ix.count > 1 ? ix.step * in.strides[axis] : in.strides[axis]);
        ++axis;
        break;
    }
  }
  return v;
}

Region IndexNode::input_region(std::size_t, const Region& out) const {
  const std::size_t nd = inputs()[0].ndim();
  Region r{Shape(nd), Shape(nd)};
  std::size_t in_axis = 0, out_axis = 0;
  for (const auto& ix : indices_) {
    switch (ix.kind) {
      case AxisIndex::Kind::NewAxis: ++out_axis; break;
      case AxisIndex::Kind::Integer:
        r.offset[in_axis] = ix.start;
        r.size[in_axis++] = 1;
        break;
      case AxisIndex::Kind::Slice: {
        const std::int64_t first = ix.start + ix.step * out.offset[out_axis];
        const std::int64_t last = ix.start + ix.step * (out.offset[out_axis] + out.size[out_axis] - 1);
        r.offset[in_axis] = std::min(first, last);
        r.size[in_axis++] = out.size[out_axis] ? std::abs(last - first) + 1 : 0;
        ++out_axis;
        break;
      }
    }
  }
  return r;
}

bool IndexNode::is_crop() const {
  return std::all_of(indices_.begin(), indices_.end(),
                     [](const AxisIndex& ix) { return ix.kind == AxisIndex::Kind::Slice && ix.step == 1; });
}

Metadata IndexNode::metadata() const {
  const Image& in = inputs()[0];
  const Metadata m = in.metadata();
  if (m.empty()) return m;
  const ImagePlanes planes = image_planes(in.shape(), m);
  if (planes.height == 0) return carry_metadata(m, in.shape(), shape());
  // The index of each input axis.
  std::vector<const AxisIndex*> of_axis;
  for (const auto& ix : indices_)
    if (ix.kind != AxisIndex::Kind::NewAxis) of_axis.push_back(&ix);
  const AxisIndex& rows = *of_axis[planes.height_axis()];
  const AxisIndex& cols = *of_axis[planes.height_axis() + 1];
  auto unit = [](const AxisIndex& ix) { return ix.kind == AxisIndex::Kind::Slice && ix.step == 1; };
  Metadata out = unit(rows) && unit(cols) ? crop_metadata(m, rows.start, cols.start) : without_grid(m);
  // A new or removed axis: the file's SamplesPerPixel no longer describes the shape.
  if (shape().size() != in.ndim()) out.erase("SamplesPerPixel");
  // Samples tags only while every sample is kept, in order.
  if (planes.samples > 1) {
    const AxisIndex& s = *of_axis.back();
    if (!(unit(s) && s.start == 0 && s.count == planes.samples)) {
      Metadata grid_only;
      for (auto& [name, value] : out) {
        const MetaTag* t = metadata_tag(name);
        if (!t || t->role != MetaTag::Role::Samples) grid_only.emplace(name, value);
      }
      out = std::move(grid_only);
    }
  }
  return out;
}

void IndexNode::generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const {
  // Re-express the indices relative to the fetched input region.
  const Region in_region = input_region(0, region);
  std::vector<AxisIndex> local = indices_;
  std::size_t in_axis = 0, out_axis = 0;
  for (auto& ix : local) {
    if (ix.kind == AxisIndex::Kind::NewAxis) {
      ++out_axis;
      continue;
    }
    if (ix.kind == AxisIndex::Kind::Slice) {
      ix.start = ix.start + ix.step * region.offset[out_axis] - in_region.offset[in_axis];
      ix.count = region.size[out_axis];
      ++out_axis;
    } else {
      ix.start = 0;
    }
    ++in_axis;
  }
  copy_convert(apply(inputs[0], local), out);
}

}  // namespace tessera::detail

namespace tessera {

// Basic indexing: a view of an in-memory source where it can be (no node),
// else an IndexNode.
Image Image::index(const std::vector<AxisIndex>& indices) const {
  const Shape shape = detail::IndexNode::shape_of(this->shape(), indices);
  if (auto* src = dynamic_cast<const detail::ArraySource*>(node_.get()))
    return wrap(detail::IndexNode::apply(src->view(), indices));
  return Image(std::make_shared<detail::IndexNode>(*this, indices, shape));
}

}  // namespace tessera
