// numpy's memory for the arrays a map_tiles function makes, through numpy's
// allocator hook (NEP 49, numpy >= 1.22): blocks one tile frees are kept in
// the engine's scratch pool (engine/scratch_pool.hpp, capped, counted by
// retained_bytes()) for the next tile, rather than handed back to the system.
//
// Why: glibc returns a freed block of a megabyte to the system (an mmap of its
// own, or its heap's top beyond the trim threshold), so the next tile's
// temporaries fault every page in again and the kernel zeroes it. On this VM
// sqrt(t) * sin(t) + exp(-t) over 8192^2 float32 in 512^2 tiles took 1.7 s on
// one thread, nine tenths of it in page faults, and 0.18 s with glibc told to
// keep its memory (GLIBC_TUNABLES) — a process-wide setting a library must not
// make. The hook is set per tile on the calling thread's context only.
#include "tile_temporaries.hpp"

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "engine/scratch_pool.hpp"

namespace tessera::python {

namespace {

// Every block starts with this header, 64 bytes so that numpy's data stays
// 64-byte aligned: how many bytes follow it, and whether it came from the
// pool (large) or from malloc (small: many small blocks would only lengthen
// the pool's list).
struct Header {
  std::size_t capacity;
  bool pooled;
};
constexpr std::size_t kHeader = 64;
static_assert(sizeof(Header) <= kHeader);
constexpr std::size_t kPooledBytes = std::size_t{64} << 10;

Header* header_of(void* data) { return reinterpret_cast<Header*>(static_cast<std::byte*>(data) - kHeader); }

void* allocate(std::size_t size) noexcept {
  const std::size_t want = std::max<std::size_t>(size, 1);
  if (want > std::numeric_limits<std::size_t>::max() - 2 * kHeader) return nullptr;
  void* memory;
  std::size_t capacity;
  bool pooled = want >= kPooledBytes;
  if (pooled) {
    try {
      const detail::ScratchBlock block = detail::take_scratch(want + kHeader);
      memory = block.memory;
      capacity = block.bytes - kHeader;
    } catch (const std::bad_alloc&) {
      return nullptr;  // numpy raises MemoryError
    }
  } else {
    capacity = (want + 63) / 64 * 64;
    memory = std::aligned_alloc(64, capacity + kHeader);
    if (!memory) return nullptr;
  }
  *static_cast<Header*>(memory) = Header{capacity, pooled};
  return static_cast<std::byte*>(memory) + kHeader;
}

void release(void* data) noexcept {
  if (!data) return;
  Header* h = header_of(data);
  if (h->pooled) detail::give_scratch({h, h->capacity + kHeader});
  else std::free(h);
}

void* hook_malloc(void*, std::size_t size) { return allocate(size); }

void* hook_calloc(void*, std::size_t n, std::size_t item) {
  if (item != 0 && n > std::numeric_limits<std::size_t>::max() / item) return nullptr;
  void* data = allocate(n * item);
  if (data) std::memset(data, 0, n * item);
  return data;
}

void* hook_realloc(void*, void* data, std::size_t size) {
  if (!data) return allocate(size);
  const std::size_t capacity = header_of(data)->capacity;
  if (size <= capacity) return data;
  void* moved = allocate(size);
  if (!moved) return nullptr;  // the old block stays numpy's, as realloc leaves it
  std::memcpy(moved, data, capacity);
  release(data);
  return moved;
}

void hook_free(void*, void* data, std::size_t) { release(data); }

PyDataMem_Handler handler = {"tessera_tile_temporaries", 1,
                             {nullptr, hook_malloc, hook_calloc, hook_realloc, hook_free}};

// numpy's C API table (this file's alone) and the handler's capsule, made
// once with the GIL held; the capsule lives as long as the process, since
// arrays made through it hold it.
PyObject* handler_capsule() {
  static PyObject* capsule = [] {
    if (_import_array() < 0) {
      PyErr_Clear();  // reported as the C++ error below
      throw std::runtime_error("map_tiles: numpy's C API could not be loaded");
    }
    PyObject* c = PyCapsule_New(&handler, "mem_handler", nullptr);
    if (!c) throw std::bad_alloc();
    return c;
  }();
  return capsule;
}

}  // namespace

TileTemporaries::TileTemporaries() {
  PyObject* const ours = handler_capsule();  // first: it loads the API table the next call goes through
  previous_ = PyDataMem_SetHandler(ours);
  if (!previous_) {
    PyErr_Clear();  // reported as the C++ error below
    throw std::runtime_error("map_tiles: numpy's allocator hook could not be set");
  }
}

TileTemporaries::~TileTemporaries() {
  PyObject* ours = PyDataMem_SetHandler(previous_);
  Py_XDECREF(ours);
  Py_DECREF(previous_);
  if (!ours) PyErr_Clear();
}

}  // namespace tessera::python
