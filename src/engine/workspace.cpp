// Workspaces and the engine's pool of idle ones. A run's tile contexts each
// take a whole workspace (its slots already grown by earlier runs) and give
// it back when the run ends; idle workspaces count toward retained_bytes(),
// are capped with set_retained_limit() and freed by release_memory().
#include "tessera/workspace.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
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
    std::free(s.memory);
    s = {};
    const std::size_t alloc = std::max<std::size_t>(64, (bytes + 63) / 64 * 64);
    void* memory = std::aligned_alloc(64, alloc);
    if (!memory) throw std::bad_alloc();
    s = {memory, alloc};
  }
  return s.memory;
}

std::size_t Workspace::bytes() const {
  std::size_t total = 0;
  for (const Slot& s : slots_) total += s.bytes;
  return total;
}

void Workspace::release() {
  for (Slot& s : slots_) std::free(s.memory);
  slots_.clear();
}

namespace detail {

namespace {

struct IdleWorkspaces {
  std::mutex mutex;
  std::vector<Workspace> idle;  // most recently given back last
  std::size_t bytes = 0;
  std::size_t cap = kScratchPoolBytes;

  static IdleWorkspaces& get() {
    static IdleWorkspaces* pool = [] {
      auto* p = new IdleWorkspaces;  // never destroyed: a run may end after static destructors run
      // A forked child must not inherit the mutex locked by another thread,
      // and starts with nothing kept.
      pthread_atfork([] { get().mutex.lock(); }, [] { get().mutex.unlock(); },
                     [] {
                       IdleWorkspaces& w = get();
                       w.idle.clear();
                       w.bytes = 0;
                       w.mutex.unlock();
                     });
      return p;
    }();
    return *pool;
  }

  // Frees idle workspaces, oldest first, until at most `limit` bytes are idle.
  void trim(std::size_t limit) {
    while (bytes > limit && !idle.empty()) {
      bytes -= idle.front().bytes();
      idle.erase(idle.begin());
    }
  }
};

}  // namespace

Workspace take_workspace() {
  IdleWorkspaces& w = IdleWorkspaces::get();
  std::lock_guard lock(w.mutex);
  if (w.idle.empty()) return Workspace();
  Workspace ws = std::move(w.idle.back());
  w.idle.pop_back();
  w.bytes -= ws.bytes();
  return ws;
}

void give_workspace(Workspace&& workspace) noexcept {
  if (workspace.bytes() == 0) return;
  IdleWorkspaces& w = IdleWorkspaces::get();
  try {
    std::lock_guard lock(w.mutex);
    w.bytes += workspace.bytes();
    w.idle.push_back(std::move(workspace));
    w.trim(w.cap);
  } catch (...) {  // no memory for the list: the workspace is freed with its owner
  }
}

std::size_t idle_workspace_bytes() {
  IdleWorkspaces& w = IdleWorkspaces::get();
  std::lock_guard lock(w.mutex);
  return w.bytes;
}

void release_idle_workspaces() {
  IdleWorkspaces& w = IdleWorkspaces::get();
  std::lock_guard lock(w.mutex);
  w.trim(0);
}

void set_idle_workspace_cap(std::size_t bytes) {
  IdleWorkspaces& w = IdleWorkspaces::get();
  std::lock_guard lock(w.mutex);
  w.cap = bytes;
  w.trim(bytes);
}

}  // namespace detail

}  // namespace tessera
