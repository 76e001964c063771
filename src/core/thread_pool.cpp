#include "core/thread_pool.hpp"

#include "tessera/error.hpp"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace tessera::detail {

namespace {

struct Job {
  std::int64_t n_tasks = 0;
  const std::function<void(std::int64_t, int)>* body = nullptr;
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex mutex;  // guards error, helpers_active
  std::condition_variable done;
  int helpers_wanted = 0;
  int helpers_joined = 0;  // guarded by the pool's mutex
  int helpers_active = 0;

  // Claims and runs tasks until none are left or one has failed.
  void work(int worker) {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::int64_t task = next.fetch_add(1, std::memory_order_relaxed);
      if (task >= n_tasks) return;
      try {
        (*body)(task, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  }
};

class Pool {
 public:
  static Pool& instance() {
    // Never destroyed: worker threads may outlive static destruction order.
    static Pool* pool = [] {
      auto* p = new Pool();
      pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                     [] { instance().forget_threads_in_child(); });
      return p;
    }();
    return *pool;
  }

  void run(const std::shared_ptr<Job>& job) {
    if (job->helpers_wanted > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      while (static_cast<int>(threads_.size()) < job->helpers_wanted)
        threads_.emplace_back([this] { worker_loop(); });
      queue_.push_back(job);
    }
    cv_.notify_all();
    job->work(0);
    // No new helper may join once the caller ran out of tasks.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = queue_.begin(); it != queue_.end(); ++it)
        if (it->get() == job.get()) {
          queue_.erase(it);
          break;
        }
    }
    std::unique_lock<std::mutex> lock(job->mutex);
    job->done.wait(lock, [&] { return job->helpers_active == 0; });
  }

 private:
  void worker_loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      int worker = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        job = queue_.front();
        worker = ++job->helpers_joined;
        if (job->helpers_joined >= job->helpers_wanted) queue_.pop_front();
        std::lock_guard<std::mutex> job_lock(job->mutex);
        ++job->helpers_active;
      }
      job->work(worker);
      std::lock_guard<std::mutex> job_lock(job->mutex);
      if (--job->helpers_active == 0) job->done.notify_all();
    }
  }

  // A forked child has none of the workers, and a condition variable their
  // waits left behind would block its first notify: it starts afresh, and
  // its first parallel call starts its own workers. (The forking thread
  // holds mutex_, taken in the prepare handler.)
  void forget_threads_in_child() {
    // The parent's threads, condition variable and queued jobs are left
    // behind, not destroyed: destroying them could wait for waiters that do
    // not exist here.
    new (&threads_) std::vector<std::thread>();
    new (&cv_) std::condition_variable();
    new (&queue_) std::deque<std::shared_ptr<Job>>();
    mutex_.unlock();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::thread> threads_;  // detached in spirit: the pool lives forever
};

}  // namespace

int default_thread_count() {
  if (const char* env = std::getenv("TESSERA_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || n < 1)
      throw ValueError(std::string("TESSERA_NUM_THREADS must be a positive integer, got '") + env + "'");
    return static_cast<int>(std::min<long>(n, 1024));
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

int resolve_threads(int threads) {
  if (threads <= 0) return default_thread_count();
  return std::min(threads, 1024);
}

void parallel_for(std::int64_t n_tasks, int threads,
                  const std::function<void(std::int64_t, int)>& body) {
  if (n_tasks <= 0) return;
  threads = resolve_threads(threads);
  auto job = std::make_shared<Job>();
  job->n_tasks = n_tasks;
  job->body = &body;
  job->helpers_wanted = static_cast<int>(std::min<std::int64_t>(threads, n_tasks)) - 1;
  Pool::instance().run(job);
  if (job->error) std::rethrow_exception(job->error);
}

namespace {

// The pool's one long-lived background thread: jobs in the order given (a
// stream's file writes, one band after another), and jobs due at a time
// (large_blocks returning idle memory). Started on first use; never ends.
class Background {
 public:
  static Background& instance() {
    static Background* b = [] {
      auto* p = new Background();  // never destroyed, as the pool
      pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                     [] { instance().forget_thread_in_child(); });
      return p;
    }();
    return *b;
  }

  void post(std::function<void()> job, Clock::time_point due) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) {
        thread_ = std::thread([this] { loop(); });
        started_ = true;
      }
      if (due == Clock::time_point{}) now_.push_back(std::move(job));
      else later_.emplace(due, std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      std::function<void()> job;
      if (!now_.empty()) {
        job = std::move(now_.front());
        now_.pop_front();
      } else if (!later_.empty() && later_.begin()->first <= Clock::now()) {
        job = std::move(later_.begin()->second);
        later_.erase(later_.begin());
      } else if (!later_.empty()) {
        const auto due = later_.begin()->first;
        cv_.wait_until(lock, due);
        continue;
      } else {
        cv_.wait(lock);
        continue;
      }
      lock.unlock();
      job();  // a job reports its own errors (a packaged task keeps them for its future)
      job = nullptr;  // what it captured is released before the lock is taken again
      lock.lock();
    }
  }

  // As for the workers: a forked child has no background thread; its queue
  // and condition variable are left behind, and its first job starts its own.
  void forget_thread_in_child() {
    new (&thread_) std::thread();
    new (&cv_) std::condition_variable();
    new (&now_) std::deque<std::function<void()>>();
    new (&later_) std::multimap<Clock::time_point, std::function<void()>>();
    started_ = false;
    mutex_.unlock();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> now_;
  std::multimap<Clock::time_point, std::function<void()>> later_;
  std::thread thread_;  // detached in spirit: lives as long as the process
  bool started_ = false;
};

}  // namespace

std::future<void> run_in_background(std::function<void()> job) {
  auto task = std::make_shared<std::packaged_task<void()>>(std::move(job));
  std::future<void> result = task->get_future();
  Background::instance().post([task] { (*task)(); }, Clock::time_point{});
  return result;
}

void run_on_deep_stack(std::size_t stack_bytes, const std::function<void()>& job) {
  struct Call {
    const std::function<void()>* job;
    std::exception_ptr error;
  } call{&job, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* p) -> void* {
        auto* c = static_cast<Call*>(p);
        try {
          (*c->job)();
        } catch (...) {
          c->error = std::current_exception();
        }
        return nullptr;
      },
      &call);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    job();  // no thread to be had: the caller's own stack
    return;
  }
  pthread_join(thread, nullptr);
  if (call.error) std::rethrow_exception(call.error);
}

void run_later(std::chrono::milliseconds delay, std::function<void()> job) {
  Background::instance().post(
      [job = std::move(job)] {
        try {
          job();
        } catch (...) {  // housekeeping: nobody to report to, and the next run tries again
        }
      },
      Clock::now() + delay);
}

}  // namespace tessera::detail
