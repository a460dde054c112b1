// Differential verification (issue 13): our verifier is our own code on libxml2's C14N
// and OpenSSL; libxmlsec1 is the well-kept library in this field and the second
// opinion. Every input our verifier calls `valid` must verify with libxmlsec1 too, used
// the careful way of xmlsec's examples/verify4.c: keys only from the trust store, one
// Reference to the document, only the transforms our profile allows, X.509 key data
// only. (The converse does not hold and is not asked: we refuse more, on purpose.)
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "edxml/signature.hpp"
#include "test_files.hpp"
#include "xmlsec_second_opinion.hpp"
#include "test_pki.hpp"

namespace {

using xmlsec_second_opinion::xmlsec_verifies;

struct Vector {
    std::string name;
    std::string bytes;
    std::vector<std::string> anchors;
};

// Our verdict first; where it is `valid`, libxmlsec1 must agree.
void hold_to_xmlsec(const std::vector<Vector>& vectors, bool allow_sha1, int& compared) {
    for (const Vector& vector : vectors) {
        edxml::TrustOptions trust;
        trust.anchors = vector.anchors;
        trust.allow_sha1 = allow_sha1;
        const edxml::VerifyResult ours = edxml::Verifier(trust).verify(vector.bytes);
        if (!ours.is_valid())
            continue;
        ++compared;
        std::string why;
        BOOST_TEST(xmlsec_verifies(vector.bytes, vector.anchors, why),
                   vector.name << ": valid for us, refused by libxmlsec1: " << why);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(xmlsec_differential)

// The attack files (made with the xmlsec1 tool and ours; their CA certificates kept).
BOOST_AUTO_TEST_CASE(every_signature_vector_we_call_valid_verifies_with_libxmlsec1) {
    const auto dir = test_files::data_dir() / "signatures";
    const std::string anchor = (dir / "anchors" / "root.pem").string();
    std::vector<Vector> vectors;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".edxml")
            vectors.push_back(
                {entry.path().filename().string(), test_files::read(entry.path()), {anchor}});
    }
    int compared = 0;
    hold_to_xmlsec(vectors, true, compared);
    BOOST_TEST_MESSAGE(compared << " of " << vectors.size()
                                << " vectors valid for us and for libxmlsec1");
    BOOST_TEST(compared >= 6, compared << " vectors valid for us");
}

// Every sample, signed here with this run's PKI, in both algorithms.
BOOST_AUTO_TEST_CASE(every_signed_sample_verifies_with_libxmlsec1) {
    const auto credentials = edxml::SigningCredentials::from_pem(
        test_pki::file("h20.key"), test_pki::file("h20.pem"), test_pki::file("intermediate.pem"));
    std::vector<Vector> vectors;
    edxml::SignOptions legacy;
    legacy.algorithm = edxml::SignatureAlgorithm::rsa_sha1;
    for (const auto& path : test_files::all_samples()) {
        const std::string original = test_files::read(path);
        for (const edxml::SignOptions& options : {edxml::SignOptions{}, legacy}) {
            try {
                vectors.push_back({path.filename().string(),
                                   edxml::sign_package(original, credentials, options),
                                   {test_pki::file("root.pem")}});
            } catch (const edxml::Error&) {
                // samples that cannot be signed (not namespace-well-formed, already signed)
            }
        }
    }
    int compared = 0;
    hold_to_xmlsec(vectors, true, compared);
    BOOST_TEST_MESSAGE(compared << " of " << vectors.size() << " signed samples compared");
    BOOST_TEST(compared >= 30, compared << " signed samples valid for us");
}

// The harness itself can fail: a package changed after signing is refused by both, and a
// valid one is accepted by libxmlsec1.
BOOST_AUTO_TEST_CASE(the_second_opinion_refuses_a_tampered_package) {
    const auto credentials = edxml::SigningCredentials::from_pem(
        test_pki::file("h20.key"), test_pki::file("h20.pem"), test_pki::file("intermediate.pem"));
    const std::string signed_package =
        edxml::sign_package(test_files::sample("status-03.edxml"), credentials);
    std::string why;
    BOOST_TEST(xmlsec_verifies(signed_package, {test_pki::file("root.pem")}, why), why);
    std::string tampered = signed_package;
    tampered.replace(tampered.find("</edXML:Description>") - 1, 1, "X");
    BOOST_TEST(!xmlsec_verifies(tampered, {test_pki::file("root.pem")}, why));
    BOOST_TEST(!xmlsec_verifies(signed_package, {test_pki::file("untrusted-root.pem")}, why));
}

BOOST_AUTO_TEST_SUITE_END()
