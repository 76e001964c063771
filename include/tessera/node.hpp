// What an operation is, to the engine: its output geometry, the region of
// each input it needs (its halo), how out-of-bounds input is filled, and a
// kernel that computes one output region. The engine (src/engine) owns tiling,
// threads, memory and order; an operation never sees a whole image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tessera/boundary.hpp"
#include "tessera/metadata.hpp"
#include "tessera/view.hpp"
#include "tessera/workspace.hpp"

namespace tessera {

class Image;

class Node {
 public:
  Node(Shape shape, DType dtype, std::vector<Image> inputs);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  const std::vector<Image>& inputs() const { return inputs_; }

  // A short name for messages: "uniform_filter", "expression 'a + b'".
  virtual std::string name() const = 0;

  // The region of input `i` needed to compute `out`, in the input's
  // coordinates. It may reach outside the input: the engine fills that part
  // by input_boundary(i). Default: the same region (an element-wise op).
  virtual Region input_region(std::size_t i, const Region& out) const;

  // How the part of an input region outside the input is filled.
  virtual Boundary input_boundary(std::size_t i) const;

  // For nodes whose pixels already sit in memory (a numpy array, a mapped
  // file): set `out` to a view of `region` (inside the node) and return true.
  virtual bool direct_view(const Region& region, View& out) const;

  // True if the output is a region of the one input, element for element
  // (a crop: unit-step slices). Computing such a node at the root, the engine
  // computes that region of the input straight into the destination instead
  // of into a tile that would then be copied.
  virtual bool is_crop() const;

  // Whether generate() is serial by nature (a file decoded in order, behind
  // one lock): computed at the root of a run, more workers only wait, and a
  // worker that falls behind costs a new decode. Such a root runs on one.
  virtual bool serial() const { return false; }

  // True if each output element reads its inputs only at its own position
  // (after broadcasting), element for element: computing such a node into
  // `out` may write over an input laid out exactly as `out` (a = a + 1).
  virtual bool elementwise() const;

  // Where, along `axis`, this node's pixels stop being one block of memory
  // (a grid of pieces): a region reaching across such a position cannot be a
  // direct view and is gathered. The engine cuts tiles there, so that most
  // tiles read in place. Sorted, inside (0, shape[axis]). Default: none.
  virtual std::vector<std::int64_t> seams(std::size_t axis) const;

  // The period, per axis, of an absolute grid the kernel's arithmetic follows
  // (long window sums start their blocks at multiples of the window), so
  // that its results depend on where a region starts modulo the period:
  // whoever computes a part of an image apart (tessera.dask) starts it on
  // that grid to get the same bits. Empty: none (every period 1).
  virtual Shape block_grid() const;

  // The file whose pixels this node reads, for messages; empty if none.
  virtual std::string file() const;

  // The metadata its output carries (tessera/metadata.hpp). Default: that of
  // the first input that has any, by carry_metadata's rule (an operation
  // whose output has the input's height and width keeps its georeferencing).
  // Sources return their file's; a crop shifts it.
  virtual Metadata metadata() const;

  // The tile shape this node wants its output cut into (leading axes), if any.
  virtual std::optional<Shape> preferred_tile() const;

  // The tile kernel: computes `out` (shape region.size) from `inputs`, the
  // regions input_region(i, region) of each input, already padded. Called
  // concurrently on disjoint regions; must not keep pointers into the views.
  // `workspace` is the calling worker's scratch memory (tessera/workspace.hpp):
  // the engine owns it, a kernel keeps nothing of its own between tiles.
  virtual void generate(const Region& region, const std::vector<View>& inputs,
                        const View& out, Workspace& workspace) const = 0;

 private:
  Shape shape_;
  DType dtype_;
  std::vector<Image> inputs_;
};

}  // namespace tessera
