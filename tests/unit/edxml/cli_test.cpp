#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <sstream>

#include "edxml/attachments.hpp"
#include "edxml/cli.hpp"
#include "test_files.hpp"
#include "test_pki.hpp"

namespace fs = std::filesystem;

namespace {

struct CliRun {
    int exit_code;
    std::string out;
    std::string err;
};

CliRun run(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int code = edxml::run_cli(args, out, err);
    return {code, out.str(), err.str()};
}

std::string sample_path(const std::string& name) {
    return (test_files::samples_dir() / name).string();
}
std::string hostile_path(const std::string& name) {
    return (test_files::data_dir() / "hostile" / name).string();
}

// A fresh folder under the build tree, removed at the end of the test.
struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& name)
        : path(fs::path(CONNECTOR_BINARY_DIR) / "test-tmp" / name) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(validate_exit_codes) {
    std::vector<std::string> every_sample{"validate"};
    for (const auto& path : test_files::all_samples())
        every_sample.push_back(path.string());
    const CliRun all = run(every_sample);
    BOOST_TEST(all.exit_code == 0, all.out);
    BOOST_TEST(all.out.find("28 valid, 0 invalid") != std::string::npos, all.out);

    const CliRun mixed =
        run({"validate", sample_path("status-01.edxml"), hostile_path("billion-laughs.edxml")});
    BOOST_TEST(mixed.exit_code == 1);
    BOOST_TEST(mixed.out.find("INVALID  " + hostile_path("billion-laughs.edxml")) !=
               std::string::npos);
    BOOST_TEST(mixed.out.find("[dtd_forbidden]") != std::string::npos, mixed.out);
    BOOST_TEST(mixed.out.find("1 valid, 1 invalid") != std::string::npos);

    const CliRun missing = run({"validate", "/nonexistent.edxml"});
    BOOST_TEST(missing.exit_code == 1);
    BOOST_TEST(missing.out.find("[io]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
    BOOST_TEST(run({}).exit_code == 2);
    BOOST_TEST(run({"validate"}).exit_code == 2);
    BOOST_TEST(run({"frobnicate", "x"}).exit_code == 2);
    BOOST_TEST(run({"validate", "--bogus", "x"}).exit_code == 2);
    const CliRun bad_size =
        run({"validate", "--max-size", "12abc", sample_path("status-01.edxml")});
    BOOST_TEST(bad_size.exit_code == 2);
    BOOST_TEST(bad_size.err.find("--max-size needs a positive number of bytes, not '12abc'") !=
               std::string::npos);
    BOOST_TEST(run({"inspect"}).exit_code == 2);
    BOOST_TEST(run({"attachments", sample_path("status-01.edxml")}).exit_code == 2);
    BOOST_TEST(run({"--help"}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(max_size_option_applies) {
    const CliRun result = run({"validate", "--max-size", "100", sample_path("status-01.edxml")});
    BOOST_TEST(result.exit_code == 1);
    BOOST_TEST(result.out.find("[too_large]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(inspect_prints_a_readable_summary) {
    const CliRun result = run({"inspect", sample_path("task-assignment.edxml")});
    BOOST_TEST(result.exit_code == 0, result.err);
    BOOST_TEST(result.out.find("DocumentId:    000.00.00.H20,2025/04/15,125/KH-UBND") !=
               std::string::npos);
    BOOST_TEST(result.out.find("Task profile:  assignment, 13 task(s)") != std::string::npos);
    BOOST_TEST(result.out.find("Chủ trì: Văn phòng UBND Tỉnh") != std::string::npos);

    const CliRun repaired = run({"inspect", sample_path("variant-undeclared-prefix.edxml")});
    BOOST_TEST(repaired.exit_code == 0);
    BOOST_TEST(repaired.out.find("Warnings (4):") != std::string::npos, repaired.out);
    BOOST_TEST(repaired.out.find("not namespace-well-formed, repaired") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(inspect_json_is_machine_readable) {
    const CliRun result =
        run({"inspect", sample_path("document-with-attachments.edxml"), "--json"});
    BOOST_TEST(result.exit_code == 0);
    Poco::JSON::Parser parser;
    const auto root = parser.parse(result.out).extract<Poco::JSON::Object::Ptr>();
    BOOST_TEST(root->getValue<bool>("ok"));
    const auto package = root->getObject("package");
    BOOST_TEST(package->getValue<std::string>("kind") == "document");
    BOOST_TEST(package->getValue<std::string>("documentId") ==
               "000.00.00.G22,2025/04/10,3021/VPCP-KSTT");
    const auto attachments = package->getArray("attachments");
    BOOST_REQUIRE_EQUAL(attachments->size(), 2u);
    BOOST_TEST(attachments->getObject(1)->getValue<bool>("zipWrapped"));
    BOOST_TEST(attachments->getObject(0)->getValue<std::string>("sha256").size() == 64u);

    const CliRun hostile = run({"inspect", hostile_path("xxe-file.edxml"), "--json"});
    BOOST_TEST(hostile.exit_code == 1);
    const auto refused = parser.parse(hostile.out).extract<Poco::JSON::Object::Ptr>();
    BOOST_TEST(!refused->getValue<bool>("ok"));
    BOOST_TEST(refused->getArray("errors")->getObject(0)->getValue<std::string>("code") ==
               "dtd_forbidden");
}

BOOST_AUTO_TEST_CASE(attachments_are_written_and_unzipped) {
    TempDir dir("cli-attachments");
    const CliRun result = run({"attachments", sample_path("document-with-attachments.edxml"),
                               "--out", dir.path.string(), "--unzip"});
    BOOST_TEST(result.exit_code == 0, result.err);
    const std::string pdf = test_files::read(dir.path / "cong-van.pdf");
    BOOST_TEST(pdf.rfind("%PDF", 0) == 0u);
    BOOST_TEST(result.out.find("sha256 " + edxml::sha256_hex(pdf)) != std::string::npos);
    // The zip-wrapped phu-luc.txt is written as received, and its inner file beside it.
    BOOST_TEST(test_files::read(dir.path / "phu-luc.txt").rfind("PK", 0) == 0u);
    BOOST_TEST(test_files::read(dir.path / "phu-luc-2.txt").rfind("PHỤ LỤC I", 0) == 0u);

    // A second run never overwrites what is there.
    const CliRun again = run({"attachments", sample_path("document-with-attachments.edxml"),
                              "--out", dir.path.string()});
    BOOST_TEST(again.exit_code == 0);
    BOOST_TEST(fs::exists(dir.path / "cong-van-2.pdf"));
}

BOOST_AUTO_TEST_CASE(attachment_names_cannot_escape_the_folder) {
    TempDir dir("cli-traversal");
    std::string text = test_files::sample("variant-manifest-alias.edxml");
    const auto at = text.find("<edXML:AttachmentName>", text.find("<edXML:AttachmentEncoded>"));
    BOOST_REQUIRE(at != std::string::npos);
    const auto end = text.find("</edXML:AttachmentName>", at);
    text.replace(at, end - at, "<edXML:AttachmentName>../../escaped.pdf");
    const fs::path package = dir.path / "traversal.edxml";
    std::ofstream(package) << text;
    const fs::path out = dir.path / "out";
    const CliRun result = run({"attachments", package.string(), "--out", out.string()});
    BOOST_TEST(result.exit_code == 0, result.err);
    BOOST_TEST(fs::exists(out / "escaped.pdf"));
    BOOST_TEST(!fs::exists(dir.path / "escaped.pdf"));
    BOOST_TEST(!fs::exists(dir.path.parent_path() / "escaped.pdf"));
}

BOOST_AUTO_TEST_CASE(content_id_fallback_cannot_escape_the_folder) {
    TempDir dir("cli-content-id");
    std::string text = test_files::sample("variant-manifest-alias.edxml");
    // No AttachmentName, and a ContentId that is an absolute path.
    const auto at = text.find("<edXML:AttachmentName>", text.find("<edXML:AttachmentEncoded>"));
    const auto end =
        text.find("</edXML:AttachmentName>", at) + std::string("</edXML:AttachmentName>").size();
    text.erase(at, end - at);
    const fs::path escaped_target = dir.path / "pwned";
    const std::string old_id =
        text.substr(text.find("cid:", text.find("<edXML:AttachmentEncoded>")));
    text.replace(text.find("cid:", text.find("<edXML:AttachmentEncoded>")), old_id.find('<'),
                 "cid:" + escaped_target.string());
    const fs::path package = dir.path / "content-id.edxml";
    std::ofstream(package) << text;
    const fs::path out = dir.path / "out";
    const CliRun result = run({"attachments", package.string(), "--out", out.string()});
    BOOST_TEST(!fs::exists(escaped_target.string() + ".bin"));
    BOOST_TEST(fs::exists(out / "pwned.bin"), result.out << result.err);
}

BOOST_AUTO_TEST_CASE(attachments_of_an_invalid_package_exit_1_with_the_reason) {
    TempDir dir("cli-invalid");
    const CliRun result =
        run({"attachments", hostile_path("invalid-base64.edxml"), "--out", dir.path.string()});
    BOOST_TEST(result.exit_code == 1);
    BOOST_TEST(result.err.find("error: ") != std::string::npos);
    BOOST_TEST(result.err.find("[invalid_base64]") != std::string::npos, result.err);
    BOOST_TEST(fs::exists(dir.path / "phu-luc.txt"));  // the intact attachment is still written
}

BOOST_AUTO_TEST_CASE(negative_max_size_is_a_usage_error) {
    const CliRun result = run({"validate", "--max-size", "-1", sample_path("status-01.edxml")});
    BOOST_TEST(result.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(sign_then_verify_from_the_command_line) {
    TempDir dir("cli-sign");
    const std::string signed_path = (dir.path / "signed.edxml").string();
    const CliRun signing = run(
        {"sign", "--key", test_pki::file("h20.key"), "--cert", test_pki::file("h20.pem"), "--chain",
         test_pki::file("intermediate.pem"), sample_path("status-03.edxml"), signed_path});
    BOOST_TEST(signing.exit_code == 0, signing.err);
    BOOST_TEST(signing.out.find("RSA-SHA256") != std::string::npos);

    const CliRun valid = run({"verify", "--trust", test_pki::file("anchors"), signed_path});
    BOOST_TEST(valid.exit_code == 0, valid.out << valid.err);
    BOOST_TEST(valid.out.rfind("valid  " + signed_path, 0) == 0u, valid.out);
    BOOST_TEST(valid.out.find("signer: CN=000.00.00.H20") != std::string::npos);

    const CliRun mixed =
        run({"verify", "--trust", test_pki::file("anchors"), "--json", signed_path,
             sample_path("status-01.edxml"), sample_path("variant-nonstandard-signature.edxml")});
    BOOST_TEST(mixed.exit_code == 1);
    Poco::JSON::Parser parser;
    const auto results = parser.parse(mixed.out).extract<Poco::JSON::Array::Ptr>();
    BOOST_REQUIRE_EQUAL(results->size(), 3u);
    BOOST_TEST(results->getObject(0)->getValue<std::string>("verdict") == "valid");
    BOOST_TEST(results->getObject(1)->getValue<std::string>("verdict") == "absent");
    BOOST_TEST(results->getObject(2)->getValue<std::string>("verdict") == "nonstandard");
    BOOST_TEST(results->getObject(0)->getObject("signer")->getValue<std::string>("sha256").size() ==
               64u);
}

BOOST_AUTO_TEST_CASE(sign_with_pkcs12_and_a_passphrase_from_the_environment) {
    TempDir dir("cli-sign-p12");
    const std::string passphrase = test_files::read(test_pki::file("passphrase.txt"));
    ::setenv("CONNECTOR_P12_PASSPHRASE", passphrase.substr(0, passphrase.find('\n')).c_str(), 1);
    const std::string signed_path = (dir.path / "signed.edxml").string();
    const CliRun signing =
        run({"sign", "--pkcs12", test_pki::file("h20.p12"), "--passphrase-env",
             "CONNECTOR_P12_PASSPHRASE", "--sha1", sample_path("status-06.edxml"), signed_path});
    ::unsetenv("CONNECTOR_P12_PASSPHRASE");
    BOOST_TEST(signing.exit_code == 0, signing.err);
    BOOST_TEST(signing.out.find("RSA-SHA1") != std::string::npos);
    // SHA-1 only when asked for (issue 12); --no-sha1 is the default and still accepted.
    BOOST_TEST(run({"verify", "--trust", test_pki::file("root.pem"), "--allow-sha1", signed_path})
                   .exit_code == 0);
    BOOST_TEST(run({"verify", "--trust", test_pki::file("root.pem"), signed_path}).exit_code == 1);
    BOOST_TEST(run({"verify", "--trust", test_pki::file("root.pem"), "--no-sha1", signed_path})
                   .exit_code == 1);
}

// Issue 12: a valid signature by another agency's certificate is not a valid package of
// the sender's; the command shows the signer's agency and the sender it was held to.
BOOST_AUTO_TEST_CASE(verify_names_the_signer_agency_and_refuses_a_wrong_signer) {
    TempDir dir("cli-wrong-signer");
    const std::string signed_path = (dir.path / "signed.edxml").string();
    const std::string passphrase = test_files::read(test_pki::file("passphrase.txt"));
    ::setenv("CONNECTOR_G22_PASSPHRASE", passphrase.substr(0, passphrase.find('\n')).c_str(), 1);
    // status-03 says it is from 000.00.00.H20; G22's key signs it.
    const CliRun signing =
        run({"sign", "--key", test_pki::file("g22.key"), "--cert", test_pki::file("g22.pem"),
             "--passphrase-env", "CONNECTOR_G22_PASSPHRASE", "--chain",
             test_pki::file("intermediate.pem"), sample_path("status-03.edxml"), signed_path});
    ::unsetenv("CONNECTOR_G22_PASSPHRASE");
    BOOST_REQUIRE_MESSAGE(signing.exit_code == 0, signing.err);
    const CliRun wrong = run({"verify", "--trust", test_pki::file("anchors"), signed_path});
    BOOST_TEST(wrong.exit_code == 1);
    BOOST_TEST(wrong.out.rfind("wrong_signer  " + signed_path, 0) == 0u, wrong.out);
    BOOST_TEST(wrong.out.find("agency: 000.00.00.G22  sender: 000.00.00.H20") != std::string::npos,
               wrong.out);
    const CliRun as_g22 = run({"verify", "--trust", test_pki::file("anchors"), "--sender",
                               "000.00.00.G22", "--json", signed_path});
    BOOST_TEST(as_g22.exit_code == 0, as_g22.out);
    Poco::JSON::Parser parser;
    const auto results = parser.parse(as_g22.out).extract<Poco::JSON::Array::Ptr>();
    BOOST_TEST(results->getObject(0)->getObject("signer")->getValue<std::string>("agency") ==
               "000.00.00.G22");
}

BOOST_AUTO_TEST_CASE(sign_and_verify_usage_errors) {
    const std::string in = sample_path("status-03.edxml");
    BOOST_TEST(run({"sign", in, "/tmp/out.edxml"}).exit_code == 2);                // no key
    BOOST_TEST(run({"sign", "--key", "k", in, "/tmp/out.edxml"}).exit_code == 2);  // no cert
    BOOST_TEST(run({"sign", "--key", "k", "--cert", "c", "--pkcs12", "p", in, "/tmp/out.edxml"})
                   .exit_code == 2);
    BOOST_TEST(
        run({"sign", "--pkcs12", "p", "--passphrase-file", "f", "--passphrase-env", "E", in, "o"})
            .exit_code == 2);
    BOOST_TEST(run({"verify", in}).exit_code == 2);  // no trust anchor
    BOOST_TEST(run({"verify", "--trust", test_pki::file("anchors")}).exit_code == 2);  // no file
    const CliRun no_anchor = run({"verify", "--trust", "/nonexistent", in});
    BOOST_TEST(no_anchor.exit_code == 1);
    BOOST_TEST(no_anchor.err.find("neither a file nor a directory") != std::string::npos,
               no_anchor.err);
    const CliRun wrong_key = run({"sign", "--key", test_pki::file("h20.key"), "--cert",
                                  test_pki::file("g22.pem"), in, "/tmp/never-written.edxml"});
    BOOST_TEST(wrong_key.exit_code == 1);
    BOOST_TEST(wrong_key.err.find("does not match the certificate") != std::string::npos,
               wrong_key.err);
}

BOOST_AUTO_TEST_SUITE_END()
