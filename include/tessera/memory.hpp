// The memory tessera keeps for reuse after its buffers are freed.
#pragma once

#include <cstddef>

namespace tessera {

// Bytes of freed large buffers (8 MiB and more) kept for the next buffer of
// their size. Each is returned to the system after 2 s unused, and the total
// is capped at an eighth of physical memory (at most 4 GiB).
std::size_t retained_bytes();

// Returns every kept buffer to the system now.
void release_memory();

// The cap on kept bytes (by default an eighth of physical memory, at most
// 4 GiB); setting it lower returns what is kept beyond it now, 0 keeps nothing.
std::size_t retained_limit();
void set_retained_limit(std::size_t bytes);

}  // namespace tessera
