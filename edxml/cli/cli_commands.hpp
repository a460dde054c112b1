// Internal to the edxml CLI: parsed arguments and the subcommands in other files.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "edxml/reader.hpp"

namespace edxml {

struct Arguments {
    std::vector<std::string> files;
    bool json = false;
    bool unzip = false;
    std::string out_dir;
    ReadOptions read_options;
    // sign
    std::string key_file, cert_file, chain_file, pkcs12_file;
    std::string passphrase_file, passphrase_env;
    bool sha1 = false;
    // verify
    std::vector<std::string> trust, crls;
    bool system_trust = false;
    bool no_sha1 = false;     // the default now; kept so older scripts still run
    bool allow_sha1 = false;  // a legacy peer's RSA-SHA1
    std::string sender;       // expected sender; default: the package's own From
    std::string signer_attribute = "CN", signers_file;
};

int sign_command(const Arguments& args, std::ostream& out, std::ostream& err);
int verify_command(const Arguments& args, std::ostream& out, std::ostream& err);

}  // namespace edxml
