// Pushes the change feed to iDesk: each event, in sequence order, POSTed to one URL with
// X-Connector-Event-Seq, X-Connector-Timestamp and X-Connector-Signature (sha256=HMAC of
// "<timestamp>.<body>" with the shared secret). A failed delivery is retried after a
// capped exponential backoff with full jitter, and later events wait for it, so that
// iDesk applies them in order; an event still undelivered `give_up_after` after it
// happened is abandoned (it stays in the feed) and the next one is tried. Where each
// delivery stands is kept in webhook_deliveries, so a restart neither loses nor re-sends
// what was acknowledged (an acknowledgement lost in a crash is re-sent: iDesk drops
// sequences it has seen).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/URI.h>

#include "connector/held_lease.hpp"
#include "connector/store.hpp"
#include "http_api/change_signal.hpp"

namespace idesk {

struct WebhookSettings {
    std::string url;  // http:// or https://
    std::string secret;
    std::string ca_file;  // https: the CA to trust (empty: the system's)
    std::chrono::milliseconds timeout{10'000};
    std::chrono::milliseconds retry_base{1'000};
    std::chrono::milliseconds retry_cap{60'000};
    std::chrono::seconds give_up_after{24 * 3600};
    // How often the store is looked at when nothing in this process signalled a change.
    std::chrono::milliseconds idle_check{250};
    // Several daemons of one database: one of them delivers to a target at a time, under
    // the store's lease "webhook <target>", so that each event goes out once, not once
    // per daemon. A dead holder's turn passes after `lease` (at least three `timeout`s,
    // so that a delivery in hand never outlives it).
    std::string lease_owner = "webhooks";
    std::chrono::milliseconds lease{30'000};
};

// What the dispatcher did goes to the daemon's log: webhook.delivered, webhook.retry…

class WebhookDispatcher {
  public:
    WebhookDispatcher(WebhookSettings settings, std::unique_ptr<connector::Store> store,
                      std::shared_ptr<http_api::ChangeSignal> changes);
    ~WebhookDispatcher();  // stops
    WebhookDispatcher(const WebhookDispatcher&) = delete;
    WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

    // Starts the delivery thread. The first time a URL is served, the events already in
    // the store are skipped (recorded `skipped`; they stay in the feed).
    void start();
    // Stops after the delivery in hand (bounded by the timeout).
    void stop();

    // One step, for tests and the thread: delivers (or retries, or abandons) the next
    // due event. Returns false when nothing was due.
    bool deliver_next();

    // The signature header's value for a body sent at `timestamp` (Unix seconds).
    static std::string signature(const std::string& secret, const std::string& timestamp,
                                 const std::string& body);

  private:
    void run();
    WebhookSettings settings_;
    std::unique_ptr<connector::Store> store_;
    std::shared_ptr<http_api::ChangeSignal> changes_;
    Poco::URI uri_;                // settings_.url, parsed once
    std::string target_;           // the URL without its query
    Poco::Net::Context::Ptr tls_;  // https: made once
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::uint64_t seed_;
    // The delivery lease "webhook <target>" (made once the target is known).
    std::unique_ptr<connector::HeldLease> lease_;
    bool hold_lease();
};

}  // namespace idesk
