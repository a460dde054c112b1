// The core's errors: one root, and below it whether a retry makes sense (style.md §6).
// Expected outcomes (a refused package, a verdict) are values, not exceptions.
#pragma once

#include <stdexcept>
#include <string>

namespace connector {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Worth retrying later: a lost connection, a busy database, a timeout.
class TransientError : public Error {
  public:
    using Error::Error;
};

// Retrying will not help: a broken statement, a schema mismatch, bad data.
class PermanentError : public Error {
  public:
    using Error::Error;
};

// The thing already exists (a unique key): for idempotent operations, a success.
class DuplicateError : public PermanentError {
  public:
    using PermanentError::PermanentError;
};

// Optimistic concurrency: the row changed since it was read. Read it again and decide
// again (the Exchange does); nothing was written.
class ConflictError : public Error {
  public:
    using Error::Error;
};

// The configuration is wrong: names the setting.
class ConfigError : public Error {
  public:
    using Error::Error;
};

}  // namespace connector
