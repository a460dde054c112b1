// The simulator's SQLite copy of its state (SOCI), written through on every mutation so
// that a restart loses nothing. Not thread-safe: the simulator calls it under its state
// mutex. Every method throws soci::soci_error (or std::runtime_error) on failure.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.hpp"

namespace soci {
class session;
}

namespace axis_sim {

class Database {
  public:
    // Opens (creating if needed) the SQLite file and its tables.
    explicit Database(const std::string& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    struct Contents {
        std::vector<Knobstick> knobsticks;       // oldest first, receivers in creation order
        std::vector<StoredAgency> registered;    // added by registerAgency, in order
        std::vector<std::string> deleted_codes;  // removed by deleteAgency
    };
    Contents load();

    void insert_knobstick(const Knobstick& knobstick);
    void update_receiver(const Receiver& receiver);
    void insert_agency(const StoredAgency& agency);
    void delete_agency(const std::string& code);
    void clear();

  private:
    std::unique_ptr<soci::session> sql_;
};

}  // namespace axis_sim
