#include "engine/array_source.hpp"

#include "engine/copy.hpp"
#include "tessera/error.hpp"
#include "tessera/image.hpp"

namespace tessera::detail {

ArraySource::ArraySource(View view, std::string file, Metadata metadata)
    : Node(view.shape, view.dtype, {}), view_(std::move(view)), file_(std::move(file)), metadata_(std::move(metadata)) {
  // Every kernel loads elements as their type: misaligned memory is undefined
  // behaviour (the Python face copies such arrays before they get here).
  const auto item = static_cast<std::int64_t>(itemsize(view_.dtype));
  bool ok = reinterpret_cast<std::uintptr_t>(view_.data) % static_cast<std::uintptr_t>(item) == 0;
  for (std::size_t a = 0; a < view_.strides.size(); ++a)  // numpy ignores strides of length-1 axes
    ok = ok && (view_.shape[a] <= 1 || view_.strides[a] % item == 0);
  if (!ok) throw ValueError("an image's memory must be aligned to its item size (data and strides)");
}

bool ArraySource::direct_view(const Region& region, View& out) const {
  out = view_.sub(region);
  return true;
}

void ArraySource::generate(const Region& region, const std::vector<View>&, const View& out, Workspace& workspace) const {
  copy_convert(view_.sub(region), out);
}

}  // namespace tessera::detail
