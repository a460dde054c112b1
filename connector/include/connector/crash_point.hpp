// Crash points for the crash-safety tests: CONNECTOR_CRASH_AT=name[:n] kills the process
// with SIGKILL the n-th time (default: the first) it reaches `crash_point("name")`, so a
// test can stop a daemon exactly between two steps (stored / acknowledged, sent /
// recorded). Unset, a crash point costs one comparison.
//
// In-process tests interleave two daemons the same way: a hook set with
// `set_crash_point_hook` runs at every crash point reached, and may throw to end the
// work in hand there (a daemon that died at that step).
#pragma once

#include <functional>

namespace connector {

void crash_point(const char* name);

// Tests only; set while no other thread is at a crash point. Empty: none.
void set_crash_point_hook(std::function<void(const char* name)> hook);

}  // namespace connector
