// A wake-up between threads of one process: whoever changes tasks (the daemon's passes,
// the API's mutating calls) notifies; whoever waits for changes (the feed's long poll,
// the webhook dispatcher) wakes at once instead of at its next look at the store.
// Waiters still look at the store on a short period, for changes made by another
// process (a CLI command, a second daemon).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace http_api {

class ChangeSignal {
  public:
    void notify() {
        {
            std::lock_guard lock(mutex_);
            ++generation_;
        }
        changed_.notify_all();
    }

    std::uint64_t generation() const {
        std::lock_guard lock(mutex_);
        return generation_;
    }

    // Returns when the generation moves past `seen`, or after `timeout`; the generation.
    std::uint64_t wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return generation_ != seen; });
        return generation_;
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::uint64_t generation_ = 0;
};

}  // namespace http_api
