// The engine's pool of scratch blocks: what tile contexts and workspaces give
// back when a run ends, for the next run to take (a Dask worker computes
// chunk after chunk, a stream band after band) rather than fresh memory,
// whose every page faults on first touch. Bounded by a cap (kScratchPoolBytes,
// lower if set_retained_limit says so); retained_bytes() counts it.
#pragma once

#include <cstddef>

namespace tessera::detail {

inline constexpr std::size_t kScratchPoolBytes = std::size_t{64} << 20;

struct ScratchBlock {
  void* memory = nullptr;
  std::size_t bytes = 0;
};

// The smallest pooled block of at least `bytes` (one this thread gave back
// first, if one is at most twice that), else a new 64-byte aligned one.
// Throws std::bad_alloc.
ScratchBlock take_scratch(std::size_t bytes);
// Back to the pool, or freed if the pool is full.
void give_scratch(ScratchBlock block) noexcept;

std::size_t scratch_pool_bytes();
void release_scratch_pool();
std::size_t scratch_pool_cap();
void set_scratch_pool_cap(std::size_t bytes);

}  // namespace tessera::detail

#include "tessera/workspace.hpp"

namespace tessera::detail {

// Idle workspaces: a run's contexts take whole ones (slots grown by earlier
// runs) and give them back when it ends; capped like the pool, counted by
// retained_bytes(), freed by release_memory(), emptied in a forked child.
Workspace take_workspace();
void give_workspace(Workspace&& workspace) noexcept;
std::size_t idle_workspace_bytes();
void release_idle_workspaces();
void set_idle_workspace_cap(std::size_t bytes);

}  // namespace tessera::detail
