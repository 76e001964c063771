// Per-worker scratch memory that the engine owns and hands to every tile
// kernel (Node::generate). A kernel asks for a numbered slot of at least so
// many bytes; the memory stays with the worker from tile to tile for the whole
// run, then goes back to the engine's scratch pool, which retained_bytes()
// counts, set_retained_limit() caps and release_memory() empties. No
// operation keeps memory of its own between tiles.
#pragma once

#include <cstddef>
#include <vector>

namespace tessera {

class Workspace {
 public:
  Workspace() = default;
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  Workspace(Workspace&& other) noexcept;
  Workspace& operator=(Workspace&& other) noexcept;

  // Slots in use, by convention: filters 0-63 (ops/filters/window.hpp),
  // expression programs 64-65 (ops/expr/program.cpp) and 66 (a stencil over
  // padded rows, ops/expr/expr_node.cpp), file sources 96-127.

  // At least `bytes` of memory for `slot`, 64-byte aligned, contents
  // unspecified. Valid until the next get() of the same slot (which may move
  // it, without copying, when it must grow) or the end of the run.
  void* get(std::size_t slot, std::size_t bytes);
  template <typename T> T* get(std::size_t slot, std::size_t count) {
    return static_cast<T*>(get(slot, count * sizeof(T)));
  }

  // Bytes held now.
  std::size_t bytes() const;
  // Gives every slot's memory back to the scratch pool.
  void release();

 private:
  struct Slot {
    void* memory = nullptr;
    std::size_t bytes = 0;
  };
  std::vector<Slot> slots_;
};

}  // namespace tessera
