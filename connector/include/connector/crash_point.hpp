// Crash points for the crash-safety tests: CONNECTOR_CRASH_AT=name[:n] kills the process
// with SIGKILL the n-th time (default: the first) it reaches `crash_point("name")`, so a
// test can stop a daemon exactly between two steps (stored / acknowledged, sent /
// recorded). Unset, a crash point costs one comparison.
#pragma once

namespace connector {

void crash_point(const char* name);

}  // namespace connector
