// Which agency a signing certificate speaks for, and the sender check that turns a
// valid signature by somebody else into `wrong_signer`.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "crypto_support.hpp"
#include "edxml/agency_code.hpp"
#include "edxml/diagnostics.hpp"
#include "edxml/signature.hpp"

namespace edxml {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool is_fingerprint(const std::string& key) {
    return key.size() == 64 &&
           key.find_first_not_of("0123456789abcdefABCDEF:") == std::string::npos;
}

// The whole value when it is an agency code, else the first code-shaped word in it
// ("MST:000.00.00.H20", "000.00.00.H20 revoked"): words are runs of letters, digits
// and dots.
std::string agency_code_in(const std::string& value) {
    if (check_agency_code(value).ok())
        return value;
    std::string word;
    for (std::size_t i = 0; i <= value.size(); ++i) {
        const char c = i < value.size() ? value[i] : ' ';
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '.') {
            word += c;
            continue;
        }
        if (!word.empty() && check_agency_code(word).ok() &&
            check_agency_code(word).form == AgencyCodeForm::qcvn102)
            return word;
        word.clear();
    }
    return {};
}

}  // namespace

void SignerPolicy::add(const std::string& fingerprint_or_subject, const std::string& agency_code) {
    std::string key = fingerprint_or_subject;
    if (is_fingerprint(key))
        key.erase(std::remove(key.begin(), key.end(), ':'), key.end());
    table_.emplace_back(lower(key), agency_code);
}

void SignerPolicy::load_table(const std::string& path) {
    const std::string text = detail::read_file(path, "signer table");
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#')
            continue;
        // The code is the last word; the key (a subject may hold spaces) is what precedes.
        const auto last = line.find_last_not_of(" \t");
        const auto gap = line.find_last_of(" \t", last);
        const std::string where = path + ":" + std::to_string(number);
        if (gap == std::string::npos || gap < first)
            throw Error(ErrorCode::io, where + ": expected 'FINGERPRINT-OR-SUBJECT AGENCY-CODE'");
        const std::string code = line.substr(gap + 1, last - gap);
        std::string key = line.substr(first, gap - first);
        key.erase(key.find_last_not_of(" \t") + 1);
        const AgencyCodeCheck check = check_agency_code(code);
        if (!check.ok())
            throw Error(ErrorCode::io,
                        where + ": '" + code + "' is not an agency code: " + check.problem);
        add(key, code);
    }
}

std::string SignerPolicy::agency_of(const CertificateInfo& certificate) const {
    const std::string fingerprint = lower(certificate.fingerprint);
    const std::string subject = lower(certificate.subject);
    for (const auto& [key, code] : table_) {
        if (key == fingerprint || key == subject)
            return code;
    }
    for (const auto& [name, value] : certificate.subject_attributes) {
        if (lower(name) == lower(attribute_)) {
            std::string code = agency_code_in(value);
            if (!code.empty())
                return code;
        }
    }
    return {};
}

void bind_signer(VerifyResult& result, const SignerPolicy& policy, const std::string& sender) {
    if (!result.signer)
        return;
    result.signer_agency = policy.agency_of(*result.signer);
    if (result.verdict != Verdict::valid)
        return;
    if (result.signer_agency.empty()) {
        result.verdict = Verdict::wrong_signer;
        result.reason = "the signing certificate (" + result.signer->subject +
                        ") names no agency in its " + policy.attribute() +
                        " and is not in the signer table: it cannot speak for " + sender;
    } else if (result.signer_agency != sender) {
        result.verdict = Verdict::wrong_signer;
        result.reason = "the signature holds, but its certificate belongs to " +
                        result.signer_agency + ", not to the sender " + sender;
    }
}

}  // namespace edxml
