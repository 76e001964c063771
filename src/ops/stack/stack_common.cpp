#include "ops/stack/stack_common.hpp"

#include "tessera/error.hpp"

namespace tessera::detail {

namespace {
// "image 2", or "image 2 (b.tif)" when it is a file's pixels.
std::string describe(const std::vector<Image>& images, std::size_t i) {
  const std::string file = images[i] ? images[i].file() : std::string();
  return "image " + std::to_string(i) + (file.empty() ? "" : " (" + file + ")");
}
}  // namespace

void check_stack(const std::vector<Image>& images, const std::string& what) {
  if (images.empty()) throw ValueError(what + ": needs at least one image");
  for (std::size_t i = 0; i < images.size(); ++i)
    if (!images[i]) throw ValueError(what + ": image " + std::to_string(i) + " is empty");
  const Shape& first = images[0].shape();
  for (std::size_t i = 1; i < images.size(); ++i)
    if (images[i].shape() != first)
      throw ValueError(what + ": " + describe(images, i) + " has shape " + shape_to_string(images[i].shape()) +
                       ", but " + describe(images, 0) + " has shape " + shape_to_string(first));
}

DType stack_accumulator(const std::vector<Image>& images) {
  for (const auto& im : images)
    if (is_float(im.dtype()) || itemsize(im.dtype()) > 2) return DType::Float64;
  return DType::Float32;
}

Image stack_result(const Image& result, std::optional<DType> dtype) {
  return dtype && *dtype != result.dtype() ? result.astype(*dtype) : result;
}

}  // namespace tessera::detail
