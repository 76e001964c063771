#include "core/large_blocks.hpp"

#include "tessera/memory.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace tessera::detail {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t whole_pages(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

// Mapped directly rather than through malloc, so that unmapping returns the
// memory to the system at once (glibc keeps large frees in its heaps once its
// adaptive mmap threshold has grown past them).
void* map_block(std::size_t bytes) {
  // One page more than asked, trimmed to a 2 MiB boundary, so that huge pages can back all of it.
  const std::size_t span = bytes + kHugePage;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* const base = static_cast<std::byte*>(p);
  const std::size_t skip = (kHugePage - reinterpret_cast<std::uintptr_t>(p) % kHugePage) % kHugePage;
  std::byte* const aligned = base + skip;
  if (skip) munmap(base, skip);
  if (const std::size_t tail = span - skip - bytes) munmap(aligned + bytes, tail);
  madvise(aligned, bytes, MADV_HUGEPAGE);
  return aligned;
}

struct Idle {
  void* block;
  std::size_t bytes;
  Clock::time_point since;
};

void unmap_all(const std::vector<Idle>& blocks) {
  for (const auto& b : blocks) munmap(b.block, b.bytes);
}

// An eighth of physical memory, at most 4 GiB.
std::size_t default_cap() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const std::size_t physical = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
  return std::min<std::size_t>(physical / 8, std::size_t{4} << 30);
}

struct Cache {
  std::mutex mutex;
  std::condition_variable wake;
  std::vector<Idle> idle;  // in the order they were given back: oldest first
  std::size_t bytes = 0;
  std::chrono::milliseconds retention = kLargeBlockRetention;
  std::size_t cap = default_cap();
  bool releaser_running = false;

  static Cache& get() {
    static Cache* cache = [] {
      auto* c = new Cache;  // never destroyed: buffers may be freed after static destructors run
      // A forked child has the parent's blocks but not its releaser thread,
      // and must not inherit the mutex locked by another thread: the child
      // unmaps the blocks at once and starts a releaser when it needs one.
      pthread_atfork([] { get().mutex.lock(); }, [] { get().mutex.unlock(); },
                     [] {
                       Cache& c = get();
                       unmap_all(c.idle);
                       c.idle.clear();
                       c.bytes = 0;
                       c.releaser_running = false;
                       new (&c.wake) std::condition_variable;  // no thread of the child waits on it
                       c.mutex.unlock();
                     });
      return c;
    }();
    return *cache;
  }

  // Removes the oldest idle blocks until at least `wanted` bytes are removed (or none is left).
  std::vector<Idle> evict_oldest(std::size_t wanted) {
    std::vector<Idle> out;
    std::size_t freed = 0;
    auto it = idle.begin();
    for (; it != idle.end() && freed < wanted; ++it) {
      freed += it->bytes;
      out.push_back(*it);
    }
    idle.erase(idle.begin(), it);
    bytes -= freed;
    return out;
  }

  // The releaser: unmaps each block once it has been idle for `retention`.
  void release_when_idle() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (idle.empty()) {
        wake.wait(lock);
        continue;
      }
      const auto now = Clock::now();
      const auto due = idle.front().since + retention;
      if (now < due) {
        wake.wait_until(lock, due);
        continue;
      }
      std::size_t n = 0;
      while (n < idle.size() && idle[n].since + retention <= now) ++n;
      std::vector<Idle> expired(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n));
      idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n));
      for (const auto& b : expired) bytes -= b.bytes;
      lock.unlock();
      unmap_all(expired);
      lock.lock();
    }
  }
};

}  // namespace

void* take_large_block(std::size_t bytes) {
  const std::size_t size = whole_pages(bytes);
  Cache& c = Cache::get();
  std::vector<Idle> evicted;
  {
    std::lock_guard lock(c.mutex);
    // The newest block of this size: its pages were touched last.
    for (auto it = c.idle.rbegin(); it != c.idle.rend(); ++it) {
      if (it->bytes != size) continue;
      void* block = it->block;
      c.idle.erase(std::next(it).base());
      c.bytes -= size;
      return block;
    }
    // None fits: idle blocks of other sizes make room first, so the process
    // holds no more than it would without them.
    evicted = c.evict_oldest(size);
  }
  unmap_all(evicted);
  return map_block(size);
}

void give_large_block(void* block, std::size_t bytes) noexcept {
  const std::size_t size = whole_pages(bytes);
  Cache& c = Cache::get();
  std::vector<Idle> evicted;
  bool kept = false;
  try {
    std::lock_guard lock(c.mutex);
    if (size <= c.cap) {
      if (c.bytes + size > c.cap) evicted = c.evict_oldest(c.bytes + size - c.cap);
      if (!c.releaser_running) {
        std::thread([&c] { c.release_when_idle(); }).detach();
        c.releaser_running = true;
      }
      c.idle.push_back(Idle{block, size, Clock::now()});
      c.bytes += size;
      kept = true;
      c.wake.notify_one();
    }
  } catch (...) {  // no memory or no thread for the bookkeeping: the block goes back now
  }
  if (!kept) munmap(block, size);
  unmap_all(evicted);
}

std::size_t retained_large_bytes() {
  Cache& c = Cache::get();
  std::lock_guard lock(c.mutex);
  return c.bytes;
}

void release_large_blocks() {
  Cache& c = Cache::get();
  std::vector<Idle> all;
  {
    std::lock_guard lock(c.mutex);
    all.swap(c.idle);
    c.bytes = 0;
  }
  unmap_all(all);
}

std::size_t large_block_cap() {
  Cache& c = Cache::get();
  std::lock_guard lock(c.mutex);
  return c.cap;
}

void set_large_block_cap(std::size_t cap) {
  Cache& c = Cache::get();
  std::vector<Idle> evicted;
  {
    std::lock_guard lock(c.mutex);
    c.cap = cap;
    if (c.bytes > cap) evicted = c.evict_oldest(c.bytes - cap);
  }
  unmap_all(evicted);
}

void set_large_block_limits(std::chrono::milliseconds retention, std::size_t cap) {
  {
    Cache& c = Cache::get();
    std::lock_guard lock(c.mutex);
    c.retention = retention;
    c.wake.notify_one();
  }
  set_large_block_cap(cap);
}

}  // namespace tessera::detail
