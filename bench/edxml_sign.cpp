// bench/edxml_sign: XML-DSig sign and verify operations per second for a 1 KB status, a
// 100 KB and a 5 MB document package, beside
//   - the floor, with OpenSSL's EVP API in the same run: sign = SHA-256 over the package
//     bytes plus one RSA-2048 signature; verify = SHA-256 plus one RSA verification;
//   - one `xmlsec1` process per operation (the command-line tool), when it is installed.
// Targets (issue 3): sign a 1 KB status within 1.15x the floor, verify it within 2x;
// 5 MB within 3x both ways; peak memory under 4x the package size.
//
// Usage: edxml_sign [--quick]
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "bench_support.hpp"
#include "edxml/attachments.hpp"
#include "edxml/signature.hpp"
#include "edxml/writer.hpp"
#include "peak_memory.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using bench::document_package;
using bench::seconds_per_call;
using bench::status_package;

// A self-signed RSA-2048 signing certificate in `dir`: key.pem, cert.pem.
void make_credentials(const fs::path& dir) {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("bench signer"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    FILE* key_file = std::fopen((dir / "key.pem").c_str(), "w");
    PEM_write_PrivateKey(key_file, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(key_file);
    FILE* cert_file = std::fopen((dir / "cert.pem").c_str(), "w");
    PEM_write_X509(cert_file, cert);
    std::fclose(cert_file);
    X509_free(cert);
    EVP_PKEY_free(key);
}

EVP_PKEY* load_key(const fs::path& path) {
    FILE* file = std::fopen(path.c_str(), "r");
    EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    return key;
}

// Seconds per run of a shell command (a whole xmlsec1 process), best of a few.
double seconds_per_command(const std::string& command, int runs) {
    double best = 1e9;
    for (int i = 0; i < runs; ++i) {
        const auto start = Clock::now();
        if (std::system(command.c_str()) != 0)
            return -1;
        best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    // The credentials live in a folder named in the environment, so that the process that
    // measures peak memory (see peak_memory.hpp) finds the same ones.
    const char* parent = std::getenv("EDXML_SIGN_BENCH_DIR");
    const fs::path dir =
        parent ? fs::path(parent)
               : fs::temp_directory_path() / ("edxml_sign_bench_" + std::to_string(getpid()));
    if (!parent) {
        fs::create_directories(dir);
        make_credentials(dir);
        ::setenv("EDXML_SIGN_BENCH_DIR", dir.c_str(), 1);
    }
    const edxml::SigningCredentials credentials = edxml::SigningCredentials::from_pem(
        (dir / "key.pem").string(), (dir / "cert.pem").string());
    edxml::TrustOptions trust;
    trust.anchors = {(dir / "cert.pem").string()};
    const edxml::Verifier verifier(trust);
    const std::map<std::string, bench::Operation> operations = {
        {"sign", [&](const std::string& in) { edxml::sign_package(in, credentials); }},
        {"verify", [&](const std::string& in) { verifier.verify(in); }},
    };
    if (bench::run_peak_memory_child(argc, argv, operations, [&] {
            verifier.verify(edxml::sign_package(status_package(), credentials));
        })) {
        return 0;
    }
    EVP_PKEY* floor_key = load_key(dir / "key.pem");
    const bool have_xmlsec1 = std::system("xmlsec1 --version > /dev/null 2>&1") == 0;

    struct Case {
        const char* name;
        std::string bytes;
    };
    const Case cases[] = {
        {"status 1 KB", status_package()},
        {"document 100 KB", document_package(100 * 1024)},
        {"document 5 MB", document_package(5 * 1024 * 1024)},
    };
    std::printf("edxml_sign: RSA-2048, RSA-SHA256, %s build; figures are operations per second\n",
#ifdef NDEBUG
                "optimised"
#else
                "debug (not representative)"
#endif
    );
    std::printf("%-16s %9s %9s %9s %7s | %9s %9s %9s %7s\n", "input", "sign", "floor", "xmlsec1",
                "ratio", "verify", "floor", "xmlsec1", "ratio");
    for (const Case& c : cases) {
        const std::string signed_package = edxml::sign_package(c.bytes, credentials);
        if (!verifier.verify(signed_package).is_valid()) {
            std::fprintf(stderr, "bench: signed package does not verify\n");
            return 1;
        }
        const double sign =
            seconds_per_call([&] { edxml::sign_package(c.bytes, credentials); }, quick);
        const double verify = seconds_per_call([&] { verifier.verify(signed_package); }, quick);
        std::string signature;
        const double sign_floor = seconds_per_call(
            [&] {
                EVP_MD_CTX* ctx = EVP_MD_CTX_new();
                std::size_t length = 512;
                signature.resize(length);
                EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, floor_key);
                EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                               reinterpret_cast<const unsigned char*>(c.bytes.data()),
                               c.bytes.size());
                signature.resize(length);
                EVP_MD_CTX_free(ctx);
            },
            quick);
        const double verify_floor = seconds_per_call(
            [&] {
                EVP_MD_CTX* ctx = EVP_MD_CTX_new();
                EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, floor_key);
                if (EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                                     signature.size(),
                                     reinterpret_cast<const unsigned char*>(c.bytes.data()),
                                     c.bytes.size()) != 1)
                    std::abort();
                EVP_MD_CTX_free(ctx);
            },
            quick);
        double xmlsec_sign = -1, xmlsec_verify = -1;
        if (have_xmlsec1) {
            const fs::path tmpl = dir / "template.xml";
            std::string with_template = c.bytes;
            with_template.insert(
                with_template.find("</edXML:edXMLHeader>"),
                "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
                "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
                "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
                "<Reference URI=\"\"><Transforms>"
                "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
                "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></Transforms>"
                "<DigestMethod "
                "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference>"
                "</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>");
            std::ofstream(tmpl, std::ios::binary) << with_template;
            std::ofstream(dir / "signed.xml", std::ios::binary) << signed_package;
            const int runs = quick ? 2 : 5;
            xmlsec_sign = seconds_per_command(
                "xmlsec1 --sign --privkey-pem " + (dir / "key.pem").string() + "," +
                    (dir / "cert.pem").string() + " --output " + (dir / "out.xml").string() + " " +
                    tmpl.string() + " 2>/dev/null",
                runs);
            xmlsec_verify = seconds_per_command(
                "xmlsec1 --verify --trusted-pem " + (dir / "cert.pem").string() + " " +
                    (dir / "signed.xml").string() + " >/dev/null 2>&1",
                runs);
        }
        auto rate = [](double seconds) { return seconds > 0 ? 1.0 / seconds : 0.0; };
        std::printf("%-16s %9.1f %9.1f %9.1f %6.2fx | %9.1f %9.1f %9.1f %6.2fx\n", c.name,
                    rate(sign), rate(sign_floor), rate(xmlsec_sign), sign / sign_floor,
                    rate(verify), rate(verify_floor), rate(xmlsec_verify), verify / verify_floor);
    }

    const std::string& large = cases[2].bytes;
    const std::string large_signed = edxml::sign_package(large, credentials);
    const double size = static_cast<double>(large.size());
    const long sign_peak = bench::measure_peak_memory("sign", large);
    const long verify_peak = bench::measure_peak_memory("verify", large_signed);
    std::printf(
        "\npeak memory for the 5 MB document (input included), as a multiple of its size:\n");
    std::printf("  sign %.2fx   verify %.2fx   (target: under 4x)\n", sign_peak / size,
                verify_peak / size);
    std::printf(
        "ratio = our time per operation / the floor's (lower is better; the floor is 1x)\n");

    EVP_PKEY_free(floor_key);
    if (!parent)
        fs::remove_all(dir);
    return 0;
}
