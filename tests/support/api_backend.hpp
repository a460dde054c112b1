// The API server's backend for tests, fuzzing and benchmarks: its own store connection
// and an Exchange over it as the Government office (G22). The axis is a real client to a
// closed port: the API only queues, it never reaches the axis.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "connector/clock.hpp"
#include "connector/exchange.hpp"
#include "http_api/api_server.hpp"
#include "store/soci_store.hpp"
#include "vdxp/http_axis_client.hpp"

namespace test_api {

inline constexpr const char* kOurAgency = "000.00.00.G22";

class StoreBackend final : public http_api::Backend {
  public:
    // `signing`: packages are signed with it (none: unsigned).
    explicit StoreBackend(const std::string& url,
                          std::shared_ptr<const edxml::SigningCredentials> signing = nullptr)
        : store_(store::open_store(url)), axis_(axis_settings()) {
        connector::ExchangeSettings settings;
        settings.sender = {kOurAgency, "Văn phòng Chính phủ", "Hà Nội"};
        settings.signing = std::move(signing);
        exchange_ = std::make_unique<connector::Exchange>(*store_, axis_, clock_, settings);
    }
    connector::Store& store() override { return *store_; }
    connector::Exchange* exchange() override { return exchange_.get(); }

  private:
    static vdxp::ClientSettings axis_settings() {
        vdxp::ClientSettings settings;
        settings.base_url = "http://127.0.0.1:9/adapter";
        settings.systemid = kOurAgency;
        settings.secret = "unused";
        return settings;
    }
    std::unique_ptr<connector::Store> store_;
    vdxp::HttpAxisClient axis_;
    connector::SystemClock clock_;
    std::unique_ptr<connector::Exchange> exchange_;
};

}  // namespace test_api
