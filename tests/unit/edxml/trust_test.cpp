// Issue 12, what a valid signature must also prove: that the signer is the sender, that
// SHA-1 is refused unless asked for, and that revocation works with a real chain (one
// CRL per CA, CRLs reloaded, a CRL past its nextUpdate handled by a stated rule).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "edxml/signature.hpp"
#include "printers.hpp"
#include "test_files.hpp"
#include "test_pki.hpp"

using namespace edxml;

namespace {

std::string signed_by(const std::string& name) {
    const auto credentials = SigningCredentials::from_pem(
        test_pki::file(name + ".key"), test_pki::file(name + ".pem"),
        test_pki::file("intermediate.pem"),
        name == "g22" ? read_passphrase_file(test_pki::file("passphrase.txt")) : "");
    return sign_package(test_files::sample("task-assignment.edxml"), credentials);
}

TrustOptions anchored(std::vector<std::string> crls = {}) {
    TrustOptions options;
    options.anchors = {test_pki::file("anchors")};
    options.crls = std::move(crls);
    return options;
}

std::filesystem::path fresh_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("connector-trust-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string concatenated(const std::vector<std::string>& names, const std::filesystem::path& to) {
    std::ofstream out(to, std::ios::binary);
    for (const auto& name : names)
        out << test_files::read(test_pki::file(name));
    return to.string();
}

bool says(const VerifyResult& result, const std::string& text) {
    return result.reason.find(text) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trust)

// Reproduction: a certificate of H20 signing a package that says it is from G22 was
// stored as `valid`; nothing tied the certificate to the sender.
BOOST_AUTO_TEST_CASE(a_valid_signature_by_another_agency_is_wrong_signer) {
    const Verifier verifier(anchored());
    VerifyResult result = verifier.verify(signed_by("h20"));
    BOOST_REQUIRE(result.is_valid());
    bind_signer(result, SignerPolicy(), "000.00.00.G22");
    BOOST_TEST(to_string(result.verdict) == std::string("wrong_signer"));
    BOOST_TEST(result.signer_agency == "000.00.00.H20");
    BOOST_TEST(says(result, "belongs to 000.00.00.H20, not to the sender 000.00.00.G22"),
               result.reason);

    VerifyResult own = verifier.verify(signed_by("h20"));
    bind_signer(own, SignerPolicy(), "000.00.00.H20");
    BOOST_TEST(own.is_valid(), own.reason);
    BOOST_TEST(own.signer_agency == "000.00.00.H20");
}

BOOST_AUTO_TEST_CASE(the_agency_attribute_and_the_signer_table_are_configurable) {
    const Verifier verifier(anchored());
    const VerifyResult signed_result = verifier.verify(signed_by("g22"));
    BOOST_REQUIRE(signed_result.signer);
    // Another attribute (our test certificates hold the code in CN only): no agency.
    VerifyResult by_uid = signed_result;
    bind_signer(by_uid, SignerPolicy("UID"), "000.00.00.G22");
    BOOST_TEST(by_uid.verdict == Verdict::wrong_signer);
    BOOST_TEST(says(by_uid, "names no agency in its UID"), by_uid.reason);
    // A table entry for the fingerprint wins over the attribute.
    const auto dir = fresh_dir("table");
    std::ofstream(dir / "signers.tsv") << "# fingerprint or subject, then the agency\n"
                                       << signed_result.signer->fingerprint << "\t000.00.01.G22\n";
    SignerPolicy table("UID");
    table.load_table((dir / "signers.tsv").string());
    VerifyResult by_table = signed_result;
    bind_signer(by_table, table, "000.00.01.G22");
    BOOST_TEST(by_table.is_valid(), by_table.reason);
    BOOST_TEST(by_table.signer_agency == "000.00.01.G22");
    // A table that does not read is refused with its line.
    std::ofstream(dir / "bad.tsv") << "only-one-field\n";
    BOOST_CHECK_EXCEPTION(
        SignerPolicy().load_table((dir / "bad.tsv").string()), Error, [](const Error& error) {
            return std::string(error.what()).find("bad.tsv:1") != std::string::npos;
        });
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_code_inside_the_attribute_is_found) {
    CertificateInfo info;
    info.subject = "CN=MST:000.00.14.H20 Sở Nội vụ";
    info.subject_attributes = {{"C", "VN"}, {"CN", "MST:000.00.14.H20 Sở Nội vụ"}};
    BOOST_TEST(SignerPolicy().agency_of(info) == "000.00.14.H20");
    info.subject_attributes = {{"CN", "Sở Nội vụ"}};
    BOOST_TEST(SignerPolicy().agency_of(info).empty());
}

// Reproduction: SHA-1 was accepted unless the caller turned it off.
BOOST_AUTO_TEST_CASE(sha1_is_refused_unless_allowed) {
    SignOptions legacy;
    legacy.algorithm = SignatureAlgorithm::rsa_sha1;
    const std::string package = sign_package(
        test_files::sample("status-03.edxml"),
        SigningCredentials::from_pem(test_pki::file("h20.key"), test_pki::file("h20.pem"),
                                     test_pki::file("intermediate.pem")),
        legacy);
    const VerifyResult by_default = Verifier(anchored()).verify(package);
    BOOST_TEST(by_default.verdict == Verdict::unsafe);
    BOOST_TEST(says(by_default, "rsa-sha1' is not accepted"), by_default.reason);
    TrustOptions legacy_peer = anchored();
    legacy_peer.allow_sha1 = true;
    BOOST_TEST(Verifier(legacy_peer).verify(package).is_valid());
}

// Reproduction: only the first CRL of a file was read, and CRL_CHECK_ALL then found no
// CRL for the other CA of the chain: every signature was untrusted.
BOOST_AUTO_TEST_CASE(one_file_with_a_crl_per_ca_checks_the_whole_chain) {
    const auto dir = fresh_dir("crl-file");
    const std::string both =
        concatenated({"crl-root.pem", "crl-intermediate.pem"}, dir / "chain-crls.pem");
    const Verifier verifier(anchored({both}));
    const VerifyResult good = verifier.verify(signed_by("h20"));
    BOOST_TEST(good.is_valid(), good.reason);
    const VerifyResult revoked = verifier.verify(signed_by("revoked"));
    BOOST_TEST(revoked.verdict == Verdict::revoked, revoked.reason);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_directory_of_crls_and_a_missing_ca_crl) {
    const Verifier from_directory(anchored({test_pki::file("crls")}));
    BOOST_TEST(from_directory.verify(signed_by("h20")).is_valid());
    BOOST_TEST(from_directory.verify(signed_by("revoked")).verdict == Verdict::revoked);
    // The root's CRL missing: the reason says what to configure.
    const VerifyResult partial =
        Verifier(anchored({test_pki::file("crl-intermediate.pem")})).verify(signed_by("h20"));
    BOOST_TEST(partial.verdict == Verdict::untrusted);
    BOOST_TEST(says(partial, "every CA of the chain needs its CRL"), partial.reason);
}

// Reproduction: CRLs were read once; a revocation published later was never seen.
BOOST_AUTO_TEST_CASE(crls_are_reloaded) {
    const auto dir = fresh_dir("reload");
    std::filesystem::copy_file(test_pki::file("crl-root.pem"), dir / "root.pem");
    std::filesystem::copy_file(test_pki::file("crl-intermediate-before.pem"),
                               dir / "intermediate.pem");
    Verifier verifier(anchored({dir.string()}));
    const std::string package = signed_by("revoked");
    BOOST_TEST(verifier.verify(package).is_valid());
    std::filesystem::copy_file(test_pki::file("crl-intermediate.pem"), dir / "intermediate.pem",
                               std::filesystem::copy_options::overwrite_existing);
    BOOST_TEST(verifier.verify(package).is_valid());  // cached until the reload
    verifier.reload_crls();
    BOOST_TEST(verifier.verify(package).verdict == Verdict::revoked);
    // A reload that cannot read a file keeps what was loaded.
    std::ofstream(dir / "intermediate.pem") << "not a CRL";
    BOOST_CHECK_THROW(verifier.reload_crls(), Error);
    BOOST_TEST(verifier.verify(package).verdict == Verdict::revoked);
    std::filesystem::remove_all(dir);
}

// A configuration reload (SIGHUP) with other anchors and CRLs: they count at once, cached
// verdicts are dropped, the next scheduled CRL reload reads from the new paths, and
// paths that hold no anchor are refused with the old trust kept.
BOOST_AUTO_TEST_CASE(anchors_and_crls_are_reloaded_from_new_paths) {
    const auto intermediate_only = fresh_dir("intermediate-only");
    std::filesystem::copy_file(test_pki::file("intermediate.pem"), intermediate_only / "ca.pem");
    const auto no_anchor = fresh_dir("no-anchor");
    Verifier verifier(anchored());
    const std::string h20 = signed_by("h20"), revoked = signed_by("revoked");
    BOOST_TEST(verifier.verify(h20).is_valid());
    BOOST_TEST(verifier.verify(revoked).is_valid());  // no CRL yet

    // The intermediate alone is no anchor: a chain must end at a trusted root.
    BOOST_TEST(verifier.reload_trust({intermediate_only.string()}, {}) == 1u);
    BOOST_TEST(verifier.verify(h20).verdict == Verdict::untrusted);

    BOOST_CHECK_EXCEPTION(
        verifier.reload_trust({no_anchor.string()}, {}), Error, [](const Error& error) {
            return std::string(error.what()).find("no trust anchor") != std::string::npos;
        });
    BOOST_TEST(verifier.verify(h20).verdict == Verdict::untrusted);  // kept as it was

    BOOST_TEST(verifier.reload_trust({test_pki::file("anchors")}, {test_pki::file("crls")}) >= 1u);
    BOOST_TEST(verifier.verify(h20).is_valid());
    BOOST_TEST(verifier.verify(revoked).verdict == Verdict::revoked);
    BOOST_TEST(verifier.crls().size() == 2u);
    verifier.reload_crls();  // from the new paths
    BOOST_TEST(verifier.crls().size() == 2u);
    BOOST_TEST(verifier.verify(revoked).verdict == Verdict::revoked);
    std::filesystem::remove_all(intermediate_only);
    std::filesystem::remove_all(no_anchor);
}

// Reproduction: after a CRL's nextUpdate every signature turned untrusted until a
// restart. The rule now: untrusted past nextUpdate + verify.crl_grace_s, with a reason
// that says so; reported by stale_crls (the daemon logs it and shows it in /readyz); a
// reload with a fresh CRL clears it without a restart.
BOOST_AUTO_TEST_CASE(a_crl_past_its_next_update_follows_the_grace_rule) {
    const auto dir = fresh_dir("stale");
    std::filesystem::copy_file(test_pki::file("crl-root.pem"), dir / "root.pem");
    std::filesystem::copy_file(test_pki::file("crl-intermediate-stale.pem"),
                               dir / "intermediate.pem");
    Verifier strict(anchored({dir.string()}));
    const VerifyResult stale = strict.verify(signed_by("h20"));
    BOOST_TEST(stale.verdict == Verdict::untrusted);
    BOOST_TEST(says(stale, "CRL has expired"), stale.reason);
    BOOST_TEST(says(stale, "load a fresh CRL"), stale.reason);
    BOOST_REQUIRE_EQUAL(strict.stale_crls().size(), 1u);
    BOOST_TEST(strict.stale_crls().front().find("2020-01-02T00:00:00Z") != std::string::npos);

    TrustOptions lenient = anchored({dir.string()});
    lenient.crl_grace_seconds = std::time_t{100} * 365 * 86400;
    const VerifyResult within = Verifier(lenient).verify(signed_by("h20"));
    BOOST_TEST(within.is_valid(), within.reason);
    BOOST_TEST(says(within, "past its nextUpdate (accepted within the grace"), within.reason);
    // Revocations in a stale CRL still count within the grace.
    BOOST_TEST(Verifier(lenient).verify(signed_by("revoked")).verdict == Verdict::revoked);

    std::filesystem::copy_file(test_pki::file("crl-intermediate.pem"), dir / "intermediate.pem",
                               std::filesystem::copy_options::overwrite_existing);
    strict.reload_crls();
    BOOST_TEST(strict.verify(signed_by("h20")).is_valid());
    BOOST_TEST(strict.stale_crls().empty());
    std::filesystem::remove_all(dir);
}

// The online check is asked after the chain holds, and its answer is the rule of
// docs/signatures.md: revoked and unknown refuse, unavailable keeps the CRL verdict.
class FixedAnswer final : public RevocationSource {
  public:
    explicit FixedAnswer(RevocationAnswer answer) : answer_(answer) {}
    RevocationStatus status(const std::string& certificate,
                            const std::string& issuer) const override {
        ++asked;
        BOOST_TEST(!certificate.empty());
        BOOST_TEST(!issuer.empty());
        return {answer_, std::string("answer ") + to_string(answer_)};
    }
    mutable int asked = 0;

  private:
    RevocationAnswer answer_;
};

BOOST_AUTO_TEST_CASE(online_revocation_answers_map_to_verdicts) {
    const std::string package = signed_by("h20");
    const auto verdict = [&](RevocationAnswer answer) {
        TrustOptions options = anchored();
        auto source = std::make_shared<FixedAnswer>(answer);
        options.online_revocation = source;
        const VerifyResult result = Verifier(options).verify(package);
        BOOST_TEST(source->asked == 1);
        return result;
    };
    BOOST_TEST(verdict(RevocationAnswer::good).is_valid());
    BOOST_TEST(verdict(RevocationAnswer::revoked).verdict == Verdict::revoked);
    BOOST_TEST(verdict(RevocationAnswer::unknown).verdict == Verdict::untrusted);
    const VerifyResult unavailable = verdict(RevocationAnswer::unavailable);
    BOOST_TEST(unavailable.is_valid());
    BOOST_TEST(says(unavailable, "OCSP unavailable"), unavailable.reason);
}

BOOST_AUTO_TEST_SUITE_END()
