// A source whose pixels sit in memory (a numpy array, a Buffer): the engine
// reads its regions in place, never copying them.
#pragma once

#include "tessera/node.hpp"

namespace tessera::detail {

class ArraySource final : public Node {
 public:
  explicit ArraySource(View view);
  const View& view() const { return view_; }

  std::string name() const override { return "array"; }
  bool direct_view(const Region& region, View& out) const override;
  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override;

 private:
  View view_;
};

}  // namespace tessera::detail
