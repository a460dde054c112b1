// Walks tests/data/signatures/EXPECTED: every attack file gets the verdict written there.
// The files were made by make-attack-files.sh beside them (keys thrown away), so they are
// fixed inputs, like packages crafted by other tools.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "edxml/signature.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"

using namespace edxml;

namespace {

std::filesystem::path attacks_dir() {
    return test_files::data_dir() / "signatures";
}

TrustOptions trust_with_crls() {
    TrustOptions options;
    options.anchors = {(attacks_dir() / "anchors").string()};
    options.crls = {(attacks_dir() / "crl-root.pem").string(),
                    (attacks_dir() / "crl-intermediate.pem").string()};
    return options;
}

std::string attack(const std::string& name) {
    return test_files::read(attacks_dir() / name);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signature_attacks)

BOOST_AUTO_TEST_CASE(every_attack_file_gets_its_verdict) {
    const Verifier verifier(trust_with_crls());
    std::ifstream expected(attacks_dir() / "EXPECTED");
    std::string name, verdict;
    int checked = 0;
    while (expected >> name >> verdict) {
        const VerifyResult result = verifier.verify(attack(name));
        BOOST_TEST(to_string(result.verdict) == verdict, name << ": " << result.reason);
        BOOST_TEST(!result.reason.empty(), name);
        ++checked;
    }
    BOOST_TEST(checked >= 25);
}

BOOST_AUTO_TEST_CASE(valid_packages_name_their_signer) {
    const Verifier verifier(trust_with_crls());
    const VerifyResult result = verifier.verify(attack("valid-task-assignment.edxml"));
    BOOST_REQUIRE(result.signer.has_value());
    BOOST_TEST(result.signer->subject == "CN=000.00.00.H20,O=Ủy ban nhân dân tỉnh Đồng Tháp,C=VN");
    BOOST_TEST(result.signer->issuer.find("Test Intermediate CA") != std::string::npos);
    BOOST_TEST(result.signer->fingerprint.size() == 64u);
    BOOST_TEST(result.signature_method == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    BOOST_TEST(result.digest_method == "http://www.w3.org/2001/04/xmlenc#sha256");
    BOOST_TEST(result.canonicalization_method == "http://www.w3.org/2001/10/xml-exc-c14n#");
}

BOOST_AUTO_TEST_CASE(reasons_name_the_broken_rule) {
    const Verifier verifier(trust_with_crls());
    const std::pair<const char*, const char*> cases[] = {
        {"signature-moved.edxml", "must be a child of /edXML/edXMLEnvelope/edXMLHeader"},
        {"extra-reference.edxml", "2 References in SignedInfo"},
        {"xpath-transform.edxml", "REC-xpath-19991116' is refused"},
        {"object-in-signature.edxml", "no Object"},
        {"tampered-attachment.edxml", "digest mismatch"},
        {"keyinfo-other-certificate.edxml", "signature value mismatch"},
        {"expired-certificate.edxml", "certificate has expired"},
        {"reference-to-part.edxml", "does not designate the whole document"},
    };
    for (const auto& [file, reason] : cases) {
        const VerifyResult result = verifier.verify(attack(file));
        BOOST_TEST(result.reason.find(reason) != std::string::npos, file << ": " << result.reason);
    }
}

BOOST_AUTO_TEST_CASE(revocation_needs_the_crls) {
    TrustOptions without_crls = trust_with_crls();
    without_crls.crls.clear();
    BOOST_TEST((Verifier(without_crls).verify(attack("revoked-certificate.edxml")).verdict ==
                Verdict::valid));
}

BOOST_AUTO_TEST_CASE(sha1_can_be_refused) {
    TrustOptions strict = trust_with_crls();
    strict.allow_sha1 = false;
    const VerifyResult result = Verifier(strict).verify(attack("valid-legacy-sha1.edxml"));
    BOOST_TEST((result.verdict == Verdict::unsafe));
    BOOST_TEST(result.reason.find("rsa-sha1' is not accepted") != std::string::npos, result.reason);
    TrustOptions legacy = trust_with_crls();
    legacy.allow_sha1 = true;
    BOOST_TEST(Verifier(legacy).verify(attack("valid-legacy-sha1.edxml")).reason.find("SHA-1") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(checks_run_at_the_time_asked) {
    // An archived package can be re-checked at its arrival time; the chain of these files
    // was issued at generation and lasts 40 years. (No CRLs here: theirs are not valid
    // before their own issue date either.)
    TrustOptions trust = trust_with_crls();
    trust.crls.clear();
    const Verifier verifier(trust);
    const std::time_t year_2000 = 946684800;
    const std::time_t year_2100 = 4102444800;
    BOOST_TEST((verifier.verify(attack("valid-status.edxml"), year_2000).verdict ==
                Verdict::not_yet_valid));
    BOOST_TEST(
        (verifier.verify(attack("valid-status.edxml"), year_2100).verdict == Verdict::expired));
    BOOST_TEST(verifier.verify(attack("valid-status.edxml")).is_valid());
}

BOOST_AUTO_TEST_CASE(what_is_read_is_what_was_signed) {
    const Verifier verifier(trust_with_crls());
    // The comment splits the signed text; the reader must return all of it.
    const Verifier::Verified commented =
        verifier.verify_and_read(attack("comment-in-signed-text.edxml"));
    BOOST_TEST((commented.signature.verdict == Verdict::valid));
    const Verifier::Verified original = verifier.verify_and_read(attack("valid-status.edxml"));
    BOOST_TEST(test_packages::status(commented.package).description ==
               test_packages::status(original.package).description);
    // A wrapped package is still read (for the auditor), but flagged.
    const Verifier::Verified wrapped = verifier.verify_and_read(attack("xpath-transform.edxml"));
    BOOST_TEST((wrapped.signature.verdict == Verdict::unsafe));
    BOOST_TEST(test_packages::status(wrapped.package).status.wire_text() == "06");
}

BOOST_AUTO_TEST_CASE(anchors_are_required) {
    TrustOptions none;
    BOOST_CHECK_THROW(Verifier{none}, Error);
    TrustOptions missing;
    missing.anchors = {"/nonexistent/anchors"};
    BOOST_CHECK_THROW(Verifier{missing}, Error);
    TrustOptions bad_crl = trust_with_crls();
    bad_crl.crls = {(attacks_dir() / "EXPECTED").string()};
    BOOST_CHECK_THROW(Verifier{bad_crl}, Error);
}

BOOST_AUTO_TEST_CASE(hostile_xml_is_unsafe_not_a_crash) {
    const Verifier verifier(trust_with_crls());
    const VerifyResult xxe =
        verifier.verify(test_files::read(test_files::data_dir() / "hostile" / "xxe-file.edxml"));
    BOOST_TEST((xxe.verdict == Verdict::unsafe));
    BOOST_TEST(xxe.reason.find("DOCTYPE") != std::string::npos);
    BOOST_TEST((verifier.verify("").verdict == Verdict::unsafe));
}

BOOST_AUTO_TEST_SUITE_END()
