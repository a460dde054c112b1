// A named lease of the store (WorkQueueStore::hold_lease) held by this process: the poll of a
// message type, delivery tracking, a webhook target's dispatch. hold() takes or renews
// it, asking the store at most every half lease (in between, the last answer stands);
// the destructor gives it back, so that another daemon may take its turn at once.
#pragma once

#include <chrono>
#include <string>

#include "connector/store.hpp"

namespace connector {

class HeldLease {
  public:
    HeldLease(WorkQueueStore& store, std::string name, std::string owner,
              std::chrono::milliseconds duration);
    ~HeldLease();
    HeldLease(const HeldLease&) = delete;
    HeldLease& operator=(const HeldLease&) = delete;

    // True while this owner holds it (taken free or expired, or renewed).
    bool hold();
    // The last answer, without asking the store.
    bool held_now() const { return held_; }
    // Gives it back now, if held; errors are left to expiry.
    void release() noexcept;

  private:
    WorkQueueStore& store_;
    std::string name_;
    std::string owner_;
    std::chrono::milliseconds duration_;
    bool held_ = false;
    bool asked_ = false;
    std::chrono::steady_clock::time_point asked_at_;
};

}  // namespace connector
