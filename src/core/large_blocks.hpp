// Memory for large buffers (results, stream bands): mapped from the system in
// whole 2 MiB pages, and kept a short while after it is freed so that the next
// buffer of the same size reuses it.
//
// Why keep it: a fresh mapping costs a page fault and the zeroing of every page
// at first touch, 2-4 ms per 16 MB, and on a VM whose host takes back pages the
// guest has freed, 40 ms or more. A Dask worker computes chunk after chunk of
// one size, and a loop over frames or slices calls the same filter on arrays of
// one shape: each result can land on the memory the last one left. jemalloc
// and tcmalloc keep freed pages for the same reason, with a decay time.
//
// What bounds it: a block is returned to the system once it has been idle for
// kLargeBlockRetention (checked on the thread pool's background thread), and the retained
// total never exceeds a cap, an eighth of physical memory and at most 4 GiB.
// A request that finds no block of its size first unmaps idle blocks of at
// least its size, so that buffers and kept blocks together never hold more
// than buffers alone held at their most.
#pragma once

#include <chrono>
#include <cstddef>

namespace tessera::detail {

// Buffers of at least this many bytes come from here.
inline constexpr std::size_t kLargeBlockMinBytes = std::size_t{8} << 20;
inline constexpr std::chrono::milliseconds kLargeBlockRetention{2000};

// A block of `bytes` (rounded up to whole 2 MiB pages), 2 MiB aligned, with
// transparent huge pages asked for. Its contents are unspecified. Throws
// std::bad_alloc when the system has no memory for it.
void* take_large_block(std::size_t bytes);

// Gives back a block from take_large_block (with the same `bytes`); it is
// kept for reuse or unmapped.
void give_large_block(void* block, std::size_t bytes) noexcept;

// Bytes held for reuse right now.
std::size_t retained_large_bytes();

// Unmaps every block held for reuse now.
void release_large_blocks();

// The cap on the retained total; setting it unmaps kept blocks beyond it now.
std::size_t large_block_cap();
void set_large_block_cap(std::size_t cap);

// Tests: the idle time after which a block is unmapped, and the cap.
void set_large_block_limits(std::chrono::milliseconds retention, std::size_t cap);

}  // namespace tessera::detail
