// `connector edxml sign` and `connector edxml verify`.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "cli_commands.hpp"
#include "edxml/signature.hpp"

namespace edxml {
namespace {

std::string read_input(const std::string& path, std::size_t limit) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(ErrorCode::io, "cannot read " + path);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    std::string text = bytes.str();
    if (text.size() > limit)
        throw Error(ErrorCode::too_large,
                    path + " exceeds the limit of " + std::to_string(limit) + " bytes");
    return text;
}

Poco::JSON::Object result_json(const std::string& file, const VerifyResult& result) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("file", file);
    object.set("verdict", std::string(to_string(result.verdict)));
    object.set("reason", result.reason);
    object.set("signatureMethod", result.signature_method);
    object.set("digestMethod", result.digest_method);
    object.set("canonicalizationMethod", result.canonicalization_method);
    if (result.signer) {
        Poco::JSON::Object signer(Poco::JSON_PRESERVE_KEY_ORDER);
        signer.set("subject", result.signer->subject);
        signer.set("issuer", result.signer->issuer);
        signer.set("serial", result.signer->serial);
        signer.set("notBefore", result.signer->not_before);
        signer.set("notAfter", result.signer->not_after);
        signer.set("sha256", result.signer->fingerprint);
        signer.set("agency", result.signer_agency);
        object.set("signer", signer);
    }
    return object;
}

}  // namespace

int sign_command(const Arguments& args, std::ostream& out, std::ostream& err) {
    const bool pem = !args.key_file.empty() || !args.cert_file.empty();
    if (args.files.size() != 2 || pem == !args.pkcs12_file.empty() ||
        (pem && (args.key_file.empty() || args.cert_file.empty())) ||
        (!args.passphrase_file.empty() && !args.passphrase_env.empty())) {
        err << "sign takes IN OUT and either --key K --cert C [--chain F] or --pkcs12 P, with at "
               "most "
               "one of --passphrase-file and --passphrase-env\n";
        return 2;
    }
    std::string passphrase;
    if (!args.passphrase_file.empty())
        passphrase = read_passphrase_file(args.passphrase_file);
    if (!args.passphrase_env.empty())
        passphrase = read_passphrase_environment(args.passphrase_env);
    const SigningCredentials credentials =
        pem ? SigningCredentials::from_pem(args.key_file, args.cert_file, args.chain_file,
                                           passphrase)
            : SigningCredentials::from_pkcs12(args.pkcs12_file, passphrase);
    SignOptions options;
    options.algorithm = args.sha1 ? SignatureAlgorithm::rsa_sha1 : SignatureAlgorithm::rsa_sha256;
    options.limits = args.read_options.limits;
    const std::string signed_package = sign_package(
        read_input(args.files[0], options.limits.max_input_bytes), credentials, options);
    std::ofstream output(args.files[1], std::ios::binary | std::ios::trunc);
    output.write(signed_package.data(), static_cast<std::streamsize>(signed_package.size()));
    if (!output) {
        err << "cannot write " << args.files[1] << "\n";
        return 1;
    }
    out << "signed " << args.files[1] << " as " << credentials.subject() << " ("
        << (args.sha1 ? "RSA-SHA1" : "RSA-SHA256") << ")\n";
    return 0;
}

int verify_command(const Arguments& args, std::ostream& out, std::ostream& err) {
    if (args.files.empty() || (args.trust.empty() && !args.system_trust)) {
        err << "verify takes --trust PATH (CA file or directory, repeatable) and at least one "
               "FILE\n";
        return 2;
    }
    TrustOptions trust;
    trust.anchors = args.trust;
    trust.crls = args.crls;
    trust.use_system_store = args.system_trust;
    trust.allow_sha1 = args.allow_sha1;
    const Verifier verifier(trust);
    SignerPolicy signers(args.signer_attribute);
    if (!args.signers_file.empty())
        signers.load_table(args.signers_file);
    int not_valid = 0;
    Poco::JSON::Array results;
    std::map<std::string, std::string> sender_of;
    for (const std::string& file : args.files) {
        VerifyResult result;
        try {
            const auto verified = verifier.verify_and_read(
                read_input(file, args.read_options.limits.max_input_bytes), args.read_options);
            result = verified.signature;
            std::string sender = args.sender;
            if (sender.empty() && verified.package.package) {
                const auto& package = *verified.package.package;
                sender = std::holds_alternative<DocumentPackage>(package)
                             ? std::get<DocumentPackage>(package).header.from.organ_id
                             : std::get<StatusPackage>(package).from.organ_id;
            }
            bind_signer(result, signers, sender);
            sender_of[file] = sender;
        } catch (const Error& error) {
            result.verdict = Verdict::unsafe;
            result.reason = error.what();
        }
        not_valid += result.is_valid() ? 0 : 1;
        if (args.json) {
            results.add(result_json(file, result));
            continue;
        }
        out << to_string(result.verdict) << "  " << file << "\n  " << result.reason << "\n";
        if (result.signer) {
            out << "  signer: " << result.signer->subject << "\n  agency: "
                << (result.signer_agency.empty() ? "(none)" : result.signer_agency)
                << "  sender: " << sender_of[file] << "\n  issuer: " << result.signer->issuer
                << "\n  serial: " << result.signer->serial << "  valid "
                << result.signer->not_before << " .. " << result.signer->not_after << "\n";
        }
        if (!result.signature_method.empty())
            out << "  algorithms: " << result.signature_method << ", " << result.digest_method
                << "\n";
    }
    if (args.json) {
        results.stringify(out, 2);
        out << "\n";
    }
    return not_valid == 0 ? 0 : 1;
}

}  // namespace edxml
