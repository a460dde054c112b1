// A daemon stand-in for the leasing test: claims outbox items until none is left, records
// each one it processed in lease_test_processed, completes it. Exit 0, or 3 when a lease
// it held was lost (the item would have been processed twice).
//   store_lease_worker STORE_URL OWNER
#include <iostream>

#include "connector/store.hpp"
#include "store/soci_store.hpp"
#include "store_backends.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: store_lease_worker STORE_URL OWNER\n";
        return 2;
    }
    const std::string url = argv[1];
    const std::string owner = argv[2];
    const auto store = store::open_store(url);
    soci::session raw = store_backends::raw_session(url);
    int processed = 0;
    while (const auto item =
               store->claim(connector::WorkQueue::outbox, owner, std::chrono::minutes(5))) {
        const long long id = item->id;
        raw << "INSERT INTO lease_test_processed (item_id, owner) VALUES (:id, :owner)",
            soci::use(id), soci::use(owner);
        if (!store->complete(connector::WorkQueue::outbox, item->id, owner)) {
            std::cerr << owner << ": lost the lease of item " << item->id << "\n";
            return 3;
        }
        ++processed;
    }
    std::cout << owner << " processed " << processed << "\n";
    return 0;
}
