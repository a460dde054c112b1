// The one way the connector's HTTPS clients (the axis client, the webhook dispatcher)
// trust a server: the chain verified strictly against the configured CAs (or the
// system's), TLS 1.2 at least, and the host name checked by OpenSSL during the
// handshake: an IP address against the certificate's IP SANs, a name against its DNS
// SANs, no CN fallback. (Poco 1.11's own check accepts an IP host when any DNS name of
// the certificate resolves to it.)
#pragma once

#include <Poco/Net/Context.h>

#include <string>

namespace tls {

// `host` as written in the URL; `ca_file` a PEM file of CAs (empty: the system's store).
// Throws connector::ConfigError naming `setting` (e.g. "axis.ca_file") when the CA file
// cannot be used or the host name cannot be checked.
Poco::Net::Context::Ptr verified_client_context(const std::string& host, const std::string& ca_file,
                                                const std::string& setting);

}  // namespace tls
