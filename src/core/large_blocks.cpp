#include "core/large_blocks.hpp"

#include "core/thread_pool.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <new>
#include <optional>
#include <vector>

namespace tessera::detail {
namespace {

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
  std::vector<Idle> idle;  // in the order they were given back: oldest first
  std::size_t bytes = 0;
  std::chrono::milliseconds retention = kLargeBlockRetention;
  std::size_t cap = default_cap();
  std::multiset<Clock::time_point> checks;  // when release checks are due (on the pool's background thread)

  static Cache& get() {
    static Cache* cache = [] {
      auto* c = new Cache;  // never destroyed: buffers may be freed after static destructors run
      // A forked child has the parent's blocks but not its background
      // thread's checks, and must not inherit the mutex locked by another
      // thread: the child unmaps the blocks at once.
      pthread_atfork([] { get().mutex.lock(); }, [] { get().mutex.unlock(); },
                     [] {
                       Cache& c = get();
                       unmap_all(c.idle);
                       c.idle.clear();
                       c.bytes = 0;
                       c.checks.clear();
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

  // Whether a check is needed at `due`: none is due by then already. With
  // the mutex held; the caller asks for it (ask_check) after unlocking, so
  // that this mutex is never held while the pool's is taken.
  std::optional<Clock::time_point> plan_check(Clock::time_point due) {
    if (!checks.empty() && *checks.begin() <= due) return std::nullopt;
    checks.insert(due);
    return due;
  }

  void ask_check(std::optional<Clock::time_point> due) {
    if (!due) return;
    const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(*due - Clock::now());
    run_later(delay + std::chrono::milliseconds(1), [this, at = *due] { release_expired(at); });
  }

  // A check, on the pool's background thread: unmaps each block idle for
  // `retention`, and asks for the next check while blocks remain.
  void release_expired(Clock::time_point due) {
    std::vector<Idle> expired;
    std::optional<Clock::time_point> next;
    {
      std::lock_guard lock(mutex);
      if (auto it = checks.find(due); it != checks.end()) checks.erase(it);
      const auto now = Clock::now();
      std::size_t n = 0;
      while (n < idle.size() && idle[n].since + retention <= now) ++n;
      expired.assign(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n));
      idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n));
      for (const auto& b : expired) bytes -= b.bytes;
      if (!idle.empty()) next = plan_check(idle.front().since + retention);
    }
    unmap_all(expired);
    ask_check(next);
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
  std::optional<Clock::time_point> check;
  try {
    std::lock_guard lock(c.mutex);
    if (size <= c.cap) {
      if (c.bytes + size > c.cap) evicted = c.evict_oldest(c.bytes + size - c.cap);
      const auto now = Clock::now();
      c.idle.push_back(Idle{block, size, now});
      c.bytes += size;
      kept = true;
      check = c.plan_check(now + c.retention);
    }
  } catch (...) {  // no memory or no thread for the bookkeeping: the block goes back now
  }
  if (!kept) munmap(block, size);
  unmap_all(evicted);
  try {
    c.ask_check(check);
  } catch (...) {  // no memory to queue the check: the next block given back asks again
    std::lock_guard lock(c.mutex);
    if (check) c.checks.erase(*check);
  }
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
  Cache& c = Cache::get();
  std::optional<Clock::time_point> check;
  {
    std::lock_guard lock(c.mutex);
    c.retention = retention;
    if (!c.idle.empty()) check = c.plan_check(c.idle.front().since + retention);
  }
  c.ask_check(check);
  set_large_block_cap(cap);
}

}  // namespace tessera::detail
