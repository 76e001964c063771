// The one interrupt flag. The scheduler polls it before each tile: a relaxed
// load that costs nothing beside a tile's work, and bounds the time from a
// request to the stop by one tile per worker.
#include "tessera/interrupt.hpp"

#include <atomic>

namespace tessera {
namespace {
std::atomic<bool> interrupt_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_interrupt must be async-signal-safe");
}  // namespace

void request_interrupt() noexcept { interrupt_flag.store(true, std::memory_order_relaxed); }
bool interrupt_requested() noexcept { return interrupt_flag.load(std::memory_order_relaxed); }
void clear_interrupt() noexcept { interrupt_flag.store(false, std::memory_order_relaxed); }

}  // namespace tessera
