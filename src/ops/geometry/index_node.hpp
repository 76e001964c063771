// Basic indexing (slices with any step, integers, new axes) of a computed
// image. On an in-memory source, indexing is a zero-copy view instead.
#pragma once

#include "tessera/image.hpp"

namespace tessera::detail {

class IndexNode final : public Node {
 public:
  IndexNode(const Image& input, std::vector<AxisIndex> indices, Shape shape);

  std::string name() const override { return "index"; }
  Region input_region(std::size_t i, const Region& out) const override;
  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override;
  bool is_crop() const override;
  // A crop shifts the georeferencing; a step or an integer on the height or
  // width axis drops it.
  Metadata metadata() const override;

  // Applies the indices to a view without copying.
  static View apply(const View& in, const std::vector<AxisIndex>& indices);
  // The output shape, after validating the indices against `shape`.
  static Shape shape_of(const Shape& shape, const std::vector<AxisIndex>& indices);

 private:
  std::vector<AxisIndex> indices_;
};

}  // namespace tessera::detail
