#include "engine/array_source.hpp"

#include "engine/copy.hpp"
#include "tessera/image.hpp"

namespace tessera::detail {

ArraySource::ArraySource(View view, std::string file)
    : Node(view.shape, view.dtype, {}), view_(std::move(view)), file_(std::move(file)) {}

bool ArraySource::direct_view(const Region& region, View& out) const {
  out = view_.sub(region);
  return true;
}

void ArraySource::generate(const Region& region, const std::vector<View>&, const View& out, Workspace& workspace) const {
  copy_convert(view_.sub(region), out);
}

}  // namespace tessera::detail
