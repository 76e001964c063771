// A source whose pixels sit in memory (a numpy array, a Buffer): the engine
// reads its regions in place, never copying them.
#pragma once

#include "tessera/node.hpp"

namespace tessera::detail {

class ArraySource final : public Node {
 public:
  // `file`: the file the memory maps, if any (for messages).
  explicit ArraySource(View view, std::string file = {}, Metadata metadata = {});
  const View& view() const { return view_; }

  std::string name() const override { return file_.empty() ? "array" : "array of " + file_; }
  std::string file() const override { return file_; }
  // A decoded file's tags (a JPEG's orientation, a PNG's ICC profile).
  Metadata metadata() const override { return metadata_; }
  bool direct_view(const Region& region, View& out) const override;
  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override;

 private:
  View view_;
  std::string file_;
  Metadata metadata_;
};

}  // namespace tessera::detail
