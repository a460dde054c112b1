// The password hashes of the pages' users (connector/password.hpp).
#include <boost/test/unit_test.hpp>

#include <set>

#include "connector/password.hpp"

using namespace connector;

namespace {
// The floor, to keep the suite quick; the default (600 000) is checked once.
constexpr int kQuick = kMinimumPasswordIterations;
}  // namespace

BOOST_AUTO_TEST_SUITE(password)

BOOST_AUTO_TEST_CASE(a_hash_matches_its_password_only) {
    const std::string stored = hash_password("Sở Khoa học 2026", kQuick);
    BOOST_TEST(stored.rfind("pbkdf2-sha256$100000$", 0) == 0u);
    BOOST_TEST(password_matches("Sở Khoa học 2026", stored));
    BOOST_TEST(!password_matches("Sở Khoa học 2027", stored));
    BOOST_TEST(!password_matches("so khoa hoc 2026", stored));
    BOOST_TEST(!password_matches("", stored));
    // Salted: the same password twice gives two different hashes, both matching.
    const std::string again = hash_password("Sở Khoa học 2026", kQuick);
    BOOST_TEST(again != stored);
    BOOST_TEST(password_matches("Sở Khoa học 2026", again));
}

BOOST_AUTO_TEST_CASE(the_default_is_600000_iterations) {
    const std::string stored = hash_password("một mật khẩu đủ dài");
    BOOST_TEST(stored.rfind("pbkdf2-sha256$600000$", 0) == 0u);
    BOOST_TEST(password_matches("một mật khẩu đủ dài", stored));
}

BOOST_AUTO_TEST_CASE(a_stored_text_altered_or_malformed_matches_nothing) {
    const std::string password = "correct horse battery";
    const std::string stored = hash_password(password, kQuick);
    const auto parts_at = [&](std::size_t n) {
        std::size_t at = 0;
        for (std::size_t i = 0; i < n; ++i)
            at = stored.find('$', at) + 1;
        return at;
    };
    std::string lowered = stored;  // fewer iterations than the floor: refused, not tried
    lowered.replace(parts_at(1), 6, "1");
    std::string other_salt = stored;
    other_salt[parts_at(2)] = other_salt[parts_at(2)] == 'A' ? 'B' : 'A';
    for (const std::string& bad :
         {lowered, other_salt, std::string("md5$1$abc$def"), std::string("pbkdf2-sha256$x$a$b"),
          std::string("pbkdf2-sha256$600000$!!!$???"), std::string("pbkdf2-sha256$600000$$"),
          std::string(""), std::string("$$$"), stored + "$extra",
          std::string("pbkdf2-sha256$99999999999$AAAA$AAAA"), std::string("' OR '1'='1")})
        BOOST_TEST(!password_matches(password, bad), bad);
}

BOOST_AUTO_TEST_CASE(weak_or_odd_passwords_are_refused_with_the_reason) {
    BOOST_TEST(password_problem("short").find("at least 12 characters") != std::string::npos);
    // Counted in characters: 12 Vietnamese letters are 12, though more bytes.
    BOOST_TEST(password_problem("ệệệệệệệệệệệ").find("at least 12") != std::string::npos);
    BOOST_TEST(password_problem("ệệệệệệệệệệệệ").empty());
    BOOST_TEST(password_problem(std::string(1025, 'a')).find("at most 1024") != std::string::npos);
    BOOST_TEST(password_problem("twelve chars\nmore").find("line break") != std::string::npos);
    BOOST_TEST(password_problem(std::string("twelve chars\0more", 17)).find("NUL") !=
               std::string::npos);
    BOOST_CHECK_THROW(hash_password("short", kQuick), std::invalid_argument);
    BOOST_CHECK_THROW(hash_password("long enough password", 1000), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(generated_passwords_are_long_distinct_and_plain) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string password = generate_password();
        BOOST_TEST(password.size() == 20u);
        BOOST_TEST(password.find_first_of("0O1lI") == std::string::npos, password);
        BOOST_TEST(password_problem(password).empty());
        seen.insert(password);
    }
    BOOST_TEST(seen.size() == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
