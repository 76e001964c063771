// lookup: every value of an integer image replaced by its row of a table
// (numpy's table[indices]): a palette image's colours, a colour map over a
// label image, any per-value mapping. Geometry here (the table's columns
// become a last axis); per tile, a gather from the table, which the table's
// size guarantees holds every index the dtype can take.
#include <cstring>

#include "engine/copy.hpp"
#include "tessera/lookup.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

class LookupNode final : public Node {
 public:
  LookupNode(const Image& indices, Buffer table, bool columns)
      : Node(shape_of(indices.shape(), table.shape(), columns), table.dtype(), {indices}),
        table_(std::move(table)),
        columns_(columns) {}

  std::string name() const override { return "lookup"; }
  Region input_region(std::size_t, const Region& out) const override {
    if (!columns_) return out;
    return Region{Shape(out.offset.begin(), out.offset.end() - 1), Shape(out.size.begin(), out.size.end() - 1)};
  }

  void generate(const Region&, const std::vector<View>& inputs, const View& out, Workspace&) const override {
    const View& in = inputs[0];
    const std::int64_t width = columns_ ? table_.shape()[1] : 1;
    const std::size_t item = itemsize(dtype());
    const auto* table = reinterpret_cast<const std::uint8_t*>(table_.data());
    const std::int64_t count = in.count();
    if (count == 0) return;
    // Walk the indices in C order; each writes `width` values (its row).
    Shape idx(in.ndim(), 0);
    dispatch(in.dtype, [&](auto tag) {
      using I = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<I> && !std::is_signed_v<I> && sizeof(I) <= 2) {
        for (std::int64_t k = 0; k < count; ++k) {
          std::int64_t ioff = 0, ooff = 0;
          for (std::size_t a = 0; a < idx.size(); ++a) ioff += idx[a] * in.strides[a], ooff += idx[a] * out.strides[a];
          const auto row = static_cast<std::int64_t>(*reinterpret_cast<const I*>(in.data + ioff));
          const std::uint8_t* src = table + row * width * static_cast<std::int64_t>(item);
          std::byte* dst = out.data + ooff;
          if (!columns_ || out.strides.back() == static_cast<std::int64_t>(item)) {
            std::memcpy(dst, src, static_cast<std::size_t>(width) * item);
          } else {
            for (std::int64_t c = 0; c < width; ++c)
              std::memcpy(dst + c * out.strides.back(), src + c * static_cast<std::int64_t>(item), item);
          }
          for (std::size_t a = idx.size(); a-- > 0;) {
            if (++idx[a] < in.shape[a]) break;
            idx[a] = 0;
          }
        }
      }
    });
  }

 private:
  static Shape shape_of(Shape s, const Shape& table, bool columns) {
    if (columns) s.push_back(table[1]);
    return s;
  }
  Buffer table_;
  bool columns_;
};

}  // namespace

Image lookup(const Image& indices, const Image& table) {
  const DType d = indices.dtype();
  if (!(d == DType::Bool || d == DType::UInt8 || d == DType::UInt16))
    throw TypeError("lookup: the indices must be bool, uint8 or uint16 (every value a row of the table), not " +
                    std::string(dtype_name(d)));
  if (table.ndim() != 1 && table.ndim() != 2)
    throw ValueError("lookup: the table must be 1-D (a value per index) or 2-D (a row per index), not shape " +
                     shape_to_string(table.shape()));
  const std::int64_t need = d == DType::Bool ? 2 : d == DType::UInt8 ? 256 : 65536;
  if (table.shape()[0] < need)
    throw ValueError("lookup: a table of " + std::to_string(table.shape()[0]) + " rows cannot take every " +
                     std::string(dtype_name(d)) + " index; give " + std::to_string(need) + " rows");
  if (table.ndim() == 2 && table.shape()[1] < 1) throw ValueError("lookup: the table has no columns");
  if (is_bool(table.dtype())) throw TypeError("lookup: the table must hold numbers, not booleans");
  // The rows the indices can reach, contiguous (a uint8 image reads 256).
  Shape rows = table.shape();
  rows[0] = need;
  Buffer t(table.dtype(), rows);
  Region r = Region::whole(table.shape());
  r.size[0] = need;
  const Buffer full = table.compute();
  detail::copy_convert(full.view().sub(r), t.view());
  // bool indices read as 0 and 1 (their bytes may be any non-zero).
  const Image idx = d == DType::Bool ? indices.astype(DType::UInt8) : indices;
  return Image(std::make_shared<LookupNode>(idx, std::move(t), table.ndim() == 2));
}

namespace {
const bool registered = register_operation({
    .name = "lookup",
    .summary = "Each value of an integer image replaced by its row of a table, as numpy's table[indices].",
    .doc = "indices: bool, uint8 or uint16; table: 1-D (a value per index) or 2-D (a row per index, which becomes a "
           "last axis), with a row for every value the indices' dtype can take (2, 256 or 65536). The result has "
           "the table's dtype. A palette image expanded to its colours, a colour map over labels, any per-value "
           "mapping.",
    .params = {param::input("the indices"), param::array("table", "the table: a row (or value) per index")},
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {lookup(a.image("input"), *a.optional_image("table"))}; },
});
}  // namespace

}  // namespace tessera
