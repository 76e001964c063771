// The one place in tessera that owns threads: a process-wide pool of workers
// that grows to the largest `threads=` ever asked for, and `parallel_for`;
// and one long-lived background thread for a stream's writes and timed
// housekeeping. Nothing else in tessera starts a thread.
//
// Written by hand rather than taken from oneTBB because the engine needs only
// this one primitive, with a worker index per call (to give each worker its own
// scratch) and "first error stops the run, rethrown once" semantics; a caller
// always works on its own tasks too, so nested calls cannot deadlock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>

namespace tessera::detail {

// The number of threads used when a call says threads=None/0: the machine's
// cores, or TESSERA_NUM_THREADS when set.
int default_thread_count();

// Resolves a `threads=` argument: 0 or negative means the default; otherwise
// the value itself (at most 1024).
int resolve_threads(int threads);

// Runs body(task, worker) for every task in [0, n_tasks) on up to `threads`
// workers, the calling thread among them; `worker` is in [0, threads) and no two
// tasks run on the same worker at once. Tasks are handed out in increasing
// order. The first exception stops the hand-out; it is rethrown here once every
// running task has ended.
void parallel_for(std::int64_t n_tasks, int threads,
                  const std::function<void(std::int64_t task, int worker)>& body);

using Clock = std::chrono::steady_clock;

// Runs `job` on the pool's background thread, after the jobs given before
// it: a stream's file writes overlap the compute of its next band. get() on
// the result waits and rethrows the job's exception.
std::future<void> run_in_background(std::function<void()> job);

// Runs `job` to completion on a thread with a stack of `stack_bytes` (joined
// before returning; its exception rethrown here): for recursive work over
// trees as deep as a user's expression is long (a 100,000-term sum).
void run_on_deep_stack(std::size_t stack_bytes, const std::function<void()>& job);

// How much larger stack frames are in this build: AddressSanitizer's
// redzones make them about four times the size (make sanitize).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr std::size_t kStackFrameScale = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr std::size_t kStackFrameScale = 4;
#else
inline constexpr std::size_t kStackFrameScale = 1;
#endif
#else
inline constexpr std::size_t kStackFrameScale = 1;
#endif

// Runs `job` on the background thread once `delay` has passed (between
// other jobs); an exception from it is dropped.
void run_later(std::chrono::milliseconds delay, std::function<void()> job);

}  // namespace tessera::detail
