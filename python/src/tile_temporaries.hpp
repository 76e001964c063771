// The memory of the arrays a map_tiles function makes (tile_temporaries.cpp).
#pragma once

#include <Python.h>

namespace tessera::python {

// While one lives (made and destroyed with the GIL held, on one thread), the
// numpy arrays this thread's context makes take their memory from tessera:
// blocks of 64 KiB and more that a tile frees are kept in the engine's
// scratch pool for the next tile's. Arrays that outlive it keep working and
// are freed through the same hook whenever they go.
class TileTemporaries {
 public:
  TileTemporaries();
  ~TileTemporaries();
  TileTemporaries(const TileTemporaries&) = delete;
  TileTemporaries& operator=(const TileTemporaries&) = delete;

 private:
  PyObject* previous_ = nullptr;  // the context's handler before, restored after
};

}  // namespace tessera::python
