// Checking a bundle offline: nothing is trusted but the anchors given. The order matters:
// first who signed (the certificate chains to an anchor, the manifest's signature holds),
// then what they signed (every file's hash), then what the files say (the chain proof up
// to its signed checkpoint, each package's hash in it, each package's own signature).
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <Poco/JSON/Array.h>

#include <unistd.h>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>

#include "bundle_files.hpp"
#include "connector/clock.hpp"
#include "edxml/attachments.hpp"
#include "evidence/bundle.hpp"

namespace evidence {

namespace fs = std::filesystem;
using Poco::JSON::Object;

namespace {

struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A file of the bundle in a private temporary folder, removed with it: the signature
// helpers read certificates from files.
class TemporaryFile {
  public:
    explicit TemporaryFile(const std::string& bytes) {
        std::string pattern = (fs::temp_directory_path() / "evidence-XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0)
            throw std::runtime_error("cannot create a temporary file");
        path_ = pattern;
        const bool written =
            ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        ::close(fd);
        if (!written)
            throw std::runtime_error("cannot write a temporary file");
    }
    ~TemporaryFile() {
        std::error_code ignored;
        fs::remove(path_, ignored);
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

using X509Pointer = std::unique_ptr<X509, decltype(&X509_free)>;

std::vector<X509Pointer> certificates_of(const std::string& pem) {
    std::vector<X509Pointer> found;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        found.emplace_back(certificate, &X509_free);
    return found;
}

// The anchor files of a trust folder (or the one file given).
std::vector<std::string> anchor_files(const std::string& trust) {
    std::vector<std::string> files;
    if (fs::is_directory(trust)) {
        for (const auto& item : fs::directory_iterator(trust)) {
            const std::string extension = item.path().extension().string();
            if (item.is_regular_file() && (extension == ".pem" || extension == ".crt"))
                files.push_back(item.path().string());
        }
        std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(trust)) {
        files.push_back(trust);
    }
    return files;
}

// Whether the first certificate of `pem` chains, through the others, to an anchor, at
// `at`; the reason when it does not.
std::string chain_problem(const std::string& pem, const std::vector<std::string>& anchors,
                          std::time_t at) {
    std::vector<X509Pointer> certificates = certificates_of(pem);
    if (certificates.empty())
        return "checkpoint-signer.pem holds no certificate";
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  &X509_STORE_free);
    for (const std::string& file : anchors) {
        std::ifstream in(file, std::ios::binary);
        const std::string text(std::istreambuf_iterator<char>(in), {});
        for (X509Pointer& anchor : certificates_of(text))
            X509_STORE_add_cert(store.get(), anchor.get());
    }
    std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> untrusted(
        sk_X509_new_null(), [](STACK_OF(X509) * stack) { sk_X509_free(stack); });
    for (std::size_t i = 1; i < certificates.size(); ++i)
        sk_X509_push(untrusted.get(), certificates[i].get());
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                            &X509_STORE_CTX_free);
    X509_STORE_CTX_init(context.get(), store.get(), certificates[0].get(), untrusted.get());
    X509_STORE_CTX_set_time(context.get(), 0, at);
    if (X509_verify_cert(context.get()) == 1)
        return "";
    return X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
}

std::time_t unix_time(const std::string& utc) {
    const auto when = connector::parse_utc_text(utc);
    if (!when)
        throw Refused("'" + utc + "' is not a UTC time");
    return std::chrono::system_clock::to_time_t(*when);
}

}  // namespace

BundleCheck verify_bundle(const std::string& zip_bytes, const std::string& trust_dir) {
    BundleCheck check;
    try {
        const std::vector<std::string> anchors = anchor_files(trust_dir);
        if (anchors.empty())
            throw Refused("no trust anchors (*.pem, *.crt) in " + trust_dir);
        const auto files = detail::unzip_files(zip_bytes, kMaxBundleBytes);
        const auto file = [&](const std::string& name) -> const std::string& {
            const auto found = files.find(name);
            if (found == files.end())
                throw Refused("the bundle has no " + name);
            return found->second;
        };

        // Who signed.
        const std::string& signer_pem = file("checkpoint-signer.pem");
        const std::string& manifest_text = file("manifest.json");
        const Object::Ptr manifest = detail::parse_json(manifest_text, "manifest.json");
        if (manifest->optValue<std::string>("format", "") != detail::kFormat)
            throw Refused("manifest.json is not of format " + std::string(detail::kFormat));
        const Object::Ptr proof = detail::parse_json(file("chain-proof.json"), "chain-proof.json");
        const Object::Ptr checkpoint_object = proof->getObject("checkpoint");
        if (!checkpoint_object)
            throw Refused("chain-proof.json has no checkpoint");
        const connector::ChainCheckpoint checkpoint =
            detail::checkpoint_from_json(*checkpoint_object);
        const std::string problem =
            chain_problem(signer_pem, anchors, unix_time(checkpoint.recorded_at));
        if (!problem.empty())
            throw Refused(
                "the signer's certificate (checkpoint-signer.pem) does not chain to "
                "the trust anchors in " +
                trust_dir + ": " + problem);
        const TemporaryFile signer(signer_pem);
        std::string signature = file("manifest.sig");
        while (!signature.empty() && (signature.back() == '\n' || signature.back() == '\r'))
            signature.pop_back();
        if (!edxml::verify_detached(signer.path(), manifest_text, signature))
            throw Refused(
                "manifest.sig is not the signature of manifest.json by the "
                "certificate in checkpoint-signer.pem");
        check.lines.push_back("signer: certificate " +
                              edxml::certificate_fingerprint(signer.path()) +
                              " chains to the trust anchors; manifest signed by it");

        // What they signed: every file listed, with its hash, and nothing else.
        std::set<std::string> listed{"manifest.json", "manifest.sig"};
        const auto entries = manifest->getArray("files");
        if (!entries)
            throw Refused("manifest.json lists no files");
        for (std::size_t i = 0; i < entries->size(); ++i) {
            const Object::Ptr item = entries->getObject(static_cast<unsigned>(i));
            if (!item)
                throw Refused("manifest.json: files[" + std::to_string(i) + "] is not an object");
            const std::string name = item->optValue<std::string>("name", "");
            const std::string& bytes = file(name);
            if (edxml::sha256_hex(bytes) != item->optValue<std::string>("sha256", ""))
                throw Refused(name + " was changed: its SHA-256 is not the one in manifest.json");
            listed.insert(name);
        }
        for (const auto& [name, bytes] : files) {
            if (listed.count(name) == 0)
                throw Refused("the bundle holds " + name + ", which manifest.json does not list");
        }
        check.lines.push_back("files: " + std::to_string(entries->size()) +
                              " files, each with the SHA-256 the manifest lists");

        // The chain proof, up to its checkpoint, signed by the same certificate.
        if (checkpoint.chain != "messages")
            throw Refused("chain-proof.json: the checkpoint is of chain '" + checkpoint.chain +
                          "', not messages");
        if (!connector::checkpoint_signature_holds(checkpoint, signer.path()))
            throw Refused("chain-proof.json: the checkpoint at " +
                          std::to_string(checkpoint.sequence) +
                          " is not signed by the certificate in checkpoint-signer.pem");
        const auto proof_entries = proof->getArray("entries");
        if (!proof_entries || proof_entries->size() == 0)
            throw Refused("chain-proof.json holds no entries");
        std::map<std::int64_t, connector::MessageEntry> by_sequence;
        std::string previous;
        std::int64_t expected_sequence = 0;
        for (std::size_t i = 0; i < proof_entries->size(); ++i) {
            const Object::Ptr item = proof_entries->getObject(static_cast<unsigned>(i));
            if (!item)
                throw Refused("chain-proof.json: entries[" + std::to_string(i) +
                              "] is not an object");
            connector::MessageEntry entry;
            try {
                entry = detail::entry_from_json(*item);
            } catch (const std::runtime_error& error) {
                throw Refused("chain-proof.json: entries[" + std::to_string(i) +
                              "]: " + error.what());
            }
            const std::string at = "chain-proof.json: entry " + std::to_string(entry.sequence);
            if (i > 0 && (entry.sequence != expected_sequence || entry.prev_hash != previous))
                throw Refused(at + " does not follow entry " +
                              std::to_string(expected_sequence - 1));
            if (connector::chain_hash(entry.prev_hash, entry) != entry.entry_hash)
                throw Refused(at + ": its fields do not hash to its entry hash (changed)");
            previous = entry.entry_hash;
            expected_sequence = entry.sequence + 1;
            by_sequence.emplace(entry.sequence, entry);
        }
        if (expected_sequence - 1 != checkpoint.sequence || previous != checkpoint.hash)
            throw Refused("chain-proof.json: the entries end at " +
                          std::to_string(expected_sequence - 1) +
                          " with another hash than the "
                          "checkpoint at " +
                          std::to_string(checkpoint.sequence));
        check.lines.push_back("chain: entries " + std::to_string(by_sequence.begin()->first) +
                              ".." + std::to_string(checkpoint.sequence) +
                              " chain to the checkpoint of " + checkpoint.recorded_at +
                              ", signed by the same certificate");

        // Each package: its bytes are those the chain logged; its own signature, checked.
        edxml::TrustOptions trust;
        trust.anchors = {trust_dir};
        const edxml::Verifier verifier(trust);
        std::size_t packages = 0;
        for (const auto& [name, bytes] : files) {
            if (name.rfind("packages/message-", 0) != 0)
                continue;
            const std::string number = name.substr(17, name.size() - 17 - 4);
            if (number.empty() || number.size() > 18 ||
                number.find_first_not_of("0123456789") != std::string::npos ||
                name.substr(name.size() - 4) != ".xml")
                throw Refused("the bundle holds " + name + ", which is not a package's name");
            const auto entry = by_sequence.find(std::stoll(number));
            if (entry == by_sequence.end())
                throw Refused(name + " is not one of the chain proof's entries");
            if (edxml::sha256_hex(bytes) != entry->second.raw_sha256)
                throw Refused(name + " is not the package the log recorded at entry " + number +
                              " (its SHA-256 differs)");
            const edxml::VerifyResult verdict =
                verifier.verify(bytes, unix_time(entry->second.recorded_at));
            check.packages.push_back("message " + number + ": signature " +
                                     edxml::to_string(verdict.verdict) +
                                     " (as logged: " + entry->second.signature_verdict + ")" +
                                     (verdict.reason.empty() ? "" : "; " + verdict.reason));
            check.xmlsec1_commands += "xmlsec1 --verify";
            for (const std::string& anchor : anchors)
                check.xmlsec1_commands += " --trusted-pem " + anchor;
            check.xmlsec1_commands += " " + name + "\n";
            ++packages;
        }
        if (packages == 0)
            throw Refused("the bundle holds no package");
        check.lines.push_back("packages: " + std::to_string(packages) +
                              " packages, each the bytes the log recorded");
        check.intact = true;
    } catch (const Refused& refused) {
        check.problem = refused.what();
    } catch (const std::exception& error) {
        check.problem = error.what();
    }
    return check;
}

}  // namespace evidence
