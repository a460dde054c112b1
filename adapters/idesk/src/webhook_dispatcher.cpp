#include "idesk/webhook_dispatcher.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/URI.h>

#include <algorithm>
#include <mutex>
#include <random>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "connector/logging.hpp"
#include "connector/secret.hpp"
#include "edxml/attachments.hpp"
#include "http_api/json_views.hpp"
#include "tls/client_context.hpp"

namespace idesk {
namespace {

long long unix_millis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string WebhookDispatcher::signature(const std::string& secret, const std::string& timestamp,
                                         const std::string& body) {
    return "sha256=" + edxml::hmac_sha256_hex(secret, timestamp + "." + body);
}

WebhookDispatcher::WebhookDispatcher(WebhookSettings settings,
                                     std::unique_ptr<connector::Store> store,
                                     std::shared_ptr<http_api::ChangeSignal> changes)
    : settings_(std::move(settings)),
      store_(std::move(store)),
      changes_(changes ? std::move(changes) : std::make_shared<http_api::ChangeSignal>()),
      seed_(std::random_device{}()) {
    // A delivery in hand must not outlive the lease, or another daemon takes it over and
    // delivers the same event again (the HA test saw 53 such doubles with a 1.5 s lease
    // and 10 s deliveries): it is renewed every half lease, so three timeouts suffice.
    settings_.lease = std::max(settings_.lease, 3 * settings_.timeout);
    Poco::URI& uri = uri_;
    try {
        uri = Poco::URI(settings_.url);
    } catch (const Poco::Exception& error) {
        throw connector::ConfigError("webhook.url: '" + connector::redact_url(settings_.url) +
                                     "': " + error.message());
    }
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty())
        throw connector::ConfigError("webhook.url: '" + connector::redact_url(settings_.url) +
                                     "' is not an http:// or https:// URL");
    if (settings_.secret.empty())
        throw connector::ConfigError("webhook.secret_file: the webhook secret is empty");
    // Deliveries are recorded under the URL without its query, which may carry a key.
    target_ = settings_.url.substr(0, settings_.url.find('?'));
    lease_ = std::make_unique<connector::HeldLease>(*store_, "webhook " + target_,
                                                    settings_.lease_owner, settings_.lease);
    if (uri.getScheme() == "https")
        tls_ = tls::verified_client_context(uri.getHost(), settings_.ca_file, "webhook.ca_file");
}

WebhookDispatcher::~WebhookDispatcher() {
    stop();
}

void WebhookDispatcher::start() {
    if (thread_.joinable())
        return;
    // The first time this URL is served, what happened before is in the feed only: a
    // store with years of events does not flood iDesk the day webhooks are turned on.
    // (Decided once per target in the store: a restarted or second daemon, even before
    // anything was delivered, does not skip what came since.)
    if (const std::int64_t last = store_->last_backend_event();
        store_->first_serve_of_webhook_target(target_, last)) {
        if (last > 0) {
            connector::WebhookDelivery skipped;
            skipped.event_sequence = last;
            skipped.state = connector::WebhookState::skipped;
            store_->record_webhook_delivery(target_, skipped);
            // Earlier events are in GET /api/v1/events.
            connector::logging::http.info("WEBHOOK_STARTS_AFTER",
                                          {{"target", target_}, {"event_sequence", last}});
        }
    }
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
    stopping_ = true;
    changes_->notify();
    if (thread_.joinable())
        thread_.join();
    lease_->release();
}

bool WebhookDispatcher::hold_lease() {
    const bool was = lease_->held_now();
    const bool holding = lease_->hold();
    if (holding && !was)
        connector::logging::http.info("WEBHOOK_LEASE_TAKEN", {{"owner", settings_.lease_owner}});
    else if (!holding && was)
        connector::logging::http.info("WEBHOOK_LEASE_LOST", {{"owner", settings_.lease_owner}});
    return holding;
}

void WebhookDispatcher::run() {
    std::uint64_t generation = changes_->generation();
    while (!stopping_) {
        bool delivered = false;
        try {
            delivered = deliver_next();
        } catch (const std::exception& error) {
            connector::logging::store.warning("WEBHOOK_STORE_FAILED", {{"detail", error.what()}});
        }
        if (!delivered)
            generation = changes_->wait(generation, settings_.idle_check);
    }
}

bool WebhookDispatcher::deliver_next() {
    if (!hold_lease())
        return false;  // another daemon of the database delivers to this target
    const auto next = store_->next_webhook_event(target_);
    if (!next)
        return false;
    auto [event, delivery] = *next;
    const long long now = unix_millis();
    if (delivery.next_attempt_at_ms > now)
        return false;  // backing off

    const std::string body = http_api::to_text(http_api::event_json(
        event, *store_, connector::vietnam_date(std::chrono::system_clock::now())));
    const std::string timestamp = std::to_string(now / 1000);
    std::string problem;
    try {
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (tls_) {
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri_.getHost(),
                                                                      uri_.getPort(), tls_);
        } else {
            session =
                std::make_unique<Poco::Net::HTTPClientSession>(uri_.getHost(), uri_.getPort());
        }
        session->setTimeout(Poco::Timespan(settings_.timeout.count() * 1000));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri_.getPathEtc(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.set("X-Connector-Event-Seq", std::to_string(event.sequence));
        request.set("X-Connector-Timestamp", timestamp);
        request.set("X-Connector-Signature", signature(settings_.secret, timestamp, body));
        session->sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& answer = session->receiveResponse(response);
        // The answer's body is not needed; a receiver that streams on must not hold the
        // deliveries up.
        answer.ignore(64 * 1024);
        const int status = static_cast<int>(response.getStatus());
        if (status < 200 || status > 299)
            problem = "HTTP " + std::to_string(status);
    } catch (const Poco::Exception& error) {
        problem = error.displayText();
    } catch (const std::exception& error) {
        problem = error.what();
    }

    delivery.attempts++;
    if (problem.empty()) {
        delivery.state = connector::WebhookState::delivered;
        delivery.last_error.clear();
        store_->record_webhook_delivery(target_, delivery);
        connector::logging::http.info("WEBHOOK_DELIVERED", {{"event_sequence", event.sequence},
                                                            {"kind", event.kind},
                                                            {"task", event.task_code},
                                                            {"attempts", delivery.attempts}});
        return true;
    }
    delivery.last_error = problem;
    const auto recorded = connector::parse_utc_text(event.recorded_at);
    const long long happened =
        recorded
            ? std::chrono::duration_cast<std::chrono::milliseconds>(recorded->time_since_epoch())
                  .count()
            : 0;
    if (happened != 0 && now - happened >= std::chrono::duration_cast<std::chrono::milliseconds>(
                                               settings_.give_up_after)
                                               .count()) {
        delivery.state = connector::WebhookState::abandoned;
        store_->record_webhook_delivery(target_, delivery);
        // The event stays in GET /api/v1/events.
        connector::logging::http.error("WEBHOOK_ABANDONED", {{"event_sequence", event.sequence},
                                                             {"kind", event.kind},
                                                             {"task", event.task_code},
                                                             {"attempts", delivery.attempts},
                                                             {"detail", problem}});
        return true;
    }
    // Full jitter: uniform in [0, min(cap, base · 2^(attempts-1))].
    const int doublings = std::min(delivery.attempts - 1, 30);
    const long long ceiling =
        std::min<long long>(settings_.retry_cap.count(), settings_.retry_base.count() << doublings);
    std::mt19937_64 random(seed_ + static_cast<std::uint64_t>(delivery.attempts) +
                           static_cast<std::uint64_t>(event.sequence));
    const long long delay = std::uniform_int_distribution<long long>(0, ceiling)(random);
    delivery.state = connector::WebhookState::pending;
    delivery.next_attempt_at_ms = now + delay;
    store_->record_webhook_delivery(target_, delivery);
    connector::logging::http.warning("WEBHOOK_RETRY", {{"event_sequence", event.sequence},
                                                       {"kind", event.kind},
                                                       {"task", event.task_code},
                                                       {"attempts", delivery.attempts},
                                                       {"in_ms", delay},
                                                       {"detail", problem}});
    return false;
}

}  // namespace idesk
