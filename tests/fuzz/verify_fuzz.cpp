// Fuzz target for the signature verifier, with libxmlsec1 as the second opinion: an
// input our verifier calls valid must verify with libxmlsec1 too (tests/support/
// xmlsec_second_opinion.hpp), else the target aborts and the input is a finding.
// Replayed by CI over tests/data/signatures and tests/fuzz/corpus-verify.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "edxml/signature.hpp"
#include "xmlsec_second_opinion.hpp"

namespace {

const std::string& anchor() {
    static const std::string path =
        std::string(CONNECTOR_SOURCE_DIR) + "/tests/data/signatures/anchors/root.pem";
    return path;
}

const edxml::Verifier& verifier() {
    static const edxml::Verifier instance = [] {
        edxml::TrustOptions trust;
        trust.anchors = {anchor()};
        trust.allow_sha1 = true;  // the widest profile we may be configured with
        return edxml::Verifier(trust);
    }();
    return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const edxml::VerifyResult ours = verifier().verify(bytes);
    if (!ours.is_valid())
        return 0;
    std::string why;
    if (!xmlsec_second_opinion::xmlsec_verifies(bytes, {anchor()}, why)) {
        std::fprintf(stderr, "valid for us, refused by libxmlsec1: %s\n", why.c_str());
        std::abort();
    }
    return 0;
}
