#include "connector/held_lease.hpp"

#include <utility>

namespace connector {

HeldLease::HeldLease(WorkQueueStore& store, std::string name, std::string owner,
                     std::chrono::milliseconds duration)
    : store_(store), name_(std::move(name)), owner_(std::move(owner)), duration_(duration) {}

HeldLease::~HeldLease() {
    release();
}

bool HeldLease::hold() {
    const auto now = std::chrono::steady_clock::now();
    if (asked_ && now - asked_at_ < duration_ / 2)
        return held_;
    held_ = store_.hold_lease(name_, owner_, duration_);
    asked_ = true;
    asked_at_ = now;
    return held_;
}

void HeldLease::release() noexcept {
    if (!held_)
        return;
    held_ = false;
    asked_ = false;
    try {
        store_.release_lease(name_, owner_);
    } catch (const std::exception&) {
        // it expires by itself
    }
}

}  // namespace connector
