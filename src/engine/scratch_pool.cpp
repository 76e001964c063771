#include "engine/scratch_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace tessera::detail {

namespace {

// Which thread gave a block back: a thread asking for one takes its own
// first, whose lines are likely still in its core's cache (map_tiles'
// numpy temporaries, a megabyte each tile after tile, crossed cores and ran
// at 1.2x on two threads instead of 1.8x).
std::uint64_t this_thread_tag() {
  static std::atomic<std::uint64_t> next{1};
  thread_local const std::uint64_t tag = next.fetch_add(1, std::memory_order_relaxed);
  return tag;
}

struct Kept {
  ScratchBlock block;
  std::uint64_t thread;
};

struct Pool {
  std::mutex mutex;
  std::vector<Kept> free;
  std::size_t bytes = 0;
  std::size_t cap = kScratchPoolBytes;

  static Pool& get() {
    static Pool* pool = [] {
      auto* p = new Pool;  // never destroyed: a run may end after static destructors run
      // A forked child must not inherit the mutex locked by another thread;
      // and, as with large blocks, it starts with nothing kept.
      pthread_atfork([] { get().mutex.lock(); }, [] { get().mutex.unlock(); },
                     [] {
                       Pool& pool = get();
                       pool.trim(0);
                       pool.mutex.unlock();
                     });
      return p;
    }();
    return *pool;
  }

  // Frees pooled blocks, largest first, until the pool holds at most `limit`.
  void trim(std::size_t limit) {
    std::sort(free.begin(), free.end(), [](const Kept& a, const Kept& b) { return a.block.bytes < b.block.bytes; });
    while (bytes > limit && !free.empty()) {
      bytes -= free.back().block.bytes;
      std::free(free.back().block.memory);
      free.pop_back();
    }
  }
};

}  // namespace

ScratchBlock take_scratch(std::size_t bytes) {
  {
    Pool& p = Pool::get();
    const std::uint64_t me = this_thread_tag();
    std::lock_guard lock(p.mutex);
    // The smallest that fits; first, this thread's own of at most twice
    // the size.
    auto own = [&](const Kept& k) { return k.thread == me && k.block.bytes / 2 <= bytes; };
    auto better = [&](const Kept& a, const Kept& b) {
      return own(a) != own(b) ? own(a) : a.block.bytes < b.block.bytes;
    };
    auto best = p.free.end();
    for (auto it = p.free.begin(); it != p.free.end(); ++it)
      if (it->block.bytes >= bytes && (best == p.free.end() || better(*it, *best))) best = it;
    if (best != p.free.end()) {
      const ScratchBlock b = best->block;
      p.free.erase(best);
      p.bytes -= b.bytes;
      return b;
    }
  }
  const std::size_t alloc = std::max<std::size_t>(64, (bytes + 63) / 64 * 64);
  void* memory = std::aligned_alloc(64, alloc);
  if (!memory) throw std::bad_alloc();
  return {memory, alloc};
}

void give_scratch(ScratchBlock block) noexcept {
  if (!block.memory) return;
  Pool& p = Pool::get();
  std::lock_guard lock(p.mutex);
  if (p.bytes + block.bytes > p.cap) {
    std::free(block.memory);
    return;
  }
  p.bytes += block.bytes;
  p.free.push_back({block, this_thread_tag()});
}

std::size_t scratch_pool_bytes() {
  Pool& p = Pool::get();
  std::lock_guard lock(p.mutex);
  return p.bytes;
}

void release_scratch_pool() {
  Pool& p = Pool::get();
  std::lock_guard lock(p.mutex);
  p.trim(0);
}

std::size_t scratch_pool_cap() {
  Pool& p = Pool::get();
  std::lock_guard lock(p.mutex);
  return p.cap;
}

void set_scratch_pool_cap(std::size_t bytes) {
  Pool& p = Pool::get();
  std::lock_guard lock(p.mutex);
  p.cap = bytes;
  p.trim(bytes);
}

}  // namespace tessera::detail
