// tessera::Image: a lazy N-d image. Building one computes nothing; compute()
// or compute_into() runs the whole pipeline tile by tile on all cores, with no
// full-size intermediate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/node.hpp"
#include "tessera/view.hpp"

namespace tessera {

struct ComputeOptions {
  int threads = 0;  // 0: all cores (TESSERA_NUM_THREADS overrides)
};

// One index of a basic-indexing subscript: a slice, an integer, or a new axis.
struct AxisIndex {
  enum class Kind { Slice, Integer, NewAxis } kind = Kind::Slice;
  // Slice: normalised start and step and the number of elements (as Python's
  // slice.indices gives them). Integer: the index in `start` (non-negative).
  std::int64_t start = 0, step = 1, count = 0;
};

class Image {
 public:
  Image() = default;
  explicit Image(std::shared_ptr<const Node> node);

  // Wraps memory without a copy; view.owner keeps it alive.
  static Image wrap(const View& view);

  const Shape& shape() const { return node_->shape(); }
  DType dtype() const { return node_->dtype(); }
  std::size_t ndim() const { return node_->shape().size(); }
  const std::shared_ptr<const Node>& node() const { return node_; }
  explicit operator bool() const { return node_ != nullptr; }
  // The file whose pixels this is (or a crop of them), for messages; empty
  // for anything computed or in memory.
  std::string file() const;
  // The metadata it carries from its file (Node::metadata); empty for
  // anything with no file behind it.
  Metadata metadata() const { return node_ ? node_->metadata() : Metadata{}; }

  // Element-wise conversion with tessera's rule: floats round to nearest (ties
  // to even), saturate at the target's limits, NaN becomes 0; integers
  // saturate; anything non-zero becomes true.
  Image astype(DType dtype) const;

  // Basic indexing (one entry per axis after expansion of an ellipsis).
  Image index(const std::vector<AxisIndex>& indices) const;

  // How far, per axis, computing any region reaches into the sources below
  // (the sum of the halos along the deepest path): a part computed apart
  // needs this much of its neighbours.
  Shape halo() const;
  // The period per axis of the absolute grids the graph's kernels follow
  // (the least common multiple of Node::block_grid over the graph; 1 for none).
  Shape alignment() const;

  Buffer compute(const ComputeOptions& options = {}) const;
  void compute_into(const View& out, const ComputeOptions& options = {}) const;
  // One region (inside the image), computed as a single tile on this thread.
  Buffer compute_region(const Region& region) const;

 private:
  std::shared_ptr<const Node> node_;
};

// Threads used when a call leaves `threads` at 0: the machine's cores, or
// the TESSERA_NUM_THREADS environment variable.
int default_threads();
// The instruction set of the element-wise kernels in use: "baseline", "avx2"
// or "avx512" (TESSERA_SIMD forces a narrower one).
const char* simd_instruction_set();

// A number in an expression. A Python-like scalar (weak) takes part in
// numpy's value-based type promotion and never widens a float array.
struct Scalar {
  DType dtype = DType::Float64;
  double f = 0.0;       // the value, for floats and bool
  std::int64_t i = 0;   // the value, for integers
  static Scalar of(double v);
  static Scalar of(std::int64_t v);
  static Scalar of(bool v);
  static Scalar typed(DType dtype, double v);  // a numpy scalar or 0-d array of that dtype
  double as_double() const;
};

// An operand of an element-wise operation: an image or a scalar.
class Operand {
 public:
  Operand(const Image& image) : value_(image) {}  // NOLINT: implicit by design
  Operand(const Scalar& scalar) : value_(scalar) {}  // NOLINT
  Operand(double v) : value_(Scalar::of(v)) {}  // NOLINT
  Operand(int v) : value_(Scalar::of(static_cast<std::int64_t>(v))) {}  // NOLINT
  Operand(std::int64_t v) : value_(Scalar::of(v)) {}  // NOLINT
  Operand(bool v) : value_(Scalar::of(v)) {}  // NOLINT
  const std::variant<Image, Scalar>& value() const { return value_; }

 private:
  std::variant<Image, Scalar> value_;
};

// Element-wise operations on images, fused into one program per pipeline.
// `op` is an operator ("+", "-", "*", "/", "//", "%", "**", "<", "<=", ">",
// ">=", "==", "!=", "&", "|", "^") or a function name ("sqrt", "minimum",
// "where", "clip", ...); see tessera::function_names().
Image apply(std::string_view op, const std::vector<Operand>& args);
const std::vector<std::string>& function_names();

Image operator+(const Operand& a, const Operand& b);
Image operator-(const Operand& a, const Operand& b);
Image operator*(const Operand& a, const Operand& b);
Image operator/(const Operand& a, const Operand& b);
Image operator%(const Operand& a, const Operand& b);
Image operator<(const Operand& a, const Operand& b);
Image operator<=(const Operand& a, const Operand& b);
Image operator>(const Operand& a, const Operand& b);
Image operator>=(const Operand& a, const Operand& b);
Image operator==(const Operand& a, const Operand& b);
Image operator!=(const Operand& a, const Operand& b);
Image operator&(const Operand& a, const Operand& b);
Image operator|(const Operand& a, const Operand& b);
Image operator-(const Image& a);
Image operator~(const Image& a);
Image pow(const Operand& a, const Operand& b);
Image where(const Operand& condition, const Operand& a, const Operand& b);
Image clip(const Operand& x, const Operand& lo, const Operand& hi);

}  // namespace tessera
