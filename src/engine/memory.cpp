// What tessera keeps for reuse, counted, capped and released in one place:
// freed large buffers (core/large_blocks), the engine's scratch pool (tile
// scratch of finished runs) and its idle workspaces.
#include <algorithm>

#include "core/large_blocks.hpp"
#include "engine/scratch_pool.hpp"
#include "tessera/memory.hpp"

namespace tessera {

std::size_t retained_bytes() {
  return detail::retained_large_bytes() + detail::scratch_pool_bytes() + detail::idle_workspace_bytes();
}

void release_memory() {
  detail::release_large_blocks();
  detail::release_scratch_pool();
  detail::release_idle_workspaces();
}

std::size_t retained_limit() { return detail::large_block_cap(); }

void set_retained_limit(std::size_t bytes) {
  detail::set_large_block_cap(bytes);
  detail::set_scratch_pool_cap(std::min(bytes, detail::kScratchPoolBytes));
  detail::set_idle_workspace_cap(std::min(bytes, detail::kScratchPoolBytes));
}

}  // namespace tessera
