// The sd_notify(3) protocol without libsystemd: one datagram to $NOTIFY_SOCKET. The
// packaged unit is Type=notify, so systemd counts the daemon started when it says
// READY=1 (its store open, its API listening), not when the process exists.
#pragma once

#include <string_view>

namespace daemon_commands {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=…") to the service manager; false when
// none asked for it (no NOTIFY_SOCKET) or the datagram could not be sent. Never throws.
bool notify_service_manager(std::string_view state) noexcept;

}  // namespace daemon_commands
