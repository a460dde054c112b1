// Interoperability with the xmlsec1 command-line tool (Debian package xmlsec1), both ways,
// against this run's test PKI.
#include <boost/test/unit_test.hpp>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <filesystem>
#include <fstream>

#include "edxml/signature.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"
#include "test_pki.hpp"

using namespace edxml;
namespace fs = std::filesystem;

namespace {

struct Run {
    int exit_code;
    std::string output;
};

// Runs xmlsec1 with `args`, stdout and stderr captured.
Run xmlsec1(const std::vector<std::string>& args) {
    Poco::Pipe output;
    Poco::ProcessHandle process = Poco::Process::launch("xmlsec1", args, nullptr, &output, &output);
    Poco::PipeInputStream stream(output);
    std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    return {process.wait(), text};
}

fs::path work_dir() {
    const fs::path dir = fs::path(CONNECTOR_BINARY_DIR) / "test-tmp" / "xmlsec-interop";
    fs::create_directories(dir);
    return dir;
}

fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path path = work_dir() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

Run xmlsec1_verify(const fs::path& file) {
    return xmlsec1({"--verify", "--trusted-pem", test_pki::file("root.pem"), "--untrusted-pem",
                    test_pki::file("intermediate.pem"), file.string()});
}

// Adds one character to the signed content (at the start of the Description or Subject text).
std::string one_byte_changed(std::string package) {
    auto at = package.find("<edXML:Description>");
    if (at == std::string::npos)
        at = package.find("<edXML:Subject>");
    BOOST_REQUIRE(at != std::string::npos);
    package.insert(package.find('>', at) + 1, "X");
    return package;
}

constexpr const char* kTemplate =
    "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
    "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
    "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
    "<Reference URI=\"\"><Transforms>"
    "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
    "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></Transforms>"
    "<DigestMethod "
    "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference>"
    "</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>";

}  // namespace

BOOST_AUTO_TEST_SUITE(xmlsec_interop)

BOOST_AUTO_TEST_CASE(xmlsec1_verifies_what_we_sign) {
    const SigningCredentials credentials = SigningCredentials::from_pem(
        test_pki::file("h20.key"), test_pki::file("h20.pem"), test_pki::file("intermediate.pem"));
    for (const char* sample :
         {"status-03.edxml", "document-with-attachments.edxml", "task-assignment.edxml"}) {
        const std::string signed_package = sign_package(test_files::sample(sample), credentials);
        const Run good = xmlsec1_verify(write(std::string("ours-") + sample, signed_package));
        BOOST_TEST(good.exit_code == 0, sample << ": " << good.output);
        const Run changed = xmlsec1_verify(
            write(std::string("ours-changed-") + sample, one_byte_changed(signed_package)));
        BOOST_TEST(changed.exit_code != 0, sample << ": xmlsec1 accepted a changed package");
    }
}

BOOST_AUTO_TEST_CASE(we_verify_what_xmlsec1_signs) {
    TrustOptions trust;
    trust.anchors = {test_pki::file("anchors")};
    const Verifier verifier(trust);
    for (const char* sample :
         {"status-03.edxml", "document-with-attachments.edxml", "task-report.edxml"}) {
        const std::string tmpl =
            test_packages::replaced(test_files::sample(sample), "</edXML:edXMLHeader>",
                                    std::string(kTemplate) + "</edXML:edXMLHeader>");
        const fs::path template_file = write(std::string("template-") + sample, tmpl);
        const fs::path output = work_dir() / (std::string("xmlsec1-") + sample);
        const Run signing = xmlsec1({"--sign", "--privkey-pem",
                                     test_pki::file("h20.key") + "," + test_pki::file("h20.pem") +
                                         "," + test_pki::file("intermediate.pem"),
                                     "--output", output.string(), template_file.string()});
        BOOST_REQUIRE_MESSAGE(signing.exit_code == 0, signing.output);
        const std::string signed_package = test_files::read(output);
        const VerifyResult good = verifier.verify(signed_package);
        BOOST_TEST(good.is_valid(), sample << ": " << good.reason);
        const VerifyResult changed = verifier.verify(one_byte_changed(signed_package));
        BOOST_TEST((changed.verdict == Verdict::invalid), sample << ": " << changed.reason);
    }
}

BOOST_AUTO_TEST_SUITE_END()
