#include <set>

#include "core/convert_kernels.hpp"
#include "core/thread_pool.hpp"
#include "engine/array_source.hpp"
#include "engine/copy.hpp"
#include "engine/scheduler.hpp"
#include "engine/tile_context.hpp"
#include "tessera/image.hpp"

namespace tessera {

using detail::ArraySource;

Scalar Scalar::of(double v) { return Scalar{DType::Float64, v, 0}; }
Scalar Scalar::of(std::int64_t v) { return Scalar{DType::Int64, static_cast<double>(v), v}; }
Scalar Scalar::of(bool v) { return Scalar{DType::Bool, v ? 1.0 : 0.0, v ? 1 : 0}; }
Scalar Scalar::typed(DType dtype, double v) {
  Scalar s{dtype, v, 0};
  if (is_integer(dtype) || is_bool(dtype)) s.i = static_cast<std::int64_t>(v);
  if (is_bool(dtype)) s.f = v != 0.0 ? 1.0 : 0.0;
  return s;
}
double Scalar::as_double() const { return is_integer(dtype) ? static_cast<double>(i) : f; }

Image::Image(std::shared_ptr<const Node> node) : node_(std::move(node)) {
  if (!node_) throw InternalError("Image made from a null node");
}

Image Image::wrap(const View& view) { return Image(std::make_shared<ArraySource>(view)); }

std::string Image::file() const {
  const Node* n = node_.get();
  while (n && n->is_crop()) n = n->inputs()[0].node().get();
  return n ? n->file() : std::string();
}

namespace {

// Every in-memory source the graph reads.
void sources(const Node& n, std::set<const ArraySource*>& out) {
  if (auto* s = dynamic_cast<const ArraySource*>(&n)) out.insert(s);
  for (const auto& i : n.inputs()) sources(*i.node(), out);
}

bool same_layout(const View& a, const View& b) {
  return a.data == b.data && a.dtype == b.dtype && a.shape == b.shape && a.strides == b.strides;
}

}  // namespace

Shape Image::halo() const { return detail::accumulated_halo(*node_); }

Shape Image::alignment() const { return detail::accumulated_grid(*node_); }

void Image::compute_into(const View& out, const ComputeOptions& options) const {
  if (out.shape != shape())
    throw ValueError("out has shape " + shape_to_string(out.shape) + ", but the result has shape " +
                     shape_to_string(shape()));
  // Writing over an input is safe only element for element (out=a in a + 1):
  // where an input overlapping `out` is read in any other way (a shifted view,
  // a neighbourhood), the result goes through a temporary, as in numpy.
  std::set<const ArraySource*> direct, deeper;
  const bool root_is_elementwise = node_->elementwise();
  for (const auto& input : node_->inputs()) {
    auto* s = dynamic_cast<const ArraySource*>(input.node().get());
    if (s && root_is_elementwise && same_layout(s->view(), out)) direct.insert(s);
    else sources(*input.node(), deeper);
  }
  if (auto* s = dynamic_cast<const ArraySource*>(node_.get())) deeper.insert(s);
  for (const ArraySource* s : deeper) {
    if (detail::views_overlap(s->view(), out)) {
      Buffer tmp = compute(options);
      detail::copy_convert(tmp.view(), out);
      return;
    }
  }
  if (out.dtype != dtype()) return astype(out.dtype).compute_into(out, options);
  detail::run_graph(*node_, out, options.threads);
}

Buffer Image::compute_region(const Region& region) const {
  if (region.ndim() != ndim() || !region.inside(shape()))
    throw ValueError("region " + region.to_string() + " is not inside an image of shape " + shape_to_string(shape()));
  Buffer b(dtype(), region.size);
  if (region.count() == 0) return b;
  detail::TileContext ctx;
  ctx.begin_tile();
  ctx.generate(*node_, region, b.view());
  return b;
}

int default_threads() { return detail::default_thread_count(); }
const char* simd_instruction_set() { return detail::convert_kernels().isa; }

Buffer Image::compute(const ComputeOptions& options) const {
  Buffer b(dtype(), shape());
  detail::run_graph(*node_, b.view(), options.threads);
  return b;
}

}  // namespace tessera
