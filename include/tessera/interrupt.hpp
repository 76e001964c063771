// Stopping running work from outside it: a signal handler (Ctrl-C), a GUI's
// cancel button or a watchdog asks, and every computation in the process
// stops at its next tile with tessera::Interrupted. Outputs being written are
// abandoned as on any other error: no partial file is left.
#pragma once

namespace tessera {

// Asks every running computation to stop. Async-signal-safe (one atomic
// store), so it may be called from a signal handler.
void request_interrupt() noexcept;

// Whether an interrupt is pending. Computations that start while one is
// pending stop at their first tile, until clear_interrupt().
bool interrupt_requested() noexcept;

// Withdraws a pending interrupt (once the interrupted work has ended).
void clear_interrupt() noexcept;

}  // namespace tessera
