#include "tessera/node.hpp"

#include "tessera/image.hpp"

namespace tessera {

Node::Node(Shape shape, DType dtype, std::vector<Image> inputs)
    : shape_(std::move(shape)), dtype_(dtype), inputs_(std::move(inputs)) {
  for (auto s : shape_)
    if (s < 0) throw ValueError("negative dimension in shape " + shape_to_string(shape_));
}

Node::~Node() = default;

Region Node::input_region(std::size_t, const Region& out) const { return out; }

Boundary Node::input_boundary(std::size_t) const { return Boundary{}; }

bool Node::direct_view(const Region&, View&) const { return false; }

bool Node::is_crop() const { return false; }

bool Node::elementwise() const { return false; }

std::vector<std::int64_t> Node::seams(std::size_t) const { return {}; }

Shape Node::block_grid() const { return {}; }

std::optional<Shape> Node::preferred_tile() const { return std::nullopt; }
std::string Node::file() const { return {}; }

Metadata Node::metadata() const {
  for (const Image& in : inputs_) {
    Metadata m = in.metadata();
    if (!m.empty()) return carry_metadata(m, in.shape(), shape_);
  }
  return {};
}

}  // namespace tessera
