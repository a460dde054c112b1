#include "user_commands.hpp"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "connector/error.hpp"
#include "connector/password.hpp"
#include "context.hpp"
#include "edxml/agency_code.hpp"

namespace daemon_commands {
namespace {

constexpr const char* kUsage =
    "usage: connector user add --name N --role clerk|leader|auditor|admin [--unit CODE]...\n"
    "                          [--password-file FILE | --generate]\n"
    "     | connector user list\n"
    "     | connector user disable --name N\n"
    "     | connector user password --name N [--password-file FILE | --generate]\n"
    "  (with --config FILE; without --password-file or --generate the password is read\n"
    "   from standard input, one line, not echoed on a terminal)\n";

struct UserOptions {
    std::string name, role, password_file;
    std::vector<std::string> units;
    bool generate = false;
};

// The units as the audit entry and the list show them: "000.00.01.H20,000.00.14.H20".
std::string joined(const std::vector<std::string>& units) {
    std::string out;
    for (const auto& unit : units)
        out += (out.empty() ? "" : ",") + unit;
    return out;
}

// One line from standard input; echo is switched off while a terminal types it.
std::string read_password_line(std::istream& in, std::ostream& err, const std::string& prompt) {
    const bool terminal = &in == &std::cin && ::isatty(STDIN_FILENO);
    termios saved{};
    if (terminal) {
        err << prompt << std::flush;
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(in, line);
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        err << "\n";
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

// The new password: from the file (its first line), generated, or typed (twice on a
// terminal). Throws std::invalid_argument naming what is wrong.
std::string new_password(const UserOptions& options, std::istream& in, std::ostream& err,
                         bool& generated) {
    generated = false;
    if (options.generate) {
        generated = true;
        return connector::generate_password();
    }
    std::string password;
    if (!options.password_file.empty()) {
        std::ifstream file(options.password_file, std::ios::binary);
        if (!file)
            throw std::invalid_argument("--password-file: cannot read " + options.password_file);
        std::getline(file, password);
        if (!password.empty() && password.back() == '\r')
            password.pop_back();
    } else {
        password = read_password_line(in, err, "Mật khẩu: ");
        if (&in == &std::cin && ::isatty(STDIN_FILENO) &&
            read_password_line(in, err, "Nhập lại mật khẩu: ") != password)
            throw std::invalid_argument("the two passwords differ");
    }
    if (const std::string problem = connector::password_problem(password); !problem.empty())
        throw std::invalid_argument(problem);
    return password;
}

void print_users(const std::vector<connector::User>& users, std::ostream& out) {
    out << std::left << std::setw(24) << "NAME" << std::setw(9) << "ROLE" << std::setw(10)
        << "STATE" << std::setw(26) << "CREATED"
        << "UNITS\n";
    for (const connector::User& user : users) {
        const std::string units = joined(user.units);
        const std::string state = !user.disabled_at.empty()    ? "disabled"
                                  : !user.locked_until.empty() ? "locked"
                                                               : "active";
        out << std::left << std::setw(24) << user.name << std::setw(9) << user.role << std::setw(10)
            << state << std::setw(26) << user.created_at << (units.empty() ? "-" : units) << "\n";
    }
}

}  // namespace

int user(std::vector<std::string> args, std::istream& in, std::ostream& out, std::ostream& err) {
    const std::string config_path = config_path_from(args);
    if (args.empty()) {
        err << kUsage;
        return 2;
    }
    const std::string action = args[0];
    UserOptions options;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& option = args[i];
        const bool has_value = i + 1 < args.size();
        if (option == "--generate") {
            options.generate = true;
        } else if (option == "--name" && has_value) {
            options.name = args[++i];
        } else if (option == "--role" && has_value) {
            options.role = args[++i];
        } else if (option == "--unit" && has_value) {
            options.units.push_back(args[++i]);
        } else if (option == "--password-file" && has_value) {
            options.password_file = args[++i];
        } else {
            err << "connector user: unknown option or missing value '" << option << "'\n" << kUsage;
            return 2;
        }
    }
    const auto refuse = [&](const std::string& problem) {
        err << "connector user " << action << ": " << problem << "\n";
        return 2;
    };
    if (action != "add" && action != "list" && action != "disable" && action != "password") {
        err << kUsage;
        return 2;
    }
    if (action != "list") {
        if (const std::string problem = account_name_problem(options.name); !problem.empty())
            return refuse(problem);
    }
    if (options.generate && !options.password_file.empty())
        return refuse("give --password-file or --generate, not both");
    if (action == "add") {
        if (options.role != "clerk" && options.role != "leader" && options.role != "auditor" &&
            options.role != "admin")
            return refuse("--role must be clerk, leader, auditor or admin");
        for (const std::string& unit : options.units)
            if (const auto verdict = edxml::check_agency_code(unit); !verdict.ok())
                return refuse("--unit '" + unit + "' is not an agency code: " + verdict.problem);
        if (options.role == "clerk" && options.units.empty())
            return refuse("a clerk needs at least one --unit (the agency codes of their units)");
        if (options.role != "clerk" && !options.units.empty())
            return refuse("only a clerk has units: a " + options.role +
                          " sees all of the agency's tasks");
    }
    try {
        auto context = open_context(config_path, store::Migrations::set_up_when_empty);
        connector::Store& store = *context->store;
        if (action == "list") {
            print_users(store.users(), out);
            return 0;
        }
        if (action == "disable") {
            if (!store.disable_user(options.name)) {
                err << "connector user disable: no active user named '" << options.name << "'\n";
                return 1;
            }
            store.append_audit({0, "cli", "USER_DISABLED", options.name, "", "", "", ""});
            out << "disabled " << options.name << "\n";
            return 0;
        }
        if (action == "password" && !store.user(options.name)) {
            err << "connector user password: no user named '" << options.name << "'\n";
            return 1;
        }
        bool generated = false;
        const std::string password = new_password(options, in, err, generated);
        const std::string hash = connector::hash_password(password);
        if (action == "add") {
            connector::User user;
            user.name = options.name;
            user.role = options.role;
            user.units = options.units;
            user.password_hash = hash;
            store.create_user(user);
            const std::string units = joined(options.units);
            store.append_audit({0, "cli", "USER_ADDED", options.name,
                                "role " + options.role + (units.empty() ? "" : ", units " + units),
                                "", "", ""});
        } else {
            if (!store.set_user_password(options.name, hash)) {
                err << "connector user password: no user named '" << options.name << "'\n";
                return 1;
            }
            store.append_audit({0, "cli", "USER_PASSWORD_CHANGED", options.name, "", "", "", ""});
        }
        if (generated) {
            out << password << "\n";
            err << "password for '" << options.name
                << "': shown once, give it to its owner now; only its hash is kept\n";
        } else {
            out << (action == "add" ? "added " : "password changed for ") << options.name << "\n";
        }
        return 0;
    } catch (const connector::DuplicateError&) {
        err << "connector user add: the name '" << options.name << "' is taken\n";
        return 1;
    } catch (const std::invalid_argument& error) {
        return refuse(error.what());
    } catch (const std::exception& error) {
        err << "connector user " << action << ": " << error.what() << "\n";
        return 1;
    }
}

}  // namespace daemon_commands
