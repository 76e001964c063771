#include "tessera/workspace.hpp"

#include <utility>

#include "engine/scratch_pool.hpp"

namespace tessera {

Workspace::~Workspace() { release(); }

Workspace::Workspace(Workspace&& other) noexcept : slots_(std::move(other.slots_)) { other.slots_.clear(); }

Workspace& Workspace::operator=(Workspace&& other) noexcept {
  if (this != &other) {
    release();
    slots_ = std::move(other.slots_);
    other.slots_.clear();
  }
  return *this;
}

void* Workspace::get(std::size_t slot, std::size_t bytes) {
  if (slots_.size() <= slot) slots_.resize(slot + 1);
  Slot& s = slots_[slot];
  if (s.bytes < bytes || !s.memory) {
    detail::give_scratch({s.memory, s.bytes});
    s = {};
    const detail::ScratchBlock b = detail::take_scratch(bytes);
    s = {b.memory, b.bytes};
  }
  return s.memory;
}

std::size_t Workspace::bytes() const {
  std::size_t total = 0;
  for (const Slot& s : slots_) total += s.bytes;
  return total;
}

void Workspace::release() {
  for (Slot& s : slots_) detail::give_scratch({s.memory, s.bytes});
  slots_.clear();
}

}  // namespace tessera
