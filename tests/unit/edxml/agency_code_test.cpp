#include <boost/test/unit_test.hpp>

#include "edxml/agency_code.hpp"
#include "printers.hpp"

using namespace edxml;

BOOST_AUTO_TEST_SUITE(agency_code)

BOOST_AUTO_TEST_CASE(qcvn102_codes_and_their_levels) {
    const std::pair<const char*, int> cases[] = {{"000.00.00.H20", 1},
                                                 {"000.00.00.G22", 1},
                                                 {"000.00.14.H20", 2},
                                                 {"000.46.24.H44", 3},
                                                 {"001.46.24.H44", 4}};
    for (const auto& [code, level] : cases) {
        const AgencyCodeCheck check = check_agency_code(code);
        BOOST_TEST(check.ok(), code << ": " << check.problem);
        BOOST_TEST((check.form == AgencyCodeForm::qcvn102), code);
        BOOST_TEST(check.level == level, code);
    }
}

BOOST_AUTO_TEST_CASE(hierarchy_violations_are_named) {
    BOOST_TEST(!check_agency_code("000.12.00.H20").ok());
    BOOST_TEST(!check_agency_code("001.00.00.H20").ok());
    BOOST_TEST(!check_agency_code("001.00.14.H20").ok());
    BOOST_TEST((check_agency_code("000.12.00.H20").form == AgencyCodeForm::qcvn102));
}

BOOST_AUTO_TEST_CASE(system_centre_and_qd20_forms) {
    for (const char* code : {"00.20.W00", "00.53.W00", "14.00.W00", "001.00.41.W00"}) {
        BOOST_TEST((check_agency_code(code).form == AgencyCodeForm::system_centre), code);
        BOOST_TEST(check_agency_code(code).ok(), code);
    }
    for (const char* code : {"G12", "G12.01", "H20.01.02.03"}) {
        BOOST_TEST((check_agency_code(code).form == AgencyCodeForm::qd20), code);
    }
}

BOOST_AUTO_TEST_CASE(garbage_is_unrecognised) {
    for (const char* code :
         {"", "000.00.00.h20", "000.00.00.H2", "000.00.00.H200", "999.010.01.H22", "000.00.00",
          "' OR 1=1 --", "000.00.00.H20.", "000..00.H20"}) {
        const AgencyCodeCheck check = check_agency_code(code);
        BOOST_TEST(!check.ok(), "accepted '" << code << "'");
    }
    BOOST_TEST((check_agency_code("H20").form == AgencyCodeForm::qd20));  // bare level-1 QĐ 20 form
}

BOOST_AUTO_TEST_CASE(parents_zero_the_leftmost_non_zero_group) {
    BOOST_TEST(parent_agency_code("000.00.14.H20").value_or("") == "000.00.00.H20");
    BOOST_TEST(parent_agency_code("000.46.24.H44").value_or("") == "000.00.24.H44");
    BOOST_TEST(parent_agency_code("001.46.24.H44").value_or("") == "000.46.24.H44");
    BOOST_TEST(!parent_agency_code("000.00.00.H20").has_value());
    BOOST_TEST(!parent_agency_code("00.20.W00").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
