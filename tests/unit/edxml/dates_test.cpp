#include <boost/test/unit_test.hpp>

#include "edxml/dates.hpp"
#include "printers.hpp"

using namespace edxml;

BOOST_AUTO_TEST_SUITE(dates)

BOOST_AUTO_TEST_CASE(accepted_forms_parse_to_the_same_date) {
    for (const char* text : {"2025/06/30", "30/06/2025", "2025-06-30", " 2025/06/30 \n",
                             "2025/06/30 23:59:59", "2025-06-30T23:59:59"}) {
        const auto parsed = parse_date(text);
        BOOST_REQUIRE_MESSAGE(parsed, text);
        BOOST_TEST((parsed->value == Date{2025, 6, 30}), text);
    }
    BOOST_TEST((parse_date("30/06/2025")->format == DateFormat::day_first));
    BOOST_TEST((parse_date("2025-06-30")->format == DateFormat::iso));
    BOOST_TEST((parse_date("2025/06/30")->format == DateFormat::canonical));
}

BOOST_AUTO_TEST_CASE(timestamps_keep_their_time) {
    const auto parsed = parse_date_time("15/04/2025 08:30:05");
    BOOST_REQUIRE(parsed);
    BOOST_TEST((parsed->value == DateTime{{2025, 4, 15}, 8, 30, 5}));
    BOOST_TEST((parse_date_time("2025/04/15")->value == DateTime{{2025, 4, 15}, 0, 0, 0}));
}

BOOST_AUTO_TEST_CASE(impossible_and_malformed_values_are_refused) {
    for (const char* text :
         {"", "2025/02/29", "2024/02/30", "2025/13/01", "2025/00/10", "31/04/2025", "2025/4/1",
          "25/04/15", "2025.04.15", "2025/04/15 24:00:00", "2025/04/15 10:60:00",
          "2025/04/15T10:00:00", "2025/04/15 10:00", "abcd/ef/gh", "2025/04/15x"}) {
        BOOST_TEST(!parse_date_time(text).has_value(), "accepted '" << text << "'");
    }
    BOOST_TEST(parse_date("2024/02/29").has_value());  // leap year
    BOOST_TEST(!parse_date("1900/02/29").has_value());
    BOOST_TEST(parse_date("2000/02/29").has_value());
}

BOOST_AUTO_TEST_CASE(formatting_is_canonical) {
    BOOST_TEST(format_date(Date{2025, 6, 3}) == "2025/06/03");
    BOOST_TEST(format_date_time(DateTime{{2025, 6, 3}, 7, 5, 9}) == "2025/06/03 07:05:09");
}

BOOST_AUTO_TEST_SUITE_END()
