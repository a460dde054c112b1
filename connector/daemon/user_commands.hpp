// `connector user …`: the people who log in to the pages (issue 15).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// connector user add --name N --role clerk|leader|auditor|admin [--unit CODE]…
//                    [--password-file F | --generate]
//              | list | disable --name N | password --name N [--password-file F | --generate]
// Without --password-file or --generate the password is read from standard input (one
// line; not echoed when it is a terminal). A generated password is printed once.
int user(std::vector<std::string> args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
