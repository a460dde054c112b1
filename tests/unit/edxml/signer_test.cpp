// Signing with the test PKI generated for this run (CTest fixture pki/generate), and
// verifying what was signed.
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "edxml/reader.hpp"
#include "edxml/signature.hpp"
#include "edxml/validate.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"
#include "test_pki.hpp"

using namespace edxml;
using namespace test_packages;

namespace {

SigningCredentials h20() {
    return SigningCredentials::from_pem(test_pki::file("h20.key"), test_pki::file("h20.pem"),
                                        test_pki::file("intermediate.pem"));
}

SigningCredentials signer_named(const std::string& name) {
    return SigningCredentials::from_pem(test_pki::file(name + ".key"),
                                        test_pki::file(name + ".pem"),
                                        test_pki::file("intermediate.pem"));
}

Verifier trusting_root() {
    TrustOptions options;
    options.anchors = {test_pki::file("anchors")};
    return Verifier(options);
}

Package without_signature(Package package) {
    std::visit([](auto& p) { p.signature.reset(); }, package);
    return package;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signer)

BOOST_AUTO_TEST_CASE(every_well_formed_sample_signs_and_verifies) {
    const SigningCredentials credentials = h20();
    const Verifier verifier = trusting_root();
    int signed_count = 0;
    for (const auto& path : test_files::all_samples()) {
        const std::string name = path.filename().string();
        if (name == "variant-undeclared-prefix.edxml" ||
            name == "variant-nonstandard-signature.edxml")
            continue;  // refused: see the tests below
        const std::string original = test_files::read(path);
        const std::string signed_package = sign_package(original, credentials);
        const Verifier::Verified verified = verifier.verify_and_read(signed_package);
        BOOST_TEST(verified.signature.is_valid(), name << ": " << verified.signature.reason);
        // Signing adds the signature and changes nothing the reader sees.
        const ReadResult before = read_package(original);
        BOOST_REQUIRE(verified.package.package && before.package);
        BOOST_TEST((without_signature(*verified.package.package) == *before.package), name);
        const auto& signature =
            std::visit([](const auto& p) { return p.signature; }, *verified.package.package);
        BOOST_TEST((signature && signature->namespace_uri == kXmlDsigNamespace), name);
        // And the signed package still passes full validation (XSD included).
        BOOST_TEST(validate_package(signed_package).ok(),
                   name << ": " << first_error(validate_package(signed_package)));
        ++signed_count;
    }
    BOOST_TEST(signed_count == 26);
}

BOOST_AUTO_TEST_CASE(signature_is_the_last_child_of_the_header_and_covers_attachments) {
    const std::string signed_package =
        sign_package(test_files::sample("document-with-attachments.edxml"), h20());
    const auto signature =
        signed_package.find("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">");
    const auto signature_end = signed_package.find("</Signature>");
    BOOST_REQUIRE(signature != std::string::npos && signature_end != std::string::npos);
    BOOST_TEST(signed_package.find("</edXML:edXMLHeader>") ==
               signature_end + std::string("</Signature>").size());
    BOOST_TEST(signed_package.find("<Reference URI=\"\">") != std::string::npos);
    // Changing one character of an attachment breaks the digest.
    std::string tampered = signed_package;
    const auto payload = tampered.find("<edXML:ContentTransferEncoded>") + 40;
    tampered[payload] = tampered[payload] == 'A' ? 'B' : 'A';
    const VerifyResult result = trusting_root().verify(tampered);
    BOOST_TEST((result.verdict == Verdict::invalid));
    BOOST_TEST(result.reason.find("digest mismatch") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_element_named_like_the_header_elsewhere_does_not_move_the_signature) {
    // A later <edXMLHeader> (here inside an unknown element of AttachmentEncoded) must not
    // become the insertion point.
    const std::string package = test_packages::replaced(
        test_files::sample("document-with-attachments.edxml"), "</edXML:AttachmentEncoded>",
        "<edXML:Extra><edXML:edXMLHeader>x</edXML:edXMLHeader></edXML:Extra>"
        "</edXML:AttachmentEncoded>");
    const std::string signed_package = sign_package(package, h20());
    const VerifyResult result = trusting_root().verify(signed_package);
    BOOST_TEST(result.is_valid(), result.reason);
    BOOST_TEST(signed_package.find("</Signature></edXML:edXMLHeader>") <
               signed_package.find("<edXML:Extra>"));
}

BOOST_AUTO_TEST_CASE(keys_from_pkcs12_and_encrypted_pem) {
    const std::string passphrase = read_passphrase_file(test_pki::file("passphrase.txt"));
    const SigningCredentials from_p12 =
        SigningCredentials::from_pkcs12(test_pki::file("h20.p12"), passphrase);
    BOOST_TEST(from_p12.subject().find("000.00.00.H20") != std::string::npos);
    BOOST_TEST(trusting_root()
                   .verify(sign_package(test_files::sample("status-01.edxml"), from_p12))
                   .is_valid());

    const SigningCredentials encrypted =
        SigningCredentials::from_pem(test_pki::file("g22.key"), test_pki::file("g22.pem"),
                                     test_pki::file("intermediate.pem"), passphrase);
    const VerifyResult result =
        trusting_root().verify(sign_package(test_files::sample("status-13.edxml"), encrypted));
    BOOST_TEST(result.is_valid(), result.reason);
    BOOST_TEST(result.signer->subject.find("000.00.00.G22") != std::string::npos);

    ::setenv("CONNECTOR_TEST_PASSPHRASE", passphrase.c_str(), 1);
    BOOST_TEST(read_passphrase_environment("CONNECTOR_TEST_PASSPHRASE") == passphrase);
    ::unsetenv("CONNECTOR_TEST_PASSPHRASE");
    BOOST_CHECK_THROW(read_passphrase_environment("CONNECTOR_TEST_PASSPHRASE"), Error);
}

BOOST_AUTO_TEST_CASE(bad_keys_are_refused_with_a_reason) {
    auto fails_with = [](auto&& load, const std::string& text) {
        try {
            load();
            BOOST_ERROR("loaded: expected '" << text << "'");
        } catch (const Error& error) {
            BOOST_TEST(std::string(error.what()).find(text) != std::string::npos, error.what());
        }
    };
    fails_with(
        [] {
            SigningCredentials::from_pem(test_pki::file("g22.key"), test_pki::file("g22.pem"), "",
                                         "wrong");
        },
        "wrong passphrase");
    fails_with([] { SigningCredentials::from_pkcs12(test_pki::file("h20.p12"), "wrong"); },
               "wrong passphrase");
    fails_with(
        [] {
            SigningCredentials::from_pem(test_pki::file("h20.key"),
                                         test_pki::file("untrusted.pem"));
        },
        "does not match the certificate");
    fails_with([] { SigningCredentials::from_pem("/nonexistent.key", test_pki::file("h20.pem")); },
               "cannot read");
    fails_with(
        [] {
            SigningCredentials::from_pem(test_pki::file("h20.key"),
                                         test_pki::file("passphrase.txt"));
        },
        "no PEM certificate");
}

BOOST_AUTO_TEST_CASE(packages_that_cannot_be_signed) {
    const SigningCredentials credentials = h20();
    const std::string once = sign_package(test_files::sample("status-02.edxml"), credentials);
    BOOST_CHECK_EXCEPTION(sign_package(once, credentials), Error,
                          [](const Error& e) { return e.code() == ErrorCode::duplicate; });
    BOOST_CHECK_EXCEPTION(
        sign_package(test_files::sample("variant-nonstandard-signature.edxml"), credentials), Error,
        [](const Error& e) { return e.code() == ErrorCode::duplicate; });
    BOOST_CHECK_EXCEPTION(
        sign_package(test_files::sample("variant-undeclared-prefix.edxml"), credentials), Error,
        [](const Error& e) { return e.code() == ErrorCode::not_well_formed; });
    BOOST_CHECK_EXCEPTION(sign_package("<edXML xmlns=\"urn:other\"/>", credentials), Error,
                          [](const Error& e) { return e.code() == ErrorCode::missing_element; });
    BOOST_CHECK_EXCEPTION(
        sign_package(test_files::read(test_files::data_dir() / "hostile" / "billion-laughs.edxml"),
                     credentials),
        Error, [](const Error& e) { return e.code() == ErrorCode::dtd_forbidden; });
}

BOOST_AUTO_TEST_CASE(legacy_sha1_on_request) {
    SignOptions options;
    options.algorithm = SignatureAlgorithm::rsa_sha1;
    TrustOptions legacy_peer;
    legacy_peer.anchors = {test_pki::file("anchors")};
    legacy_peer.allow_sha1 = true;  // refused by default (issue 12)
    const VerifyResult result =
        Verifier(legacy_peer)
            .verify(sign_package(test_files::sample("status-04.edxml"), h20(), options));
    BOOST_TEST(result.is_valid(), result.reason);
    BOOST_TEST(result.signature_method == "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
    BOOST_TEST(result.digest_method == "http://www.w3.org/2000/09/xmldsig#sha1");
}

BOOST_AUTO_TEST_CASE(certificate_verdicts_with_this_runs_pki) {
    const Verifier verifier = trusting_root();
    const std::string status = test_files::sample("status-05.edxml");
    BOOST_TEST((verifier.verify(sign_package(status, signer_named("untrusted"))).verdict ==
                Verdict::untrusted));
    BOOST_TEST((verifier.verify(sign_package(status, signer_named("expired"))).verdict ==
                Verdict::expired));
    BOOST_TEST((verifier.verify(sign_package(status, signer_named("future"))).verdict ==
                Verdict::not_yet_valid));
    TrustOptions with_crls;
    with_crls.anchors = {test_pki::file("root.pem")};
    with_crls.crls = {test_pki::file("crl-root.pem"), test_pki::file("crl-intermediate.pem")};
    const Verifier checking_revocation(with_crls);
    BOOST_TEST((checking_revocation.verify(sign_package(status, signer_named("revoked"))).verdict ==
                Verdict::revoked));
    BOOST_TEST(checking_revocation.verify(sign_package(status, h20())).is_valid());
    // A CA certificate is not an organisation's signing certificate, even under the root.
    const VerifyResult by_ca = verifier.verify(sign_package(status, signer_named("intermediate")));
    BOOST_TEST((by_ca.verdict == Verdict::untrusted), by_ca.reason);
    BOOST_TEST(by_ca.reason.find("CA certificate") != std::string::npos, by_ca.reason);
    // Without the intermediate in KeyInfo the chain cannot be built.
    const SigningCredentials leaf_only =
        SigningCredentials::from_pem(test_pki::file("h20.key"), test_pki::file("h20.pem"));
    BOOST_TEST((verifier.verify(sign_package(status, leaf_only)).verdict == Verdict::untrusted));
}

BOOST_AUTO_TEST_CASE(system_trust_store_is_not_used_unless_configured) {
    // Make the untrusted CA "system-trusted" for OpenSSL's default paths.
    ::setenv("SSL_CERT_FILE", test_pki::file("untrusted-root.pem").c_str(), 1);
    const std::string package =
        sign_package(test_files::sample("status-05.edxml"), signer_named("untrusted"));
    const VerifyResult ours_only = trusting_root().verify(package);
    TrustOptions with_system;
    with_system.anchors = {test_pki::file("anchors")};
    with_system.use_system_store = true;
    const VerifyResult with_system_store = Verifier(with_system).verify(package);
    ::unsetenv("SSL_CERT_FILE");
    BOOST_TEST((ours_only.verdict == Verdict::untrusted), ours_only.reason);
    BOOST_TEST((with_system_store.verdict == Verdict::valid), with_system_store.reason);
}

BOOST_AUTO_TEST_CASE(repeated_verification_is_stable) {
    const Verifier verifier = trusting_root();
    const std::string package = sign_package(test_files::sample("status-03.edxml"), h20());
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(verifier.verify(package).is_valid());
    std::string tampered = package;
    tampered.replace(tampered.find("<edXML:StatusCode>03"), 20, "<edXML:StatusCode>06");
    BOOST_TEST((verifier.verify(tampered).verdict == Verdict::invalid));
    BOOST_TEST(verifier.verify(package).is_valid());
}

BOOST_AUTO_TEST_SUITE_END()
