// The memory tessera keeps for reuse after its buffers are freed.
#pragma once

#include <cstddef>

namespace tessera {

// Bytes kept for reuse: freed large buffers (8 MiB and more), kept for the
// next buffer of their size, each returned to the system after 2 s unused and
// together capped at an eighth of physical memory (at most 4 GiB); and the
// engine's scratch pool (the tile scratch and workspaces of finished runs, at
// most 64 MiB).
std::size_t retained_bytes();

// Returns every kept buffer and the scratch pool to the system now.
void release_memory();

// The cap on kept large buffers (by default an eighth of physical memory, at
// most 4 GiB; the scratch pool keeps at most the smaller of it and 64 MiB);
// setting it lower returns what is kept beyond it now, 0 keeps nothing.
std::size_t retained_limit();
void set_retained_limit(std::size_t bytes);

}  // namespace tessera
